"""kmemdbg: where did a FreeBSD kernel's memory go (UMA zones, malloc(9) types), in gdb/kgdb and lldb."""

__version__ = "0.1.0"
