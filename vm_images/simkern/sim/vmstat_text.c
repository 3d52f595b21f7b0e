/*
 * The text `vmstat -M vmcore -N kernel -z` / `-m` of the simulated era prints for given rows,
 * written from the era's usr.bin/vmstat/vmstat.c formats (freebsd-kmem-abi.md sections 5 and
 * 6; 15's vmstat.c read through the code index, VoxSciurorum/freebsd-src @ d80d3ac…):
 *
 *   zones   6.x (8.x text): REQUESTS/FAILURES, ", " separators, blank lines around the rows;
 *           9.x-12.x: SLEEP, ", " after SIZE then bare commas, blank lines;
 *           13.x/14.x: XDOMAIN, header "FAILSLEEP", one newline, no trailing blank line;
 *           15: compact ITEM ... XDOM, the size right-aligned so that it ends in column 26.
 *   malloc  <= 12: HighUse "-", sizes 16 << bit; 13.x/14.x: the kmemzones[] sizes, no HighUse;
 *           15: "Type Use Memory Req Size(s)" humanized by libxo as on a terminal.
 * Names are at most 31 characters before 15 (MEMTYPE_MAXNAME), as vmstat copies them.
 */
#include <stdio.h>
#include <string.h>
#include <inttypes.h>

#include "sim/sim.h"

#define HN_DECIMAL      0x01    /* one decimal below 10 */
#define HN_DIVISOR_1000 0x02    /* SI (k, M, ...) instead of 1024 (K, M, ...) */

/*
 * libxo's {h:} fields: the scale is the largest power of the divisor not above the value,
 * then humanize_number(3) with that scale and no space before the prefix.
 */
static const char *
humanize(char *buf, size_t len, uint64_t value, int flags)
{
        static const char *const si[] = { "", "k", "M", "G", "T", "P", "E" };
        static const char *const bin[] = { "", "K", "M", "G", "T", "P", "E" };
        uint64_t divisor = (flags & HN_DIVISOR_1000) ? 1000 : 1024;
        uint64_t cut = (flags & HN_DIVISOR_1000) ? 950 : 973;
        uint64_t quotient = value, remainder = 0, left;
        int scale = 0, i;

        for (left = value; left != 0; left /= divisor)
                scale++;
        if (scale > 0)
                scale--;
        for (i = 0; i < scale && i < 6; i++) {
                remainder = quotient % divisor;
                quotient /= divisor;
        }
        if ((flags & HN_DECIMAL) && i > 0 && (quotient < 9 || (quotient == 9 && remainder < cut))) {
                uint64_t tenths = (remainder * 10 + divisor / 2) / divisor;

                snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%s", quotient + tenths / 10, tenths % 10,
                    (flags & HN_DIVISOR_1000) ? si[i] : bin[i]);
        } else
                snprintf(buf, len, "%" PRIu64 "%s", quotient + (remainder + divisor / 2) / divisor,
                    (flags & HN_DIVISOR_1000) ? si[i] : bin[i]);
        return (buf);
}

/* vmstat's "name:" cell before 15: the name cut to MEMTYPE_MAXNAME - 1 characters. */
static const char *
colon_name(char *buf, const char *name)
{
        snprintf(buf, 33, "%.31s:", name);
        return (buf);
}

void
sim_vmstat_zones(FILE *f, const struct sim_vmstat_zone *rows, int n)
{
        char name[40];
        int i;

#if SIM_ERA <= 8
        fprintf(f, "%-20s %8s  %8s  %8s  %8s  %8s  %8s\n\n", "ITEM", "SIZE", "LIMIT", "USED",
            "FREE", "REQUESTS", "FAILURES");
        for (i = 0; i < n; i++)
                fprintf(f, "%-20s %8" PRIu64 ", %8" PRIu64 ", %8" PRIu64 ", %8" PRIu64 ", %8" PRIu64
                    ", %8" PRIu64 "\n", colon_name(name, rows[i].name), rows[i].size,
                    rows[i].limit, rows[i].used, rows[i].free, rows[i].requests, rows[i].fail);
        fputc('\n', f);
#elif SIM_ERA <= 12
        fprintf(f, "%-20s %6s %6s %8s %8s %8s %4s %4s\n\n", "ITEM", "SIZE", "LIMIT", "USED",
            "FREE", "REQ", "FAIL", "SLEEP");
        for (i = 0; i < n; i++)
                fprintf(f, "%-20s %6" PRIu64 ", %6" PRIu64 ",%8" PRIu64 ",%8" PRIu64 ",%8" PRIu64
                    ",%4" PRIu64 ",%4" PRIu64 "\n", colon_name(name, rows[i].name), rows[i].size,
                    rows[i].limit, rows[i].used, rows[i].free, rows[i].requests, rows[i].fail,
                    rows[i].sleep);
        fputc('\n', f);
#elif SIM_ERA <= 14
        fprintf(f, "%-20s %6s %6s %8s %8s %8s %8s%4s %4s\n", "ITEM", "SIZE", "LIMIT", "USED",
            "FREE", "REQ", "FAIL", "SLEEP", "XDOMAIN");
        for (i = 0; i < n; i++)
                fprintf(f, "%-20s %6" PRIu64 ", %6" PRIu64 ",%8" PRIu64 ",%8" PRIu64 ",%8" PRIu64
                    ",%4" PRIu64 ",%4" PRIu64 ",%4" PRIu64 "\n", colon_name(name, rows[i].name),
                    rows[i].size, rows[i].limit, rows[i].used, rows[i].free, rows[i].requests,
                    rows[i].fail, rows[i].sleep, rows[i].xdomain);
#else
        (void)name;
        fprintf(f, "%-19s %7s %7s %8s %8s %8s %4s %4s %4s\n", "ITEM", "SIZE", "LIMIT", "USED",
            "FREE", "REQ", "FAIL", "SLEEP", "XDOM");
        for (i = 0; i < n; i++) {
                int len = (int)strlen(rows[i].name);

                fprintf(f, "%s:%*" PRIu64 ",%7" PRIu64 ",%8" PRIu64 ",%8" PRIu64 ",%8" PRIu64
                    ",%4" PRIu64 ",%4" PRIu64 ",%4" PRIu64 "\n", rows[i].name,
                    len < 25 ? 26 - len : 1, rows[i].size, rows[i].limit, rows[i].used,
                    rows[i].free, rows[i].requests, rows[i].fail, rows[i].sleep, rows[i].xdomain);
        }
#endif
}

void
sim_vmstat_malloc(FILE *f, const struct sim_vmstat_type *rows, int n, const int *zone_sizes,
    int n_sizes)
{
        int i, b, first;

#if SIM_ERA <= 12
        (void)zone_sizes;
        (void)n_sizes;
        fprintf(f, "%13s %5s %6s %7s %8s  Size(s)\n", "Type", "InUse", "MemUse", "HighUse",
            "Requests");
        for (i = 0; i < n; i++) {
                fprintf(f, "%13s %5" PRId64 " %5" PRId64 "K %7s %8" PRId64 "  ", rows[i].name,
                    (int64_t)rows[i].in_use, ((int64_t)rows[i].bytes + 1023) / 1024, "-",
                    (int64_t)rows[i].requests);
                for (b = 0, first = 1; b < 32; b++)
                        if (rows[i].size_mask & (1ull << b)) {
                                fprintf(f, "%s%d", first ? "" : ",", 1 << (b + 4));
                                first = 0;
                        }
                fputc('\n', f);
        }
#elif SIM_ERA <= 14
        fprintf(f, "%13s %5s %6s %8s  Size(s)\n", "Type", "InUse", "MemUse", "Requests");
        for (i = 0; i < n; i++) {
                fprintf(f, "%13s %5" PRIu64 " %5" PRIu64 "K %8" PRIu64 "  ", rows[i].name,
                    rows[i].in_use, (rows[i].bytes + 1023) / 1024, rows[i].requests);
                for (b = 0, first = 1; b < n_sizes; b++)
                        if (rows[i].size_mask & (1ull << b)) {
                                fprintf(f, "%s%d", first ? "" : ",", zone_sizes[b]);
                                first = 0;
                        }
                fputc('\n', f);
        }
#else
        char h1[16], h2[16], h3[16];

        fprintf(f, "%16s %4s %5s %3s Size(s)\n", "Type", "Use", "Memory", "Req");
        for (i = 0; i < n; i++) {
                fprintf(f, "%16s %4s %5s %4s ", rows[i].name,
                    humanize(h1, sizeof(h1), rows[i].in_use, HN_DECIMAL | HN_DIVISOR_1000),
                    humanize(h2, sizeof(h2), rows[i].bytes, HN_DECIMAL),
                    humanize(h3, sizeof(h3), rows[i].requests, HN_DECIMAL | HN_DIVISOR_1000));
                for (b = 0, first = 1; b < n_sizes; b++)
                        if (rows[i].size_mask & (1ull << b)) {
                                fprintf(f, "%s%s", first ? "" : ",",
                                    humanize(h1, sizeof(h1), zone_sizes[b], 0));
                                first = 0;
                        }
                fputc('\n', f);
        }
#endif
}
