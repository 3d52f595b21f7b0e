"""``kmemdbg-selftest``: a command for testing the hosts, registered only by the tests.

Loaded into a running session with ``python``/``script`` (see test_debuggers.py), never part
of the package's REGISTRY.
"""

import sys

from kmemdbg.commands.registry import CommandSpec, KmemArgumentParser
from kmemdbg.access.errors import SymbolNotFound


def make_parser():
    p = KmemArgumentParser(prog="kmemdbg-selftest",
                           description="Echo the arguments and what the target is.")
    p.add_argument("--fail", action="store_true", help="raise SymbolNotFound('uma_kegs')")
    p.add_argument("--crash", action="store_true", help="raise ZeroDivisionError")
    p.add_argument("--exit", action="store_true", help="call sys.exit(3)")
    p.add_argument("--read", metavar="SYMBOL", help="read a pointer-sized word at SYMBOL")
    p.add_argument("words", nargs="*")
    return p


def run(target, args, out):
    if args.fail:
        raise SymbolNotFound("uma_kegs")
    if args.crash:
        return 1 // 0
    if args.exit:
        sys.exit(3)
    out.write(f"argv={args.words!r} live={target.is_live} pointer_size={target.pointer_size}\n")
    if args.read:
        addr = target.symbol_address(args.read)
        value = int.from_bytes(target.read(addr, target.pointer_size), target.byteorder)
        out.write(f"{args.read}={value:#x}\n")
    return 0


SPEC = CommandSpec("kmemdbg-selftest", "Echo arguments and target facts (tests only).",
                   make_parser, run)


def install_gdb():
    from kmemdbg.backends import gdb_backend
    gdb_backend.install([SPEC])


def install_lldb(debugger):
    from kmemdbg.backends import lldb_backend
    lldb_backend.install(debugger, [SPEC])
