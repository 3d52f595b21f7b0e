"""Who owns a malloc type or a zone: the defining global, its source file and module.

A malloc type is a global ``struct malloc_type`` (``MALLOC_DEFINE(M_ALIAS, "libalias", ...)``),
so its address names it: the debug info gives the symbol, file and line, and the address range it
falls in gives the module (the kernel or a kld).  A zone is anonymous memory; it is owned by the
globals that hold its pointer (``uma_zone_t zone_mbuf``) and by the functions it calls back
(ctor/dtor/init/fini/import), which have source files too.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from ..alloc.malloc import malloc_type_stats
from ..alloc.rows import row_issues
from ..alloc.uma import uma_zone_stats
from ..access import SymbolInfo
from ..access.errors import KmemdbgError
from ..access.record import read_record
from ..report.text import source_path
from .diff import MALLOC

# Callbacks on the zone (all eras name them uz_*) and on its keg (uk_*), in display order.
ZONE_FUNCTIONS = ("uz_ctor", "uz_dtor", "uz_init", "uz_fini", "uz_import", "uz_release")
KEG_FUNCTIONS = ("uk_init", "uk_fini", "uk_allocf", "uk_freef")


@dataclass
class Owner:
    kind: str                                  # "malloc" or "zone"
    name: str
    address: int
    symbol: Optional[SymbolInfo] = None        # malloc: the struct malloc_type global
    holders: List[SymbolInfo] = field(default_factory=list)        # zone: globals holding it
    functions: Dict[str, SymbolInfo] = field(default_factory=dict)  # zone: member -> function
    keg: int = 0
    keg_zones: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)

    def sources(self):
        """Every SymbolInfo that says where this owner's code lives, best first."""
        return ([self.symbol] if self.symbol else []) + self.holders + list(self.functions.values())

    @property
    def file(self):
        return next((s.file for s in self.sources() if s.file), None)

    @property
    def module(self):
        return next((s.module for s in self.sources() if s.module), None)

    @property
    def subsystem(self):
        return subsystem_of(self.file)

    def who(self):
        """The defining symbol, or the globals holding the zone."""
        return self.symbol.name if self.symbol else ",".join(h.name for h in self.holders)

    def short(self):
        """``M_ALIAS sys/netinet/libalias/alias_db.c [libalias.ko]``, for a table cell."""
        where = self.file and source_path(self.file)
        return " ".join(x for x in (self.who(), where, self.module and f"[{self.module}]")
                        if x) or "?"


def subsystem_of(path):
    """The source directory that names a subsystem: ``sys/netinet/libalias``."""
    p = source_path(path)
    return p.rsplit("/", 1)[0] if p and "/" in p else None


def malloc_type_owner(target, mtype):
    """:param mtype: ``MallocTypeStats`` (its ``address`` is the ``struct malloc_type``)."""
    owner = Owner("malloc", mtype.name, mtype.address)
    try:
        owner.symbol = target.symbolize(mtype.address)
    except KmemdbgError as e:
        owner.warnings.append(f"{mtype.name}: {e}")
    if owner.symbol is None:
        owner.warnings.append(f"no symbol covers struct malloc_type {mtype.address:#x} "
                              f"({mtype.name}); defined in a module without debug info?")
    return owner


def zone_pointer_holders(target, wanted):
    """Map zone address -> globals holding it (one scan for all zones).

    Every data symbol of the kernel and its modules (the ELF symbol tables, statics included)
    has its pointer-sized value compared with the zone addresses.
    """
    holders, size = {}, target.pointer_size
    for name, addr in target.data_symbols():
        try:
            value = int.from_bytes(target.read(addr, size), target.byteorder)
        except KmemdbgError:
            continue
        if value in wanted:
            info = target.symbolize(addr) or SymbolInfo(name, addr)
            holders.setdefault(value, []).append(info)
    return holders


def zone_owner(target, zone, all_zones, holders=None):
    """:param zone: ``ZoneStats``; ``all_zones``: the report's zones (to list keg sharers)."""
    owner = Owner("zone", zone.name, zone.address, keg=zone.keg)
    if holders is None:
        holders = zone_pointer_holders(target, {zone.address})
    owner.holders = sorted(holders.get(zone.address, []), key=lambda s: s.name)
    owner.keg_zones = [z.name for z in all_zones if zone.keg and z.keg == zone.keg]
    _read_functions(target, owner, "struct uma_zone", zone.address, ZONE_FUNCTIONS)
    if zone.keg:
        _read_functions(target, owner, "struct uma_keg", zone.keg, KEG_FUNCTIONS)
    return owner


def _read_functions(target, owner, type_name, addr, members):
    try:
        rec = read_record(target, target.layout(type_name), addr)
    except KmemdbgError as e:
        owner.warnings.append(f"{owner.name}: {e}")
        return
    for m in members:
        if not rec.has(m):
            continue
        fn = rec.ptr(m)
        if not fn:
            continue
        try:
            sym = target.symbolize(fn)
        except KmemdbgError:
            sym = None
        if sym is not None:
            owner.functions[m] = sym


def find_owners(target, match):
    """Owners of every malloc type, then every zone, whose name ``match`` accepts (vmstat order).

    :return: ``(owners, warnings)``; a walk that fails is a warning, the other still runs.
    """
    owners, warnings = [], []
    try:
        report = malloc_type_stats(target)
        hits = [m for m in reversed(report.types) if match(m.name)]
        warnings += list(report.warnings) + row_issues(hits)
        owners += [malloc_type_owner(target, m) for m in hits]
    except KmemdbgError as e:
        warnings.append(f"malloc types not searched: {e}")
    try:
        report = uma_zone_stats(target)
        zones = report.zones
        hits = [z for z in reversed(zones) if match(z.name)]
        warnings += list(report.warnings) + row_issues(hits)
        if hits:
            holders = zone_pointer_holders(target, {z.address for z in hits})
            owners += [zone_owner(target, z, zones, holders) for z in hits]
    except KmemdbgError as e:
        warnings.append(f"zones not searched: {e}")
    for o in owners:
        warnings += o.warnings
    return owners, warnings


def growth_owners(target, rows, warnings):
    """Owner of each growth row (``leak.diff.Growth``), keyed by ``id(row)``: one walk of the
    target and one holder scan for all of them.  Failures are appended to ``warnings``."""
    owners = {}
    try:
        mtypes = {m.name: m for m in malloc_type_stats(target).types}
        zones = uma_zone_stats(target).zones
    except KmemdbgError as e:
        warnings.append(f"owners not looked up: {e}")
        return owners
    by_name = {z.name: z for z in zones}
    wanted = {by_name[g.name].address for g in rows if g.kind != MALLOC and g.name in by_name}
    holders = zone_pointer_holders(target, wanted) if wanted else {}
    for g in rows:
        if g.kind == MALLOC and g.name in mtypes:
            owners[id(g)] = malloc_type_owner(target, mtypes[g.name])
        elif g.name in by_name:
            owners[id(g)] = zone_owner(target, by_name[g.name], zones, holders)
    return owners
