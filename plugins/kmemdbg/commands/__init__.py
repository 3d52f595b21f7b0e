"""Command definitions; importing this package registers every command in ``REGISTRY``."""

from .registry import REGISTRY, CommandSpec, command, run_command  # noqa: F401
from . import malloc_types, uma_zones  # noqa: F401,E402  (registration)
