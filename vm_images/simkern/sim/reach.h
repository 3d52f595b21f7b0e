/*
 * The reachability ledger (vm_images/GROUND_TRUTH.md, reach.json): for every item a subsystem
 * of the simulated kernel allocates and keeps, who holds it -- a kernel global (root) or another
 * kept item -- through which member, so that a scan from the kernel's roots can be checked item by
 * item.  The subsystems call it where they store or clear the pointer that holds an item, from
 * their own bookkeeping; it never reads the kernel structures back.
 *
 * A holder is either a pointer word (`at` holds the item's address) or a list head (`at` is the
 * head, whose first word points at the first element; each element points at the next one through
 * the word `next_off` bytes into it: LIST/TAILQ/SLIST as sys/queue.h lays them out).  `path` is the
 * member path from the holder's start to `at` (a printf format taking `idx` when it has "%d").
 *
 * An item that is still allocated but no longer held (sim_reach_unlinked) is a true leak: nothing
 * in the kernel points at it any more.  Items not registered here (UMA's and malloc(9)'s own
 * structures, per-CPU counters) are not in the ledger.
 */
#ifndef SIM_REACH_H
#define SIM_REACH_H

#include <stddef.h>

/* What an item is: its C type and, for malloc(9) items, its malloc type's short name. */
struct sim_reach_kind {
	const char *ctype;
	const char *mtype;
};

/*
 * Keep the ledger (off by default; main turns it on for runs that dump cores: a live kernel
 * grows without end and writes no reach.json, and the QEMU VM hands out only expected.json).
 * Call before the first allocation.
 */
void sim_reach_enable(int on);

/* `item` is held by the pointer at `at`, inside kept item `holder` or global `root`. */
void sim_reach_held(const void *item, const struct sim_reach_kind *k, const void *holder,
    const char *root, const void *at, const char *path, int idx);
/* `item` is on the list whose head is at `at` (inside `holder` or global `root`). */
void sim_reach_listed(const void *item, const struct sim_reach_kind *k, const void *holder,
    const char *root, const void *at, size_t next_off, const char *path, int idx);
/* `item` stays allocated but nothing holds it any more (a leak). */
void sim_reach_unlinked(const void *item);
/* `item` was freed. */
void sim_reach_freed(const void *item);

/* Write reach.json (GROUND_TRUTH.md) to `path` (nothing when the ledger is off); 0 or -1. */
int sim_reach_write(const char *path);

#endif /* SIM_REACH_H */
