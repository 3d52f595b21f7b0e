"""Zones at or near their limit, or failing or sleeping, and the tunable that sets each limit.

A zone is flagged when USED reaches ``NEAR_LIMIT`` of LIMIT ("at limit" once it is full, or once
used plus cached free items fill it), when allocations failed (bucket zones fail by design
under memory pressure and say so), or when allocations slept.
"""

from .accounting import BUCKET_ZONE

# The tunable (loader.conf / sysctl) that sets a zone's limit, where FreeBSD's sources name one.
TUNABLES = {
    "mbuf": "kern.ipc.nmbufs", "mbuf_cluster": "kern.ipc.nmbclusters",
    "mbuf_jumbo_page": "kern.ipc.nmbjumbop", "mbuf_jumbo_9k": "kern.ipc.nmbjumbo9",
    "mbuf_jumbo_16k": "kern.ipc.nmbjumbo16", "NetGraph items": "net.graph.maxalloc",
    "NetGraph data items": "net.graph.maxdata", "socket": "kern.ipc.maxsockets",
    "tcpcb": "kern.ipc.maxsockets", "tcp_inpcb": "kern.ipc.maxsockets",
    "udp_inpcb": "kern.ipc.maxsockets", "udpcb": "kern.ipc.maxsockets",
    "unpcb": "kern.ipc.maxsockets", "tcptw": "net.inet.tcp.maxtcptw",
    "syncache": "net.inet.tcp.syncache.cachelimit", "tcpreass": "net.inet.tcp.reass.maxsegments",
    "sackhole": "net.inet.tcp.sack.globalmaxholes", "hostcache": "net.inet.tcp.hostcache.cachelimit",
    "ipq": "net.inet.ip.maxfragpackets", "swblk": "kern.maxswzone", "swpctrie": "kern.maxswzone",
}
NEAR_LIMIT = 0.9


def limit_findings(zones):
    """``[(zone address, row dict)]`` of the flagged zones, worst first (failures, sleeps, fill).

    :param zones: ``ZoneStats`` of a true-view walk.
    """
    found = []
    for z in zones:
        reasons = []
        fill = (z.used or 0) / z.limit if z.limit else None
        if fill is not None and fill >= NEAR_LIMIT:
            reasons.append("at limit" if fill >= 1 or (z.used or 0) + (z.free or 0) >= z.limit
                           else f"{fill:.0%} of limit")
        if z.fail:
            reasons.append("bucket allocations fail" if BUCKET_ZONE.match(z.name) else "failures")
        if z.sleep:
            reasons.append("sleeps")
        if reasons:
            found.append((z.address, {
                "zone": z.name, "size": z.size, "limit": z.limit, "used": z.used, "free": z.free,
                "fail": z.fail, "sleep": z.sleep, "fill": None if fill is None else round(fill, 4),
                "reasons": reasons, "tunable": TUNABLES.get(z.name) if z.limit else None}))
    found.sort(key=lambda f: (-(f[1]["fail"] or 0), -(f[1]["sleep"] or 0), -(f[1]["fill"] or 0),
                              f[1]["zone"]))
    return found
