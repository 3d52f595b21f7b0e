/*
 * Contract fixture: structs shaped like the ones kmemdbg reads from FreeBSD kernels, and the
 * ground truth about them from the C compiler itself (offsetof/sizeof, addresses), printed as
 * one JSON line on stdout.  Then it waits to be attached to (live tests) or dumped (core tests).
 *
 *   fixture            print ground truth, then sleep until killed
 *   fixture CORE       print ground truth, write CORE with sim_dump_core (if linked in), exit
 */
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixmod.h"

typedef uint64_t *counter_u64_t;		/* counter(9) */

struct flex {					/* flexible array member, like uz_cpu[] in 12+ */
	int	f_count;
	long	f_items[];
};

struct one {					/* the pre-C99 spelling, like uz_cpu[1] before 12 */
	int	o_count;
	long	o_items[1];
};

enum color { RED, GREEN, BLUE };

struct entry {
	LIST_ENTRY(entry) e_link;
	const char	*e_name;
	union {					/* anonymous union holding an anonymous struct */
		struct {
			int	e_a;
			int	e_b;
		};
		uint64_t e_both;
	};
	unsigned int	 e_flags:3;
	unsigned int	 e_kind:5;
	int		 e_signed:4;
	counter_u64_t	 e_counter;
	u_long		 e_size;
	struct flex	*e_flex;
	char		 e_buf[16];
	int		 e_matrix[2][3];
	uint8_t		 e_small;
	int16_t		 e_neg;
	enum color	 e_color;
	_Bool		 e_bool;
	void		(*e_fn)(void);
	double		 e_dbl;
	struct one	 e_one;
};

LIST_HEAD(entry_list, entry);
static struct entry_list fixture_entries = LIST_HEAD_INITIALIZER(fixture_entries);

typedef struct entry *foo_t;
foo_t zone_foo;
foo_t zone_bar;
static foo_t zone_static;
struct entry *not_a_zone;			/* same type, spelled without the typedef */

const char *fixture_name = "fixture-name";
uint64_t fixture_counter_storage[4] = { 1, 2, 3, 4 };
counter_u64_t fixture_counter = fixture_counter_storage;
long fixture_array[5] = { 10, 20, 30, 40, 50 };
/*
 * Four read-only pages, only the last 8 bytes of the first one non-zero: its own mapping whose
 * zero tail a core writer may leave out of the file (p_filesz < p_memsz), read back as zeros.
 */
static unsigned char *zero_tail;
volatile unsigned long fixture_ticks;		/* advances while the process runs (resume tests) */

static struct entry e1, e2;
static struct flex *flexp;
static int fixture_func_line;

void
fixture_func(void)
{
	fixture_func_line = __LINE__;
}

#ifdef HAVE_SIM_DUMP_CORE
int sim_dump_core(const char *path);
#endif

/* Absolute bit position and width of a bit-field, found by setting it in a zeroed struct. */
#define BITFIELD(name) do {						\
	struct entry z;							\
	unsigned char *p = (unsigned char *)&z;				\
	int first = -1, n = 0;						\
	memset(&z, 0, sizeof(z));					\
	z.name = -1;							\
	for (size_t i = 0; i < sizeof(z) * 8; i++)			\
		if (p[i / 8] & (1u << (i % 8))) {			\
			if (first < 0)					\
				first = (int)i;				\
			n++;						\
		}							\
	printf("%s\"%s\": [%d, %d]", sep, #name, first, n);		\
	sep = ", ";							\
} while (0)

#define FIELD(type, name) do {						\
	printf("%s\"%s\": [%zu, %zu]", sep, #name, offsetof(type, name),	\
	    sizeof(((type *)0)->name));					\
	sep = ", ";							\
} while (0)

#define SYM(name, addr) do {						\
	printf("%s\"%s\": %llu", sep, name,				\
	    (unsigned long long)(uintptr_t)(addr));			\
	sep = ", ";							\
} while (0)

int
main(int argc, char **argv)
{
	const char *sep;
	static long flexbuf[8];

	flexp = (struct flex *)flexbuf;
	flexp->f_count = 3;
	e1.e_name = "entry-one";
	e1.e_a = 7;
	e1.e_b = -9;
	e1.e_flags = 5;
	e1.e_kind = 17;
	e1.e_signed = -3;
	e1.e_counter = fixture_counter_storage;
	e1.e_size = 123456789;
	e1.e_flex = flexp;
	strcpy(e1.e_buf, "buf");
	e1.e_small = 200;
	e1.e_neg = -1234;
	e1.e_color = BLUE;
	e1.e_bool = 1;
	e1.e_fn = fixture_func;
	e1.e_one.o_count = 1;
	e2.e_name = "entry-two";
	LIST_INSERT_HEAD(&fixture_entries, &e2, e_link);
	LIST_INSERT_HEAD(&fixture_entries, &e1, e_link);
	zone_foo = &e1;
	zone_bar = &e2;
	zone_static = &e1;
	fixture_func();
	zero_tail = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (zero_tail == MAP_FAILED)
		return (1);
	memset(zero_tail + 4096 - 8, 0xab, 8);
	mprotect(zero_tail, 4 * 4096, PROT_READ);

	printf("{\"pointer_size\": %zu, ", sizeof(void *));
	printf("\"layouts\": {\"struct entry\": {\"size\": %zu, \"fields\": {", sizeof(struct entry));
	sep = "";
	FIELD(struct entry, e_link);
	FIELD(struct entry, e_link.le_next);
	FIELD(struct entry, e_name);
	FIELD(struct entry, e_a);
	FIELD(struct entry, e_b);
	FIELD(struct entry, e_both);
	FIELD(struct entry, e_counter);
	FIELD(struct entry, e_size);
	FIELD(struct entry, e_flex);
	FIELD(struct entry, e_buf);
	FIELD(struct entry, e_matrix);
	FIELD(struct entry, e_small);
	FIELD(struct entry, e_neg);
	FIELD(struct entry, e_color);
	FIELD(struct entry, e_bool);
	FIELD(struct entry, e_fn);
	FIELD(struct entry, e_dbl);
	FIELD(struct entry, e_one);
	printf("}}, \"struct flex\": {\"size\": %zu, \"fields\": {", sizeof(struct flex));
	sep = "";
	FIELD(struct flex, f_count);
	printf("%s\"f_items\": [%zu, 0]", sep, offsetof(struct flex, f_items));
	printf("}}, \"struct one\": {\"size\": %zu, \"fields\": {", sizeof(struct one));
	sep = "";
	FIELD(struct one, o_count);
	FIELD(struct one, o_items);
	printf("}}, \"struct modinfo\": {\"size\": %zu, \"fields\": {", sizeof(struct modinfo));
	sep = "";
	FIELD(struct modinfo, mi_name);
	FIELD(struct modinfo, mi_refs);
	FIELD(struct modinfo, mi_size);
	printf("}}, \"struct entry_list\": {\"size\": %zu, \"fields\": {",
	    sizeof(struct entry_list));
	sep = "";
	FIELD(struct entry_list, lh_first);
	printf("}}}, \"bitfields\": {");
	sep = "";
	BITFIELD(e_flags);
	BITFIELD(e_kind);
	BITFIELD(e_signed);
	printf("}, \"sizes\": {\"counter_u64_t\": %zu, \"u_long\": %zu, \"foo_t\": %zu, "
	    "\"struct entry\": %zu, \"int\": %zu, \"enum color\": %zu}, ",
	    sizeof(counter_u64_t), sizeof(u_long), sizeof(foo_t), sizeof(struct entry),
	    sizeof(int), sizeof(enum color));
	printf("\"symbols\": {");
	sep = "";
	SYM("fixture_entries", &fixture_entries);
	SYM("zone_foo", &zone_foo);
	SYM("zone_bar", &zone_bar);
	SYM("zone_static", &zone_static);
	SYM("not_a_zone", &not_a_zone);
	SYM("fixture_name", &fixture_name);
	SYM("fixture_counter", &fixture_counter);
	SYM("fixture_array", fixture_array);
	SYM("fixture_func", (void *)fixture_func);
	SYM("e1", &e1);
	SYM("e2", &e2);
	SYM("fixmod_info", fixmod_info_addr());
	SYM("fixmod_static", fixmod_static_addr());
	SYM("fixmod_func", fixmod_func_addr());
	printf("}, \"values\": {");
	sep = "";
	SYM("fixture_name_literal", fixture_name);
	SYM("e1_name_literal", e1.e_name);
	SYM("e_flags", e1.e_flags);
	SYM("e_kind", e1.e_kind);
	SYM("zero_tail", zero_tail);
	printf(", \"e_signed\": %d", e1.e_signed);
	printf("}, \"lines\": {\"fixture_func\": %d, \"fixmod_func\": %d}}\n",
	    fixture_func_line, fixmod_func_line());
	fflush(stdout);

	if (argc > 1) {
#ifdef HAVE_SIM_DUMP_CORE
		return sim_dump_core(argv[1]) == 0 ? 0 : 1;
#else
		fprintf(stderr, "fixture: built without sim_dump_core\n");
		return 2;
#endif
	}
	for (;;) {
		fixture_ticks++;
		usleep(1000);
	}
}
