/*
 * expected.json (vm_images/GROUND_TRUTH.md): image metadata, the zone and malloc views and the
 * ledger, all written from the simulator's ledgers (sim/uma_ledger.h and kern_malloc.c), never from the
 * kernel structures a debugger reads.
 */
#include <stdio.h>
#include <stdlib.h>

#include "scenario.h"

extern int mp_ncpus;
extern unsigned int mp_maxid;

void
sim_json_string(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* `write(f)`'s output as one JSON string. */
static void
write_text(FILE *f, void (*write)(FILE *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	if (m == NULL) {
		perror("open_memstream");
		exit(1);
	}
	write(m);
	fclose(m);
	sim_json_string(f, text);
	free(text);
}

static void
write_image(FILE *f, const struct sim_scenario *sc, uint64_t seed, int tick, int ndomains)
{
	int ids[1024], n, i;
	const char *p = sim_panicstr();

	fputs("{\"era\": ", f);
	sim_json_string(f, SIM_ERA_NAME);
	fputs(", \"arch\": ", f);
	sim_json_string(f, SIM_ARCH);
	fputs(", \"scenario\": ", f);
	sim_json_string(f, sc->name);
	fprintf(f, ", \"seed\": %llu, \"tick\": %d,\n \"version\": ", (unsigned long long)seed,
	    tick);
	sim_json_string(f, sim_version());
	fprintf(f, ", \"osreldate\": %d,\n \"mp_ncpus\": %d, \"mp_maxid\": %u, \"cpus\": [",
	    sim_osreldate(), mp_ncpus, mp_maxid);
	n = sim_cpu_list(ids, 1024);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%d", i ? ", " : "", ids[i]);
	fprintf(f, "], \"vm_ndomains\": %d, \"page_size\": %d,\n \"panicstr\": ", ndomains,
	    SIM_PAGE_SIZE);
	if (p != NULL)
		sim_json_string(f, p);
	else
		fputs("null", f);
	fputs(", \"modules\": [", f);
	for (i = 0; sc->modules != NULL && sc->modules[i] != NULL; i++) {
		fputs(i ? ", " : "", f);
		sim_json_string(f, sc->modules[i]);
	}
	fputs("]}", f);
}

void
sim_write_expected(const char *path, const struct sim_scenario *sc, uint64_t seed, int tick,
    int ndomains, void (*extra)(FILE *))
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputs("{\"schema_version\": 1,\n\"image\": ", f);
	write_image(f, sc, seed, tick, ndomains);
	fputs(",\n\"uma-zones\": {\"memory-zone-statistics\": {\"zone\": ", f);
	sim_uma_write_zones(f, SIM_VIEW_TRUE);
	fputs("}},\n\"uma-zones --compat kvm\": {\"memory-zone-statistics\": {\"zone\": ", f);
	sim_uma_write_zones(f, SIM_VIEW_KVM);
	fputs("}},\n\"uma-zones --where\": {\"memory-zone-statistics\": {\"zone\": ", f);
	sim_uma_write_zones(f, SIM_VIEW_WHERE);
	fputs("}},\n\"show uma\": ", f);
	sim_uma_write_ddb(f);
	fputs(",\n\"malloc-types\": {\"malloc-statistics\": {\"memory\": ", f);
	sim_malloc_write_types(f, SIM_VIEW_TRUE);
	fputs("}},\n\"malloc-types --compat kvm\": {\"malloc-statistics\": {\"memory\": ", f);
	sim_malloc_write_types(f, SIM_VIEW_KVM);
	fputs("}},\n\"ledger\": {\"kegs\": ", f);
	sim_uma_write_kegs(f);
	fputs(",\n\"malloc_types\": ", f);
	sim_malloc_write_owners(f);
	fputs(",\n\"malloc_large\": ", f);
	sim_malloc_write_large(f);
	fputs(",\n\"kmem\": ", f);
	sim_malloc_write_kmem(f);
	fputs(",\n\"leak\": ", f);
	if (sc->write_leak != NULL)
		sc->write_leak(f);
	else
		fputs("null", f);
	fputs("},\n\"kmem-summary\": ", f);
	sim_write_kmem_summary(f);
	fputs(",\n\"vmstat -z\": ", f);
	write_text(f, sim_uma_write_vmstat);
	fputs(",\n\"vmstat -m\": ", f);
	write_text(f, sim_malloc_write_vmstat);
	if (extra != NULL) {
		fputs(",\n\"sparse\": ", f);
		extra(f);
	}
	fputs("}\n", f);
	if (fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}
