#!/bin/bash
# bisect-demo: a throw-away git history of the simulated kernel with a leak introduced at a
# known commit among 10, then `git bisect run kgdb_scripts/bisect-leak`, which must name it.
#
#   vm_images/vm/bisect-demo.sh [ERA]         (default fbsd6; top-level: make bisect-demo)
#
# History (in $DEMO, a temporary directory, removed at the end unless KEEP=1):
#   1   import: the committed vm_images/ of this repository, with an expiry ring added to
#       libalias (alias_db.c: a link is freed once 256 newer ones exist: no leak)
#   2-5 harmless changes (comments and a tunable in other files)
#   6   "libalias: keep alias links for reuse": the ring no longer frees -> the leak
#   7-10 harmless changes
# Exit status 0 when bisect names commit 6, 1 otherwise.
set -euo pipefail

ERA=${1:-${ERA:-fbsd6}}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DEMO=$(mktemp -d /tmp/kmemdbg-bisect-demo.XXXXXX)
START=$(date +%s)
cleanup() { [ "${KEEP:-0}" = 1 ] && echo "kept $DEMO" || rm -rf "$DEMO"; }
trap cleanup EXIT

git -C "$ROOT" archive HEAD vm_images/Makefile vm_images/simkern vm_images/vm vm_images/run-vm |
	tar -x -C "$DEMO"
cd "$DEMO"
git init -q
git config user.email demo@kmemdbg.invalid
git config user.name "bisect demo"
ALIAS=vm_images/simkern/sys/netinet/libalias/alias_db.c

# 1: no leak: libalias expires a link once LINK_EXPIRE newer ones exist (an expiry ring).
python3 - "$ALIAS" <<'EOF'
import re, sys
p = sys.argv[1]
s = open(p).read()
sweep = """
/* bisect demo: the expiry sweep, a link lives while LINK_EXPIRE newer links are made */
#define LINK_EXPIRE	256
static void *expire_ring[LINK_EXPIRE];
static unsigned int expire_next;
static void DeleteLink(void *p);

static void
ExpireLinks(void *lnk)
{
	void **slot = &expire_ring[expire_next++ % LINK_EXPIRE];

	if (*slot != NULL)
		DeleteLink(*slot);
	*slot = lnk;
}

"""
s, n1 = re.subn(r"\nstatic void \*\nAddLink\(struct libalias \*la\)", lambda m: sweep + m.group(0)[1:], s)
s, n2 = re.subn(r"(\n(\s*)la_links\+\+;\n)", lambda m: m.group(1) + m.group(2)
                + "ExpireLinks(lnk);\n", s)
if (n1, n2) != (1, 1):
    sys.exit(f"bisect-demo: cannot find AddLink in {p}")
open(p, "w").write(s)
EOF
git add -A && git commit -qm "import simulated kernel (libalias links expire)"
GOOD=$(git rev-parse HEAD)

harmless() {	# $1 file, $2 message
	printf '/* %s */\n' "$2" >> "$1"
	git commit -qam "$2"
}
harmless vm_images/simkern/sys/kern/kern_mbuf.c "mbuf: document the packet zone"
harmless vm_images/simkern/sys/netinet/tcp_subr.c "tcp: comment on tcpcb sizing"
harmless vm_images/simkern/sys/kern/vfs_cache.c "vfs_cache: note on negative entries"
harmless vm_images/simkern/sys/netgraph/ng_base.c "netgraph: describe the item queues"

# 6: the leak.
python3 - "$ALIAS" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
old = "\tif (*slot != NULL)\n\t\tDeleteLink(*slot);\n"
if s.count(old) != 1:
    sys.exit("bisect-demo: expiry call not found")
s = s.replace(old, "\t/* keep expired links around for reuse */\n")
open(p, "w").write(s)
EOF
git commit -qam "libalias: keep alias links for reuse"
CULPRIT=$(git rev-parse HEAD)

harmless vm_images/simkern/sys/kern/uipc_socket.c "socket: comment on soname"
harmless vm_images/simkern/sys/kern/kern_proc.c "proc: note on zombie reaping"
harmless vm_images/simkern/sys/ufs/ffs/ffs_vfsops.c "ffs: dinode zone comment"
harmless vm_images/simkern/sys/net/if.c "if: ifaddr comment"

echo "== bisect-demo: $(git rev-list --count HEAD) commits in $DEMO; the leak is in" \
	"$(git log -1 --format='%h %s' "$CULPRIT")"
git log --oneline | cat
git bisect start HEAD "$GOOD" >/dev/null
git bisect run "$ROOT/kgdb_scripts/bisect-leak" --era "$ERA" 2>&1 | tee "$DEMO/bisect.log"
FOUND=$(sed -n 's/^\([0-9a-f]\{40\}\) is the first bad commit$/\1/p' "$DEMO/bisect.log" | head -1)
git bisect reset >/dev/null 2>&1 || true
echo "== bisect-demo: $(( $(date +%s) - START )) s"
if [ "$FOUND" = "$CULPRIT" ]; then
	echo "== bisect-demo: OK, git bisect named $(git log -1 --format='%h %s' "$FOUND")"
	exit 0
fi
echo "== bisect-demo: FAILED: expected $CULPRIT, bisect said '${FOUND:-nothing}'"
exit 1
