/*
 * sim_dump_core(): the simulated kernel writes its own ELF core (the vmcore stand-in).
 *
 * Why not let Linux dump core: core_pattern and the core ulimit belong to the machine (systemd-
 * coredump pipes, ulimit 0), a kernel core kills the process, and we want several cores of one
 * run at chosen ticks, deterministic file names and a say in which mappings are kept.
 *
 * The core has the same shape as a Linux one, so gdb and lldb open it unaided:
 *   ELF header (ET_CORE), program headers: one PT_NOTE, then a PT_LOAD per readable mapping in
 *   address order; the note segment; page-aligned contents of each PT_LOAD.
 * Notes ("CORE"): NT_PRSTATUS (registers of the calling thread), NT_PRPSINFO, NT_AUXV (the
 * debuggers find the dynamic linker and the program's load address through it, then walk
 * r_debug's link_map in memory to list shared objects, dlopen()ed ones included) and NT_FILE
 * (which file backs which range, so that memory left out of the core is read from the files).
 *
 * What goes in: anonymous memory ([heap], [stack], arenas; trailing zero pages trimmed, so
 * p_filesz < p_memsz and the debuggers read zeros there), [vdso], every writable file mapping,
 * and the read-only file mappings of the executable and of any file under its directory (the
 * modules): lldb reads a core's read-only data (string literals such as zone names) only from
 * the core, and the executable's read-only-after-relocation page holds .dynamic, whose DT_DEBUG
 * entry (0 in the file, set by the dynamic linker) leads both debuggers to r_debug: without it
 * neither lists any shared object.  Other libraries' read-only mappings get a PT_LOAD with
 * p_filesz 0: the debuggers read them from the files named in NT_FILE.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64 /* /proc/self/mem offsets are addresses: above 2 GB on i386 too */

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <ucontext.h>
#include <unistd.h>

#include "sim.h"

#if defined(__x86_64__)
#define CORE_MACHINE EM_X86_64
#elif defined(__i386__)
#define CORE_MACHINE EM_386
#else
#error "sim_core.c: x86_64 and i386 only"
#endif
#define CORE_CLASS (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32)

/* NT_PRSTATUS's pr_reg is the kernel's user_regs_struct; debuggers find it at a fixed offset. */
_Static_assert(sizeof(struct user_regs_struct) == sizeof(elf_gregset_t), "pr_reg layout");
_Static_assert(offsetof(struct elf_prstatus, pr_reg) == (sizeof(void *) == 8 ? 112 : 72),
	       "elf_prstatus layout differs from the kernel's (built with _TIME_BITS=64?)");

#define PAGE SIM_PAGE_SIZE
#define CHUNK (1024 * 1024) /* bytes read from /proc/self/mem at a time */

/* One line of /proc/self/maps. */
struct mapping {
	uintptr_t start, end;
	uint64_t offset;  /* offset in the backing file */
	ElfW(Word) flags; /* PF_R / PF_W / PF_X */
	int is_file;      /* backed by a file (the name is a path): goes into NT_FILE */
	enum { SKIP, EMPTY, FULL, TRIM } dump; /* no PT_LOAD / p_filesz 0 / all / zero tail cut */
	const char *name; /* points into the maps text; "" when anonymous */
	ElfW(Off) file_off;
	size_t filesz;
};

/* Scratch memory comes from mmap, never malloc: the heap is part of what we dump. */
static void *
scratch(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static size_t
round_page(size_t n)
{
	return (n + PAGE - 1) & ~(size_t)(PAGE - 1);
}

/* Read a whole /proc file into a fresh mapping (NUL-terminated); *cap is its size. */
static char *
read_proc(const char *path, size_t *len, size_t *cap)
{
	size_t size = 64 * 1024;

	for (;;) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		char *buf;
		size_t n = 0;
		ssize_t r = 0;

		if (fd < 0)
			return NULL;
		if ((buf = scratch(size)) == NULL) {
			close(fd);
			return NULL;
		}
		while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
			n += (size_t)r;
		close(fd);
		if (r < 0) {
			munmap(buf, size);
			return NULL;
		}
		if (n < size - 1) { /* hit EOF before the buffer filled up */
			buf[n] = '\0';
			*len = n;
			*cap = size;
			return buf;
		}
		munmap(buf, size);
		size *= 2;
	}
}

/* Small /proc text file (comm, cmdline) into buf; returns the length read. */
static size_t
read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return 0;
	r = read(fd, buf, size);
	close(fd);
	return r > 0 ? (size_t)r : 0;
}

/* Parse the maps text in place (names get NUL-terminated); returns the number of mappings. */
static size_t
parse_maps(char *text, struct mapping *m, size_t max)
{
	size_t n = 0;
	char *line = text, *next, *p;

	for (; *line != '\0' && n < max; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		/* start-end perms offset dev inode name */
		memset(&m[n], 0, sizeof(m[n]));
		m[n].start = (uintptr_t)strtoull(line, &p, 16);
		m[n].end = (uintptr_t)strtoull(p + 1, &p, 16);
		p++;
		m[n].flags = (p[0] == 'r' ? PF_R : 0) | (p[1] == 'w' ? PF_W : 0) |
			     (p[2] == 'x' ? PF_X : 0);
		p += 4;
		m[n].offset = strtoull(p, &p, 16);
		while (*p == ' ')
			p++;
		p = strchr(p, ' '); /* skip dev */
		if (p == NULL)
			continue;
		strtoull(p, &p, 10); /* skip inode */
		while (*p == ' ')
			p++;
		m[n].name = p;
		m[n].is_file = p[0] == '/';
		n++;
	}
	return n;
}

/*
 * The buffer holding the maps text was itself mapped when maps was read: cut [lo, hi) out of the
 * mapping list (the kernel may have merged it with a neighbouring anonymous mapping).
 */
static size_t
clip_out(struct mapping *m, size_t n, uintptr_t lo, uintptr_t hi)
{
	for (size_t i = 0; i < n; i++) {
		if (m[i].end <= lo || m[i].start >= hi)
			continue;
		if (m[i].start >= lo && m[i].end <= hi) {
			memmove(&m[i], &m[i + 1], (n - i - 1) * sizeof(m[0]));
			n--;
			i--;
		} else if (m[i].start < lo && m[i].end > hi) {
			memmove(&m[i + 1], &m[i], (n - i) * sizeof(m[0]));
			m[i].end = lo;
			m[i + 1].start = hi;
			n++;
			i++;
		} else if (m[i].start < lo) {
			m[i].end = lo;
		} else {
			m[i].start = hi;
		}
	}
	return n;
}

/* Decide what of each mapping the core holds. */
static void
choose(struct mapping *m, size_t n, const char *exe_dir)
{
	size_t dirlen = strlen(exe_dir);

	for (size_t i = 0; i < n; i++) {
		const char *name = m[i].name;

		if (!(m[i].flags & PF_R) || strncmp(name, "[vvar", 5) == 0 ||
		    strcmp(name, "[vsyscall]") == 0)
			m[i].dump = SKIP; /* kernel pages: not ours, some unreadable */
		else if (!m[i].is_file)
			m[i].dump = TRIM; /* anonymous, [heap], [stack], [vdso] */
		else if ((m[i].flags & PF_W) || strncmp(name, exe_dir, dirlen) == 0)
			/*
			 * Never trimmed: a debugger reads what is beyond p_filesz of a file mapping
			 * from the file (NT_FILE), not as zeros.
			 */
			m[i].dump = FULL;
		else
			m[i].dump = EMPTY;
	}
}

/* ELF note: header, name padded to 4, descriptor padded to 4 (also in 64-bit cores). */
static size_t
note_size(size_t descsz)
{
	return sizeof(ElfW(Nhdr)) + 8 /* "CORE\0" padded */ + ((descsz + 3) & ~(size_t)3);
}

static char *
put_note(char *p, ElfW(Word) type, const void *desc, size_t descsz)
{
	ElfW(Nhdr) nh = { .n_namesz = 5, .n_descsz = (ElfW(Word))descsz, .n_type = type };

	memcpy(p, &nh, sizeof(nh));
	memcpy(p + sizeof(nh), "CORE\0\0\0", 8);
	memcpy(p + sizeof(nh) + 8, desc, descsz);
	return p + note_size(descsz);
}

/* The general registers in the kernel's order, from getcontext() taken in sim_dump_core. */
static void
fill_regs(struct user_regs_struct *r, const ucontext_t *uc)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	unsigned short cs, ss, ds, es, fs, gs;

	__asm__("mov %%cs,%0; mov %%ss,%1; mov %%ds,%2; mov %%es,%3; mov %%fs,%4; mov %%gs,%5"
		: "=r"(cs), "=r"(ss), "=r"(ds), "=r"(es), "=r"(fs), "=r"(gs));
	memset(r, 0, sizeof(*r));
#if defined(__x86_64__)
	r->r8 = g[REG_R8], r->r9 = g[REG_R9], r->r10 = g[REG_R10], r->r11 = g[REG_R11];
	r->r12 = g[REG_R12], r->r13 = g[REG_R13], r->r14 = g[REG_R14], r->r15 = g[REG_R15];
	r->rdi = g[REG_RDI], r->rsi = g[REG_RSI], r->rbp = g[REG_RBP], r->rbx = g[REG_RBX];
	r->rdx = g[REG_RDX], r->rax = g[REG_RAX], r->rcx = g[REG_RCX], r->rsp = g[REG_RSP];
	r->rip = g[REG_RIP], r->eflags = g[REG_EFL];
	r->orig_rax = (unsigned long)-1; /* not in a system call */
	r->cs = cs, r->ss = ss, r->ds = ds, r->es = es, r->fs = fs, r->gs = gs;
	/* The TLS base: glibc's thread control block starts with a pointer to itself. */
	__asm__("mov %%fs:0,%0" : "=r"(r->fs_base));
#else
	r->ebx = g[REG_EBX], r->ecx = g[REG_ECX], r->edx = g[REG_EDX], r->esi = g[REG_ESI];
	r->edi = g[REG_EDI], r->ebp = g[REG_EBP], r->eax = g[REG_EAX], r->esp = g[REG_ESP];
	r->eip = g[REG_EIP], r->eflags = g[REG_EFL];
	r->orig_eax = -1;
	r->xcs = cs, r->xss = ss, r->xds = ds, r->xes = es, r->xfs = fs, r->xgs = gs;
#endif
}

static int
page_is_zero(const unsigned char *p)
{
	const unsigned long *w = (const unsigned long *)p;

	for (size_t i = 0; i < PAGE / sizeof(*w); i++)
		if (w[i] != 0)
			return 0;
	return 1;
}

static int
pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t r = pwrite(fd, p, len, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r, len -= (size_t)r, off += r;
	}
	return 0;
}

/*
 * Copy a mapping's contents to the core at m->file_off.  All-zero pages are not written (they
 * stay holes of a sparse file), unreadable pages (a file mapping beyond its file's end) count as
 * zero.  Sets m->filesz: the whole mapping, or for TRIM up to its last non-zero page.
 */
static int
copy_mapping(int memfd, int out, struct mapping *m, unsigned char *buf)
{
	size_t size = m->end - m->start, last = 0;

	for (size_t done = 0; done < size; done += CHUNK) {
		size_t len = size - done < CHUNK ? size - done : CHUNK;
		off_t addr = (off_t)(m->start + done);

		if (pread(memfd, buf, len, addr) != (ssize_t)len) {
			/* Something unreadable in the chunk: go page by page. */
			for (size_t pg = 0; pg < len; pg += PAGE)
				if (pread(memfd, buf + pg, PAGE, addr + (off_t)pg) != PAGE)
					memset(buf + pg, 0, PAGE);
		}
		for (size_t pg = 0; pg < len; pg += PAGE) {
			if (page_is_zero(buf + pg))
				continue;
			if (pwrite_all(out, buf + pg, PAGE, (off_t)(m->file_off + done + pg)) < 0)
				return -1;
			last = done + pg + PAGE;
		}
	}
	m->filesz = m->dump == TRIM ? last : size;
	return 0;
}

static __attribute__((noinline)) int
write_core(const char *path, const ucontext_t *uc, const uintptr_t (*holes)[2], size_t nholes)
{
	struct user_regs_struct regs;
	char exe_dir[4096], tmp[4096], auxv[8192], comm[64], cmdline[ELF_PRARGSZ];
	char *maps = NULL, *notes = NULL, *nt_file = NULL;
	unsigned char *buf = NULL;
	struct mapping *m = NULL;
	ElfW(Phdr) *ph = NULL;
	size_t maps_len, maps_cap, n, nmax = 1, nload = 0, nfile = 0, names_len = 0;
	size_t nt_file_size = 0, notes_size, ph_size = 0, m_size = 0, auxv_len;
	ssize_t r;
	int memfd = -1, out = -1, saved;

	fill_regs(&regs, uc);

	if (strlen(path) + 5 > sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(tmp, path);
	strcat(tmp, ".tmp");

	/* The executable's directory, with a trailing '/': files below it are "ours". */
	r = readlink("/proc/self/exe", exe_dir, sizeof(exe_dir) - 1);
	if (r <= 0)
		return -1;
	exe_dir[r] = '\0';
	*(strrchr(exe_dir, '/') + 1) = '\0';

	/* The full list of mappings, read before anything else is mapped. */
	if ((maps = read_proc("/proc/self/maps", &maps_len, &maps_cap)) == NULL)
		return -1;
	for (size_t i = 0; i < maps_len; i++)
		nmax += maps[i] == '\n';
	m_size = round_page((nmax + 1 + nholes) * sizeof(*m));
	if ((m = scratch(m_size)) == NULL)
		goto fail;
	n = parse_maps(maps, m, nmax);
	n = clip_out(m, n, (uintptr_t)maps, (uintptr_t)maps + maps_cap);
	for (size_t h = 0; h < nholes; h++)		/* pages a minidump would not hold */
		n = clip_out(m, n, holes[h][0], holes[h][1]);
	choose(m, n, exe_dir);

	/* NT_FILE: count, page size, {start, end, offset in pages} per file mapping, the names. */
	for (size_t i = 0; i < n; i++) {
		nload += m[i].dump != SKIP;
		if (m[i].is_file) {
			nfile++;
			names_len += strlen(m[i].name) + 1;
		}
	}
	nt_file_size = (2 + 3 * nfile) * sizeof(long) + names_len;
	if (nload + 1 >= PN_XNUM) {
		errno = E2BIG;
		goto fail;
	}
	if ((nt_file = scratch(round_page(nt_file_size))) == NULL)
		goto fail;
	{
		long *w = (long *)nt_file;
		char *s = nt_file + (2 + 3 * nfile) * sizeof(long);

		*w++ = (long)nfile;
		*w++ = PAGE;
		for (size_t i = 0; i < n; i++) {
			if (!m[i].is_file)
				continue;
			*w++ = (long)m[i].start;
			*w++ = (long)m[i].end;
			*w++ = (long)(m[i].offset / PAGE);
			strcpy(s, m[i].name);
			s += strlen(s) + 1;
		}
	}

	auxv_len = read_small("/proc/self/auxv", auxv, sizeof(auxv));

	/* NT_PRSTATUS (this thread; pr_pid is the thread id), NT_PRPSINFO, NT_AUXV, NT_FILE. */
	notes_size = note_size(sizeof(prstatus_t)) + note_size(sizeof(prpsinfo_t)) +
		     note_size(auxv_len) + note_size(nt_file_size);
	if ((notes = scratch(round_page(notes_size))) == NULL)
		goto fail;
	{
		prstatus_t prs;
		prpsinfo_t psi;
		size_t len;
		char *p = notes;

		memset(&prs, 0, sizeof(prs));
		prs.pr_pid = (pid_t)syscall(SYS_gettid);
		prs.pr_ppid = getppid();
		prs.pr_pgrp = getpgrp();
		prs.pr_sid = getsid(0);
		memcpy(&prs.pr_reg, &regs, sizeof(regs));
		p = put_note(p, NT_PRSTATUS, &prs, sizeof(prs));

		memset(&psi, 0, sizeof(psi));
		psi.pr_sname = 'R';
		psi.pr_uid = getuid();
		psi.pr_gid = getgid();
		psi.pr_pid = getpid();
		psi.pr_ppid = prs.pr_ppid;
		psi.pr_pgrp = prs.pr_pgrp;
		psi.pr_sid = prs.pr_sid;
		len = read_small("/proc/self/comm", comm, sizeof(comm) - 1);
		comm[len] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
		memcpy(psi.pr_fname, comm, strnlen(comm, sizeof(psi.pr_fname) - 1));
		len = read_small("/proc/self/cmdline", cmdline, sizeof(cmdline) - 1);
		for (size_t i = 0; i + 1 < len; i++) /* argv is NUL-separated: join with spaces */
			if (cmdline[i] == '\0')
				cmdline[i] = ' ';
		memcpy(psi.pr_psargs, cmdline, len);
		p = put_note(p, NT_PRPSINFO, &psi, sizeof(psi));

		p = put_note(p, NT_AUXV, auxv, auxv_len);
		put_note(p, NT_FILE, nt_file, nt_file_size);
	}

	/* Layout: ELF header, program headers, notes, then page-aligned memory contents. */
	ph_size = round_page((nload + 1) * sizeof(*ph));
	if ((ph = scratch(ph_size)) == NULL || (buf = scratch(CHUNK)) == NULL)
		goto fail;
	memfd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (memfd < 0 || out < 0)
		goto fail;

	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = sizeof(ElfW(Ehdr)) + (nload + 1) * sizeof(*ph);
	ph[0].p_filesz = notes_size;
	ph[0].p_align = 4;
	{
		ElfW(Off) off = round_page(ph[0].p_offset + notes_size);
		size_t k = 1;

		for (size_t i = 0; i < n; i++) {
			if (m[i].dump == SKIP)
				continue;
			m[i].file_off = off;
			if (m[i].dump != EMPTY && copy_mapping(memfd, out, &m[i], buf) < 0)
				goto fail;
			ph[k].p_type = PT_LOAD;
			ph[k].p_flags = m[i].flags;
			ph[k].p_offset = off;
			ph[k].p_vaddr = m[i].start;
			ph[k].p_filesz = m[i].filesz;
			ph[k].p_memsz = m[i].end - m[i].start;
			ph[k].p_align = PAGE;
			off += m[i].filesz;
			k++;
		}
		/* Zero pages at the very end were never written: give the file its full length. */
		if (ftruncate(out, (off_t)off) < 0)
			goto fail;
	}
	{
		ElfW(Ehdr) eh;

		memset(&eh, 0, sizeof(eh));
		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = CORE_CLASS;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		eh.e_ident[EI_OSABI] = ELFOSABI_NONE; /* as Linux writes it */
		eh.e_type = ET_CORE;
		eh.e_machine = CORE_MACHINE;
		eh.e_version = EV_CURRENT;
		eh.e_phoff = sizeof(eh);
		eh.e_ehsize = sizeof(eh);
		eh.e_phentsize = sizeof(*ph);
		eh.e_phnum = (ElfW(Half))(nload + 1);
		if (pwrite_all(out, &eh, sizeof(eh), 0) < 0 ||
		    pwrite_all(out, ph, (nload + 1) * sizeof(*ph), sizeof(eh)) < 0 ||
		    pwrite_all(out, notes, notes_size, (off_t)ph[0].p_offset) < 0)
			goto fail;
	}
	if (close(out) < 0) {
		out = -1;
		goto fail;
	}
	out = -1;
	if (rename(tmp, path) < 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		goto fail;
	}
	close(memfd);
	munmap(maps, maps_cap);
	munmap(m, m_size);
	munmap(nt_file, round_page(nt_file_size));
	munmap(notes, round_page(notes_size));
	munmap(ph, ph_size);
	munmap(buf, CHUNK);
	return 0;

fail:
	saved = errno;
	if (out >= 0) {
		close(out);
		unlink(tmp);
	}
	if (memfd >= 0)
		close(memfd);
	if (maps != NULL)
		munmap(maps, maps_cap);
	if (m != NULL)
		munmap(m, m_size);
	if (nt_file != NULL)
		munmap(nt_file, round_page(nt_file_size));
	if (notes != NULL)
		munmap(notes, round_page(notes_size));
	if (ph != NULL)
		munmap(ph, ph_size);
	if (buf != NULL)
		munmap(buf, CHUNK);
	errno = saved;
	return -1;
}

/*
 * The registers are taken here and the work done in write_core(): this frame stays live below
 * the captured stack pointer, so the debuggers unwind from it to the caller.
 */
int
sim_dump_core(const char *path)
{
	ucontext_t uc;

	if (getcontext(&uc) != 0)
		return -1;
	return write_core(path, &uc, NULL, 0);
}

int
sim_dump_core_sparse(const char *path, const uintptr_t (*holes)[2], size_t nholes)
{
	ucontext_t uc;

	if (getcontext(&uc) != 0)
		return -1;
	return write_core(path, &uc, holes, nholes);
}
