"""Commands declared once, installed into gdb and lldb by the backends.

A ``CommandSpec`` pairs an argparse parser with ``run(target, args, out) -> int``.  Backends only
lex the argument string (``gdb.string_to_argv``, ``shlex`` for lldb), build their ``Target`` and
call ``run_command``; that is the single place where errors become one ``kmemdbg: error:`` line
and an exit status, so no traceback and no ``SystemExit`` ever reaches the debugger.
"""

import argparse
import functools
import os
import sys
from dataclasses import dataclass
from typing import Callable, List

from ..kernel.release import check_kernel_match
from ..access.errors import CommandArgumentError, KmemdbgError
from ..access.pagecache import PageCache
from .hints import hint_for

# Exit statuses, for batch use (gdb -batch / lldb -b and kgdb_scripts/leakcheck).
OK, FAILED, USAGE = 0, 1, 2


class KmemArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting and prints help to the debugger's stream."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)
        self.out = sys.stdout
        # Every command (and sub-command: SUPPRESS keeps a sub-parser from resetting it).
        self.add_argument("--force", action="store_true", default=argparse.SUPPRESS,
                          help="read the core even if it does not match the kernel file "
                               "(also KMEMDBG_FORCE=1)")

    def error(self, message):
        raise CommandArgumentError(f"{self.prog}: {message}")

    def exit(self, status=0, message=None):
        if message:
            self.out.write(message)
        raise _HelpShown(status)

    def print_help(self, file=None):
        (file or self.out).write(self.format_help())


class _HelpShown(Exception):
    def __init__(self, status):
        self.status = status


@dataclass(frozen=True)
class CommandSpec:
    """One debugger command.

    :param name: hyphenated, as users type it (``uma-zones``).
    :param summary: one line, shown by ``help`` listings.
    :param make_parser: returns a fresh ``KmemArgumentParser`` (its help is the command's help).
    :param run: ``run(target, args, out) -> int``; writes to ``out``; raises ``KmemdbgError``.
    """

    name: str
    summary: str
    make_parser: Callable[[], KmemArgumentParser]
    run: Callable

    def help_text(self) -> str:
        return self.make_parser().format_help()


REGISTRY: List[CommandSpec] = []


def command(spec: CommandSpec) -> CommandSpec:
    """Register ``spec`` (called at import time by each command module)."""
    REGISTRY[:] = [s for s in REGISTRY if s.name != spec.name] + [spec]
    return spec


def _env_flag(name) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def debug_enabled() -> bool:
    """``KMEMDBG_DEBUG=1`` re-raises errors with their tracebacks, for developing kmemdbg."""
    return _env_flag("KMEMDBG_DEBUG")


def forced(args) -> bool:
    """``--force`` or ``KMEMDBG_FORCE=1``: skip the kernel-vs-core check, for experts."""
    return getattr(args, "force", False) or _env_flag("KMEMDBG_FORCE")


class LazyTarget:
    """The debugger's target, built on first use and then checked by ``verify`` (the kernel
    file must match the core) before anything reads it.

    ``kmem-diff old.json new.json`` needs no target at all, and lldb refuses to build one when no
    core or process is loaded; every other command touches the target at once and never notices.
    """

    def __init__(self, factory, verify=None):
        object.__setattr__(self, "_factory", factory)
        object.__setattr__(self, "_verify", verify)
        object.__setattr__(self, "_target", None)

    def _resolve(self):
        if self._target is None:
            target = self._factory()
            if self._verify is not None:
                self._verify(target)
            object.__setattr__(self, "_target", target)
        return self._target

    def __getattr__(self, name):
        # Kept, so the next use does not come through here: this object lives for one command
        # run, in which the run's target (a PageCache) neither rebinds its methods nor changes
        # its attributes (byteorder, pointer_size, cache, run_memo) except through us.
        value = getattr(self._resolve(), name)
        object.__setattr__(self, name, value)
        return value

    def __setattr__(self, name, value):
        self.__dict__.pop(name, None)
        setattr(self._resolve(), name, value)


def _description(target):
    """What the target is (``kernel K, core C``), or None if it was never built or cannot say."""
    if target._target is None:
        return None
    try:
        return target.description
    except Exception:   # only for a hint: never let it hide the error being reported
        return None


@functools.lru_cache(maxsize=None)
def _parser(spec: CommandSpec) -> KmemArgumentParser:
    """The command's parser, built once: parsing leaves a parser as it was, and building one
    (argparse, each option's help) took a millisecond of every run."""
    return spec.make_parser()


def run_command(spec: CommandSpec, target_factory, argv: List[str], out) -> int:
    """Parse ``argv``, run ``spec`` against the target, and turn every failure into one line.

    The command sees the target through one page cache for the whole run (``kmem-watch`` asks
    it for a fresh one per sample); a usage error found while running (``kmem-owner --regex``
    with a bad NAME) is reported like one found by argparse.

    :param target_factory: called lazily (after parsing, so ``-h`` works without a target).
    :return: the command's exit status: 0 ok, 1 failed or found a problem, 2 usage error.
    """
    parser = _parser(spec)
    parser.out = out
    try:
        args = parser.parse_args(argv)
    except _HelpShown as e:
        return e.status
    except CommandArgumentError as e:
        out.write(f"kmemdbg: error: {e}\n")
        return USAGE
    finally:     # the parser outlives the run: it must not keep the run's output (MiBs of JSON)
        parser.out = sys.stdout
    try:
        target = LazyTarget(lambda: PageCache(target_factory()),
                            None if forced(args) else check_kernel_match)
        return spec.run(target, args, out) or OK
    except CommandArgumentError as e:
        out.write(f"kmemdbg: error: {spec.name}: {e}\n")
        return USAGE
    except KmemdbgError as e:
        if debug_enabled():
            raise
        out.write(f"kmemdbg: error: {spec.name}: {e}\n")
        hint = hint_for(e, _description(target))
        if hint:
            out.write(hint + "\n")
        return FAILED
    except Exception as e:  # a bug in kmemdbg must not kill the debugger session
        if debug_enabled():
            raise
        out.write(f"kmemdbg: internal error in {spec.name}: {type(e).__name__}: {e} "
                  "(set KMEMDBG_DEBUG=1 for a traceback)\n")
        return FAILED
