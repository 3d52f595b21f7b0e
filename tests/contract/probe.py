"""Runs inside gdb or lldb: exercise a Target and print what it answered as one JSON line.

The same probe runs through GdbTarget and LldbTarget; test_contract.py compares the answers
with the ground truth the fixture printed (offsetof/sizeof/addresses from the C compiler).
Nothing here judges: it records answers and error class names, so a failing assertion in
pytest shows exactly what the backend said.

    KMEMDBG_TRUTH=<fixture's JSON>  python probe.main("gdb")   (from inside the debugger)
"""

import json
import os
import sys
import traceback

MARK = "KMEMDBG-PROBE-RESULT:"

STRUCTS = ["struct entry", "struct flex", "struct one", "struct modinfo", "struct entry_list"]
SYMBOLS = ["fixture_entries", "zone_foo", "zone_bar", "zone_static", "not_a_zone", "fixture_name",
           "fixture_counter", "fixture_array", "fixture_func", "e1", "e2", "fixmod_info",
           "fixmod_static", "fixmod_func"]
TYPED = ["zone_foo", "zone_static", "fixture_name", "fixture_counter", "fixture_array",
         "fixture_entries", "not_a_zone", "fixmod_info"]
SIZES = ["counter_u64_t", "u_long", "foo_t", "struct entry", "int", "enum color"]


def _t(t):
    if t is None:
        return None
    return {"kind": t.kind, "size": t.size, "name": t.name, "typedef": t.typedef,
            "signed": t.signed, "length": t.length, "element": _t(t.element)}


def _try(fn, *args):
    try:
        return {"ok": fn(*args)}
    except Exception as e:  # recorded, judged by pytest
        return {"error": type(e).__name__, "message": str(e)}


def _layout(lay):
    return {"name": lay.name, "size": lay.size,
            "fields": {n: {"offset": f.offset, "bit_offset": f.bit_offset,
                           "bit_size": f.bit_size, "type": _t(f.type)}
                       for n, f in lay.fields.items()}}


def _sym(s):
    if s is None:
        return None
    return {"name": s.name, "address": s.address, "offset": s.offset, "file": s.file,
            "line": s.line, "module": s.module, "size": s.size}


def run(target):
    from kmemdbg.access import read_cstring, read_record
    from kmemdbg.access.errors import MemoryFault
    from kmemdbg.access.pagecache import read_buffer

    truth = json.load(open(os.environ["KMEMDBG_TRUTH"]))
    syms = truth["symbols"]
    vals = truth["values"]
    out = {"pointer_size": target.pointer_size, "byteorder": target.byteorder,
           "is_live": target.is_live, "description": target.description}
    out["symbols"] = {n: _try(target.symbol_address, n) for n in SYMBOLS + ["no_such_symbol"]}
    out["types"] = {n: _try(lambda n: _t(target.symbol_type(n)), n)
                    for n in TYPED + ["no_such_symbol"]}
    out["layouts"] = {n: _try(lambda n: _layout(target.layout(n)), n)
                      for n in STRUCTS + ["struct no_such_struct"]}
    out["layout_memoized"] = target.layout("struct entry") is target.layout("struct entry")
    out["sizes"] = {n: _try(target.type_size, n) for n in SIZES + ["struct no_such_struct"]}

    ps = target.pointer_size
    # Reads: pointer variable -> string literal (read-only data of the executable).
    out["fixture_name_ptr"] = _try(
        lambda: int.from_bytes(target.read(syms["fixture_name"], ps), target.byteorder))
    out["fixture_name_str"] = _try(read_cstring, target, vals["fixture_name_literal"])
    out["e1_name_str"] = _try(read_cstring, target, vals["e1_name_literal"])
    out["fixmod_name_str"] = _try(
        lambda: read_cstring(target, int.from_bytes(target.read(syms["fixmod_info"], ps),
                                                    target.byteorder)))

    def record_values():
        rec = read_record(target, target.layout("struct entry"), syms["e1"])
        return {"e_flags": rec.int("e_flags"), "e_kind": rec.int("e_kind"),
                "e_signed": rec.int("e_signed"), "e_a": rec.int("e_a"), "e_b": rec.int("e_b"),
                "e_small": rec.int("e_small"), "e_neg": rec.int("e_neg"),
                "e_color": rec.int("e_color"), "e_bool": rec.int("e_bool"),
                "e_size": rec.int("e_size"), "le_next": int.from_bytes(rec.raw("e_link")[:ps], target.byteorder),
                "e_name": read_cstring(target, rec.ptr("e_name"))}
    out["record"] = _try(record_values)
    out["array"] = _try(lambda: [int.from_bytes(target.read(syms["fixture_array"] + i * ps, ps),
                                                target.byteorder, signed=True)
                                 for i in range(5)])

    # Across the end of the first page of zero_tail (8 x 0xab, then zeros) and inside its tail.
    out["zero_tail"] = {
        "across": _try(lambda: target.read(vals["zero_tail"] + 4096 - 8, 32).hex()),
        "inside": _try(lambda: target.read(vals["zero_tail"] + 2 * 4096, 16).hex())}

    def fault(addr, size, read=target.read):
        try:
            read(addr, size)
        except MemoryFault as e:
            return {"error": "MemoryFault", "addr": e.addr, "size": e.size}
        except Exception as e:
            return {"error": type(e).__name__, "message": str(e)}
        return {"ok": "no fault"}
    out["faults"] = {"null": fault(0, 8), "low": fault(0x1000, 16),
                     "high": fault((1 << (8 * ps - 1)) - 4096 if ps == 8 else 0xfffff000, 8),
                     # a size from a corrupt field, at a mapped address: refused, the debugger
                     # left alive (gdb asked for 60 GB ends the session)
                     "huge": fault(syms["fixture_array"], 60 << 30),
                     "huge_buffer": fault(syms["fixture_array"], 60 << 30,
                                          lambda a, n: read_buffer(target, a, n))}

    out["symbolize"] = {
        "zone_foo": _try(lambda: _sym(target.symbolize(syms["zone_foo"]))),
        "zone_static+3": _try(lambda: _sym(target.symbolize(syms["zone_static"] + 3))),
        "fixture_entries+1": _try(lambda: _sym(target.symbolize(syms["fixture_entries"] + 1))),
        "fixture_func": _try(lambda: _sym(target.symbolize(syms["fixture_func"]))),
        "fixmod_info+8": _try(lambda: _sym(target.symbolize(syms["fixmod_info"] + 8))),
        "fixmod_static": _try(lambda: _sym(target.symbolize(syms["fixmod_static"]))),
        "fixmod_func": _try(lambda: _sym(target.symbolize(syms["fixmod_func"]))),
        "null": _try(lambda: _sym(target.symbolize(0))),
    }
    wanted = ("zone_foo", "zone_bar", "zone_static", "not_a_zone", "fixmod_info", "fixmod_static",
              "fixture_func", "fixmod_func")
    out["data_symbols"] = _try(lambda: sorted([name, addr] for name, addr in target.data_symbols()
                                              if name in wanted))
    out["data_sections"] = _try(lambda: [[d.module, d.name, d.start, d.end, d.main]
                                         for d in target.data_sections()])
    return out


def main(kind):
    """Build the backend's target, run the probe, print MARK + JSON (or the traceback)."""
    try:
        if kind == "gdb":
            from kmemdbg.backends.gdb_backend import current_target
            target = current_target()
        else:
            import lldb

            from kmemdbg.backends.lldb_backend import current_target
            target = current_target(lldb.debugger)
        result = run(target)
    except Exception:
        result = {"probe_crashed": traceback.format_exc()}
    sys.stdout.write(MARK + json.dumps(result) + "\n")
    sys.stdout.flush()


def live_control(kind):
    """run_for(), twice: the target must run, then be stopped again."""
    import time

    try:
        if kind == "gdb":
            import gdb

            from kmemdbg.backends.gdb_backend import current_target
            target = current_target()

            def stopped():
                return gdb.selected_thread().is_stopped()
        else:
            import lldb

            from kmemdbg.backends.lldb_backend import current_target
            target = current_target(lldb.debugger)

            def stopped():
                return target.process.GetState() == lldb.eStateStopped
        addr = target.symbol_address("fixture_ticks")

        def ticks():
            return int.from_bytes(target.read(addr, target.pointer_size), target.byteorder)
        result = {"is_live": target.is_live}
        for n in (1, 2):  # twice: the second run must find the first one's stop processed
            before = ticks()
            target.run_for(0.3)
            result[f"run_for{n}"] = {"advanced": ticks() - before, "stopped": stopped()}
        before = ticks()
        time.sleep(0.2)
        result["still_stopped"] = {"advanced": ticks() - before, "stopped": stopped()}
    except Exception:
        result = {"probe_crashed": traceback.format_exc()}
    sys.stdout.write(MARK + json.dumps(result) + "\n")
    sys.stdout.flush()


def core_control(kind):
    """On a core, run_for() must raise a kmemdbg TargetError, not a debugger error."""
    try:
        if kind == "gdb":
            from kmemdbg.backends.gdb_backend import current_target
            target = current_target()
        else:
            import lldb

            from kmemdbg.backends.lldb_backend import current_target
            target = current_target(lldb.debugger)
        result = {"is_live": target.is_live}
        try:
            target.run_for(0.1)
            result["run_for"] = "no error"
        except Exception as e:
            result["run_for"] = type(e).__name__
    except Exception:
        result = {"probe_crashed": traceback.format_exc()}
    sys.stdout.write(MARK + json.dumps(result) + "\n")
    sys.stdout.flush()
