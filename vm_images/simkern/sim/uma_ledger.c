/* The UMA ledger's storage and lookups (sim/uma_ledger.h). */
#include <stdio.h>
#include <stdlib.h>

#include <sys/_sim_kern.h>
#include <sys/smp.h>
#include "sim/uma_ledger.h"

#define LK_MAX          4096
struct lkeg *lkegs[LK_MAX];
int nlkegs;
struct lzone *lcache_first;
static struct lzone *lcache_last;

/* zone -> ledger lookup (open addressing on the zone address) */
#define LZ_HASH_SIZE    4096
static struct lzone *lz_hash[LZ_HASH_SIZE];

static void
ledger_panic(const char *msg, const void *p)
{
        fprintf(stderr, "uma ledger: %s %p\n", msg, p);
        abort();
}

static unsigned
lz_slot(const void *p)
{
        return ((unsigned)(((uintptr_t)p >> 6) * 2654435761u) % LZ_HASH_SIZE);
}

struct lzone *
lz_find(uma_zone_t z)
{
        unsigned i = lz_slot(z);

        while (lz_hash[i] != NULL) {
                if (lz_hash[i]->zone == z)
                        return (lz_hash[i]);
                i = (i + 1) % LZ_HASH_SIZE;
        }
        ledger_panic("unknown zone", z);
        return (NULL);
}

struct lzone *
lz_new(uma_zone_t z, const char *name)
{
        struct lzone *lz = calloc(1, sizeof(*lz));
        size_t n = mp_maxid + 1;
        unsigned i = lz_slot(z), probes = 0;

        lz->zone = z;
        lz->name = name;
        lz->cpu_free = calloc(n, sizeof(uint64_t));
        lz->cpu_cross = calloc(n, sizeof(uint64_t));
        lz->uc_allocs = calloc(n, sizeof(uint64_t));
        lz->uc_frees = calloc(n, sizeof(uint64_t));
        lz->zl_allocs = calloc(n, sizeof(uint64_t));
        lz->zl_frees = calloc(n, sizeof(uint64_t));
        lz->zl_fails = calloc(n, sizeof(uint64_t));
        lz->zl_xdomain = calloc(n, sizeof(uint64_t));
        while (lz_hash[i] != NULL) {
                if (++probes == LZ_HASH_SIZE)
                        ledger_panic("too many zones for", z);
                i = (i + 1) % LZ_HASH_SIZE;
        }
        lz_hash[i] = lz;
        return (lz);
}

void
lz_add_cache(struct lzone *lz)
{
        if (lcache_last != NULL)
                lcache_last->next_cache = lz;
        else
                lcache_first = lz;
        lcache_last = lz;
}

struct lkeg *
lk_new(uma_keg_t keg, const char *name)
{
        struct lkeg *lk = calloc(1, sizeof(*lk));

        lk->keg = keg;
        lk->name = name;
        lk->size = keg->uk_size;
        lk->rsize = keg->uk_rsize;
        lk->ipers = keg->uk_ipers;
        lk->ppera = keg->uk_ppera;
        lk->flags = keg->uk_flags;
        if (nlkegs == LK_MAX)
                ledger_panic("too many kegs at", keg);
        lkegs[nlkegs++] = lk;
        return (lk);
}

struct lkeg *
lk_find(uma_keg_t keg)
{
        int i;

        for (i = nlkegs - 1; i >= 0; i--)
                if (lkegs[i]->keg == keg)
                        return (lkegs[i]);
        ledger_panic("unknown keg", keg);
        return (NULL);
}

uint64_t
sum_cpus(const uint64_t *v, u_int upto_excl)
{
        uint64_t s = 0;
        u_int i;

        for (i = 0; i < upto_excl && i <= mp_maxid; i++)
                s += v[i];
        return (s);
}

uint64_t
sum_present(const uint64_t *v)
{
        uint64_t s = 0;
        u_int i;

        for (i = 0; i <= mp_maxid; i++)
                if (!CPU_ABSENT(i))
                        s += v[i];
        return (s);
}
