"""Which object files of a debugger session belong to the kernel.

Host system libraries (libc, the dynamic linker, the vDSO) are loaded only because a simulated
kernel is a userland process; a kernel never needs their types, variables or sections, and a
FreeBSD kernel session has none.
"""

SYSTEM_DIRS = ("/lib/", "/lib32/", "/lib64/", "/libx32/", "/usr/lib/", "/usr/lib32/",
               "/usr/lib64/", "/usr/libx32/")


def is_system_object(path: str) -> bool:
    return (path.startswith(SYSTEM_DIRS) or "[vdso]" in path
            or path.startswith("system-supplied DSO"))
