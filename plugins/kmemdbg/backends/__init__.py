"""Backends: the only modules that import gdb or lldb (plus the in-memory fake for tests)."""
