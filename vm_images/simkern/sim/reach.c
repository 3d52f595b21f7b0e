/*
 * The reachability ledger (sim/reach.h, GROUND_TRUTH.md "reach.json").  Host-side bookkeeping in
 * libc memory: one entry per kept item, keyed by the item's address (open addressing, grown by
 * doubling), naming its holder.  Reachability is decided at write time by following holders up
 * to a root: an item whose chain ends at a root is reachable; an unlinked item, and every item
 * held only through one, is not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vm/uma.h>

#include "reach.h"
#include "sim.h"

enum rstate { R_HELD = 1, R_UNLINKED = 2 };

struct rent {
	uintptr_t	item;		/* 0: empty slot; 1: deleted */
	const struct sim_reach_kind *kind;
	uintptr_t	holder;		/* kept item holding it, or 0 */
	const char	*root;		/* or the global holding it */
	uintptr_t	at;		/* the pointer word or the list head */
	const char	*path;
	int		idx;
	long		next_off;	/* -1: `at` is a pointer word */
	int		state;
	int		memo;		/* at write time: 0 unknown, 1 reachable, 2 not, 3 visiting */
	int		depth;		/* at write time: holder items between the root and the item */
};

#define DELETED	((uintptr_t)1)

static int enabled;
static struct rent *tab;
static size_t tabsize, tabused, tabfill;	/* slots, live entries, live + deleted */

static size_t
rslot(uintptr_t a, size_t size)
{
	uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull;

	return ((size_t)(h >> 17) & (size - 1));
}

static struct rent *
rfind(uintptr_t a)
{
	size_t i;

	if (tab == NULL)
		return (NULL);
	for (i = rslot(a, tabsize); tab[i].item != 0; i = (i + 1) & (tabsize - 1))
		if (tab[i].item == a)
			return (&tab[i]);
	return (NULL);
}

static void
rgrow(void)
{
	struct rent *old = tab;
	size_t i, n = tabsize;

	tabsize = n ? n * 2 : 4096;
	if (tabused * 4 < n)		/* mostly deleted slots: rehash at the same size */
		tabsize = n;
	tab = calloc(tabsize, sizeof(*tab));
	if (tab == NULL) {
		perror("sim_reach");
		exit(1);
	}
	tabfill = tabused;
	for (i = 0; i < n; i++) {
		size_t j;

		if (old[i].item <= DELETED)
			continue;
		for (j = rslot(old[i].item, tabsize); tab[j].item != 0; j = (j + 1) & (tabsize - 1))
			;
		tab[j] = old[i];
	}
	free(old);
}

static struct rent *
rget(uintptr_t a)
{
	struct rent *e = rfind(a);
	size_t i;

	if (e != NULL)
		return (e);
	if ((tabfill + 1) * 2 > tabsize)
		rgrow();
	for (i = rslot(a, tabsize); tab[i].item > DELETED; i = (i + 1) & (tabsize - 1))
		;
	if (tab[i].item == 0)
		tabfill++;
	tabused++;
	memset(&tab[i], 0, sizeof(tab[i]));
	tab[i].item = a;
	return (&tab[i]);
}

void
sim_reach_enable(int on)
{
	enabled = on;
}

static void
hold(const void *item, const struct sim_reach_kind *k, const void *holder, const char *root,
    const void *at, long next_off, const char *path, int idx)
{
	struct rent *e;

	if (item == NULL || !enabled)
		return;
	e = rget((uintptr_t)item);
	e->kind = k;
	e->holder = (uintptr_t)holder;
	e->root = root;
	e->at = (uintptr_t)at;
	e->next_off = next_off;
	e->path = path;
	e->idx = idx;
	e->state = R_HELD;
}

void
sim_reach_held(const void *item, const struct sim_reach_kind *k, const void *holder,
    const char *root, const void *at, const char *path, int idx)
{
	hold(item, k, holder, root, at, -1, path, idx);
}

void
sim_reach_listed(const void *item, const struct sim_reach_kind *k, const void *holder,
    const char *root, const void *at, size_t next_off, const char *path, int idx)
{
	hold(item, k, holder, root, at, (long)next_off, path, idx);
}

void
sim_reach_unlinked(const void *item)
{
	struct rent *e = rfind((uintptr_t)item);

	if (e != NULL)
		e->state = R_UNLINKED;
}

void
sim_reach_freed(const void *item)
{
	struct rent *e = rfind((uintptr_t)item);

	if (e != NULL) {
		e->item = DELETED;
		tabused--;
	}
}

/* ---- writing ----------------------------------------------------------------------------- */

/* Decide reachability of `e` (memoised); returns 1 reachable, 2 not, 4 broken ledger. */
static int
decide(struct rent *e, int depth)
{
	struct rent *h;
	int r;

	if (e->memo == 1 || e->memo == 2 || e->memo == 4)
		return (e->memo);
	if (e->memo == 3 || depth > 256)
		return (e->memo = 4);	/* a holder cycle: the ledger is wrong */
	if (e->state == R_UNLINKED)
		return (e->memo = 2);
	if (e->holder == 0) {
		e->depth = 0;
		return (e->memo = e->root != NULL ? 1 : 4);
	}
	h = rfind(e->holder);
	if (h == NULL)
		return (e->memo = 4);	/* held by an item the ledger does not know */
	e->memo = 3;
	r = decide(h, depth + 1);
	e->depth = h->depth + 1;
	return (e->memo = r);
}

static void
write_path(FILE *f, const struct rent *e)
{
	char buf[256];

	if (strstr(e->path, "%d") != NULL)
		snprintf(buf, sizeof(buf), e->path, e->idx);
	else
		snprintf(buf, sizeof(buf), "%s", e->path);
	sim_json_string(f, buf);
}

/* Item kinds of the written file: (zone, size, ctype, mtype), numbered in order of appearance. */
struct wkind {
	const char *zone;
	unsigned long size;
	const struct sim_reach_kind *k;
};

#define MAXWKINDS	256

static int
wkind_of(struct wkind *ks, int *nks, const struct rent *e, unsigned long *size)
{
	uma_zone_t z = uma_sim_item_zone((void *)e->item);
	const char *zone = z != NULL ? uma_zone_name(z) : NULL;
	int i;

	*size = z != NULL ? (unsigned long)uma_zone_size(z) :
	    (unsigned long)uma_large_size((void *)e->item);
	for (i = 0; i < *nks; i++)
		if (ks[i].zone == zone && ks[i].size == *size && ks[i].k == e->kind)
			return (i);
	if (*nks == MAXWKINDS) {
		fprintf(stderr, "kernel: reach ledger: more than %d item kinds\n", MAXWKINDS);
		exit(2);
	}
	ks[*nks].zone = zone;
	ks[*nks].size = *size;
	ks[*nks].k = e->kind;
	return ((*nks)++);
}

static void
json_string_or_null(FILE *f, const char *s)
{
	if (s != NULL)
		sim_json_string(f, s);
	else
		fputs("null", f);
}

static int
by_addr(const void *a, const void *b)
{
	uintptr_t x = (*(struct rent *const *)a)->item, y = (*(struct rent *const *)b)->item;

	return (x < y ? -1 : x > y);
}

int
sim_reach_write(const char *path)
{
	unsigned long n = 0, nreach = 0, nlost = 0, lost_bytes = 0, broken = 0;
	struct wkind ks[MAXWKINDS];
	int nks = 0, i;
	struct rent **sorted;
	size_t j, nsorted = 0;
	FILE *f;
	int first = 1;

	if (!enabled)
		return (0);		/* no ledger kept: nothing to write */
	for (j = 0; j < tabsize; j++)
		tab[j].memo = 0;
	for (j = 0; j < tabsize; j++)
		if (tab[j].item > DELETED)
			broken += decide(&tab[j], 0) == 4;
	if (broken != 0)
		fprintf(stderr, "kernel: reach ledger: %lu item(s) with a broken holder chain\n",
		    broken);
	sorted = calloc(tabused ? tabused : 1, sizeof(*sorted));
	if (sorted == NULL)
		return (-1);
	for (j = 0; j < tabsize; j++)
		if (tab[j].item > DELETED)
			sorted[nsorted++] = &tab[j];
	qsort(sorted, nsorted, sizeof(*sorted), by_addr);	/* rows in address order */
	f = fopen(path, "w");
	if (f == NULL) {
		free(sorted);
		return (-1);
	}
	fputs("{\"schema_version\": 1,\n \"columns\": [\"addr\", \"kind\", \"reachable\", \"depth\", "
	    "\"holder\", \"at\", \"path\", \"next_off\"],\n \"items\": [", f);
	for (j = 0; j < nsorted; j++) {
		struct rent *e = sorted[j];
		unsigned long size;
		int kind;

		kind = wkind_of(ks, &nks, e, &size);
		n++;
		if (e->memo == 1)
			nreach++;
		else if (e->memo == 2) {
			nlost++;
			lost_bytes += size;
		}
		fprintf(f, "%s\n  [%lu, %d, %s, %d, ", first ? "" : ",", (unsigned long)e->item, kind,
		    e->memo == 1 ? "true" : e->memo == 2 ? "false" : "null",
		    e->memo == 1 ? e->depth : -1);
		first = 0;
		if (e->holder != 0)
			fprintf(f, "%lu", (unsigned long)e->holder);
		else
			sim_json_string(f, e->root);
		fprintf(f, ", %lu, ", (unsigned long)e->at);
		write_path(f, e);
		fprintf(f, ", %ld]", e->next_off);
	}
	fputs("\n ],\n \"kinds\": [", f);
	for (i = 0; i < nks; i++) {
		fprintf(f, "%s\n  {\"zone\": ", i ? "," : "");
		json_string_or_null(f, ks[i].zone);
		fprintf(f, ", \"size\": %lu, \"ctype\": ", ks[i].size);
		sim_json_string(f, ks[i].k->ctype);
		fputs(", \"mtype\": ", f);
		json_string_or_null(f, ks[i].k->mtype);
		fputs("}", f);
	}
	fprintf(f, "\n ],\n \"summary\": {\"items\": %lu, \"reachable\": %lu, \"unreachable\": %lu, "
	    "\"unreachable_bytes\": %lu, \"broken\": %lu}\n}\n", n, nreach, nlost, lost_bytes,
	    broken);
	free(sorted);
	return (fclose(f) == 0 && broken == 0 ? 0 : -1);
}
