/*
 * kmemdbg VM: the machine under the simulated kernel when it boots on (emulated) hardware.
 *
 *   - COM1 serial console (stdout/stderr), polled; input 'l' reprints the last ledger;
 *   - i8259 PIC + i8254 PIT at VM_HZ, IRQ0 counts vm_jiffies (assembly stubs in arch_*.S);
 *   - a page allocator over the guest RAM above the image (multiboot memory info);
 *   - the kernel command line (multiboot, QEMU -append): "NAME=VALUE ... -- ARGS...", NAME=VALUE
 *     words become the environment (getenv), the words after "--" the simulator's argv;
 *   - the ledger: every time the simulator renames its expected.json into place (sim/main.c
 *     --live does so after each tick) the JSON stays in memory (vm_ledger_json) and is printed
 *     on the console between markers
 *         === KMEMDBG LEDGER BEGIN tick=N bytes=M ===
 *         ...expected.json...
 *         === KMEMDBG LEDGER END tick=N ===
 *     every VM_PRINT_EVERY-th time (environment, default 1; 0 = only on demand).
 *   - the quiescent point: usleep() halts here with vm_idle = 1 until the next tick is due; while
 *     vm_idle is 1 the kernel structures are exactly what vm_ledger_json describes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

#define VM_HZ		100
#define COM1		0x3f8

#ifdef __x86_64__
#define KERNBASE	0xffffffff80000000ul
#define PHYS_TO_VIRT(p)	((char *)((uintptr_t)(p) + KERNBASE))
#define VIRT_TO_PHYS(v)	((uintptr_t)(v) - KERNBASE)
#else
#define PHYS_TO_VIRT(p)	((char *)(uintptr_t)(p))
#define VIRT_TO_PHYS(v)	((uintptr_t)(v))
#endif

int main(int argc, char **argv);

extern char _end[];
extern void *vm_isr_table[48];

/* State a debugger may look at. */
volatile unsigned long vm_jiffies;	/* timer interrupts since boot (VM_HZ per second) */
volatile int vm_idle;			/* 1: halted between ticks, structures == vm_ledger_json */
volatile int vm_print_request;		/* set by a debugger: print the ledger at the next wakeup */
const char *volatile vm_ledger_json;	/* the last expected.json the simulator wrote */
volatile size_t vm_ledger_len;
volatile int vm_ledger_tick = -1;	/* its "tick" */
volatile int vm_ledger_count;		/* how many were written */
volatile int vm_halted = -1;		/* exit status once halted */
unsigned long vm_ram_bytes;
char vm_cmdline[1024];

char **vm_env;
int vm_nenv;
static int vm_print_every = 1;

static inline void
outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t
inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return (v);
}

/* ---- console ----------------------------------------------------------------------------------- */

static void
serial_init(void)
{
	outb(COM1 + 1, 0x00);		/* no interrupts */
	outb(COM1 + 3, 0x80);		/* DLAB */
	outb(COM1 + 0, 0x01);		/* 115200 */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);		/* 8N1 */
	outb(COM1 + 2, 0xc7);		/* FIFO */
	outb(COM1 + 4, 0x03);
}

void
vm_console_write(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int spin = 100000;

		while ((inb(COM1 + 5) & 0x20) == 0 && --spin)
			;
		outb(COM1, (uint8_t)s[i]);
	}
}

static void
console_str(const char *s)
{
	vm_console_write(s, strlen(s));
}

/* ---- pages of guest RAM --------------------------------------------------------------------- */

static char *pg_base;			/* first page of the pool (virtual) */
static size_t pg_count;
static uint8_t *pg_used;		/* one byte per page: simple and debuggable */
static size_t pg_hint;

static void
pages_init(uintptr_t phys_start, uintptr_t phys_end)
{
	size_t meta;

	phys_start = (phys_start + 4095) & ~(uintptr_t)4095;
	pg_count = (phys_end - phys_start) / 4096;
	meta = (pg_count + 4095) / 4096;		/* pages for the map itself */
	pg_used = (uint8_t *)PHYS_TO_VIRT(phys_start);
	memset(pg_used, 0, meta * 4096);
	pg_base = PHYS_TO_VIRT(phys_start + meta * 4096);
	pg_count -= meta;
}

void *
vm_pages_take(size_t n)
{
	size_t i, run = 0;

	for (i = pg_hint; i < pg_count; i++) {
		if (pg_used[i]) {
			run = 0;
			continue;
		}
		if (++run == n) {
			size_t first = i + 1 - n, j;

			for (j = first; j <= i; j++)
				pg_used[j] = 1;
			if (first == pg_hint)
				while (pg_hint < pg_count && pg_used[pg_hint])
					pg_hint++;
			return (pg_base + first * 4096);
		}
	}
	return (NULL);
}

void
vm_pages_give(void *va, size_t n)
{
	size_t first = ((char *)va - pg_base) / 4096, j;

	for (j = first; j < first + n && j < pg_count; j++)
		pg_used[j] = 0;
	if (first < pg_hint)
		pg_hint = first;
}

/* ---- interrupts --------------------------------------------------------------------------------- */

#ifdef __x86_64__
struct gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));
struct dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));
#else
struct gate {
	uint16_t off0, sel;
	uint8_t zero, type;
	uint16_t off1;
} __attribute__((packed));
struct dtr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));
#endif

static struct gate idt[48] __attribute__((aligned(16)));

static void
intr_init(void)
{
	struct dtr d;
	int i;

	for (i = 0; i < 48; i++) {
		uintptr_t a = (uintptr_t)vm_isr_table[i];

		idt[i].off0 = a & 0xffff;
		idt[i].sel = 0x08;
		idt[i].type = 0x8e;		/* present, interrupt gate */
		idt[i].off1 = (a >> 16) & 0xffff;
#ifdef __x86_64__
		idt[i].off2 = (uint32_t)(a >> 32);
#endif
	}
	d.limit = sizeof(idt) - 1;
	d.base = (uintptr_t)idt;
	__asm__ volatile("lidt %0" : : "m"(d));

	/* PICs: IRQ 0-15 -> vectors 32-47, only IRQ0 (timer) unmasked */
	outb(0x20, 0x11); outb(0xa0, 0x11);
	outb(0x21, 0x20); outb(0xa1, 0x28);
	outb(0x21, 0x04); outb(0xa1, 0x02);
	outb(0x21, 0x01); outb(0xa1, 0x01);
	outb(0x21, 0xfe); outb(0xa1, 0xff);
	/* PIT channel 0, rate generator */
	outb(0x43, 0x34);
	outb(0x40, (1193182 / VM_HZ) & 0xff);
	outb(0x40, (1193182 / VM_HZ) >> 8);
	__asm__ volatile("sti");
}

void vm_exception(unsigned long vec, unsigned long *frame);

void
vm_exception(unsigned long vec, unsigned long *frame)
{
	unsigned long cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	fprintf(stderr, "\nVM: trap %lu, frame %p: %lx %lx %lx %lx, cr2 %lx\n", vec, (void *)frame,
	    frame[0], frame[1], frame[2], frame[3], cr2);
	vm_halt("fatal trap", 3);
}

/* ---- ledger ----------------------------------------------------------------------------------- */

static void
ledger_print(void)
{
	char hdr[96];

	if (vm_ledger_json == NULL) {
		console_str("\n=== KMEMDBG LEDGER NONE ===\n");
		return;
	}
	snprintf(hdr, sizeof(hdr), "\n=== KMEMDBG LEDGER BEGIN tick=%d bytes=%lu ===\n",
	    vm_ledger_tick, (unsigned long)vm_ledger_len);
	console_str(hdr);
	vm_console_write(vm_ledger_json, vm_ledger_len);
	if (vm_ledger_len == 0 || vm_ledger_json[vm_ledger_len - 1] != '\n')
		console_str("\n");
	snprintf(hdr, sizeof(hdr), "=== KMEMDBG LEDGER END tick=%d ===\n", vm_ledger_tick);
	console_str(hdr);
}

void
vm_file_renamed(const char *name, const char *buf, size_t len)
{
	const char *t;

	if (strcmp(name, "expected.json") != 0)
		return;
	vm_ledger_json = buf;
	vm_ledger_len = len;
	t = strstr(buf, "\"tick\": ");
	vm_ledger_tick = t ? atoi(t + 8) : -1;
	vm_ledger_count++;
	if (vm_print_every > 0 && vm_ledger_count % vm_print_every == 0)
		ledger_print();
}

/* Entered at every quiescent point (a debugger may put a breakpoint here). */
void __attribute__((noinline))
vm_idle_point(void)
{
	__asm__ volatile("" ::: "memory");
}

static void
poll_input(void)
{
	while (inb(COM1 + 5) & 1) {
		char c = (char)inb(COM1);

		if (c == 'l')
			vm_print_request = 1;
	}
	if (vm_print_request) {
		vm_print_request = 0;
		ledger_print();
	}
}

void
vm_idle_wait(uint64_t usec)
{
	unsigned long until = vm_jiffies + (unsigned long)((usec + 1000000 / VM_HZ - 1) /
	    (1000000 / VM_HZ));

	vm_idle = 1;
	vm_idle_point();
	while ((long)(vm_jiffies - until) < 0) {
		poll_input();
		__asm__ volatile("sti; hlt" ::: "memory");
	}
	poll_input();
	vm_idle = 0;
}

void
vm_halt(const char *why, int status)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "\n=== KMEMDBG HALTED %s status=%d ===\n", why, status);
	console_str(msg);
	vm_halted = status;
	vm_idle = 1;		/* nothing changes any more */
	if (getenv("VM_EXIT") != NULL)
		outb(0xf4, (uint8_t)status);	/* isa-debug-exit, when present */
	for (;;) {
		poll_input();
		__asm__ volatile("sti; hlt" ::: "memory");
	}
}

/* The ELF core writer is a host feature; on the VM take a dump with QEMU's dump-guest-memory. */
int sim_dump_core(const char *path);

int
sim_dump_core(const char *path)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "=== KMEMDBG DUMP POINT %s (use dump-guest-memory) ===\n", path);
	console_str(msg);
	return (0);
}

/* Sparse cores come from the host writer only; the VM's dump is QEMU's. */
int sim_dump_core_sparse(const char *path, const uintptr_t (*holes)[2], size_t nholes);

int
sim_dump_core_sparse(const char *path, const uintptr_t (*holes)[2], size_t nholes)
{
	(void)holes;
	(void)nholes;
	return (sim_dump_core(path));
}

/* ---- boot ----------------------------------------------------------------------------------- */

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

int vm_argc;
static char *argv_store[64];
static char *env_store[32];

static void
parse_cmdline(void)
{
	char *p = vm_cmdline, *w;
	int argc_seen = 0, after = 0, first = 1;

	vm_env = env_store;
	argv_store[0] = "kernel";
	argc_seen = 1;
	while (*p) {
		while (*p == ' ')
			*p++ = 0;
		if (*p == 0)
			break;
		w = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = 0;
		if (first && strchr(w, '=') == NULL && strcmp(w, "--") != 0) {
			first = 0;		/* the kernel file name QEMU puts first */
			continue;
		}
		first = 0;
		if (!after && strcmp(w, "--") == 0) {
			after = 1;
			continue;
		}
		if (after || (w[0] == '-' && w[1] == '-')) {
			after = 1;
			if (argc_seen < 63)
				argv_store[argc_seen++] = w;
		} else if (strchr(w, '=') != NULL && vm_nenv < 32) {
			env_store[vm_nenv++] = w;
		}
	}
	argv_store[argc_seen] = NULL;
	vm_argc = argc_seen;
}

void vm_start(uint32_t magic, uint32_t mbi_phys);

void
vm_start(uint32_t magic, uint32_t mbi_phys)
{
	struct mb_info *mbi = (struct mb_info *)PHYS_TO_VIRT(mbi_phys);
	uintptr_t ram_end = 0x100000 + 64ul * 1024 * 1024;
	const char *e;
	char msg[160];
	int r;

	serial_init();
	if (magic == 0x2badb002) {
		if (mbi->flags & 1)
			ram_end = 0x100000 + (uintptr_t)mbi->mem_upper * 1024;
		if ((mbi->flags & 4) && mbi->cmdline != 0)
			strncpy(vm_cmdline, PHYS_TO_VIRT(mbi->cmdline), sizeof(vm_cmdline) - 1);
	}
#ifdef __x86_64__
	if (ram_end > (1ul << 30))
		ram_end = 1ul << 30;		/* the boot page tables map 1 GiB */
#endif
	vm_ram_bytes = ram_end;
	/* the pool starts past the image and the multiboot data QEMU put after it */
	pages_init(VIRT_TO_PHYS(_end) + 256 * 1024, ram_end);
	parse_cmdline();
	if ((e = getenv("VM_PRINT_EVERY")) != NULL)
		vm_print_every = atoi(e);
	snprintf(msg, sizeof(msg), "\n=== KMEMDBG VM BOOT ram=%luK pool=%lu pages ===\n",
	    (unsigned long)(ram_end / 1024), (unsigned long)pg_count);
	console_str(msg);
	intr_init();
	r = main(vm_argc, argv_store);
	vm_halt("main returned", r);
}
