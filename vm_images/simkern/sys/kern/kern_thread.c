/*
 * Threads: struct thread from "THREAD", on its process's p_threads (TAILQ td_plist), with a
 * kernel stack of KSTACK_PAGES pages at td_kstack.  Kernel stacks are not kmem items: they come
 * from their own mapping (the kernel's kstack KVA), reused through a free list and cleared when a
 * thread is freed, so a live thread's stack holds its pcb (at the top, as cpu_thread_alloc puts
 * it: every live stack has a page the core must keep) and the pointers its simulated frames
 * hold -- sim_thread_stack_hold, recorded in the reachability ledger as root "kstack".
 */
#include <sys/malloc.h>
#include <sys/pcpu.h>
#include <sys/queue.h>
#include <vm/uma.h>

#include <string.h>
#include <sys/mman.h>

#include "sim/reach.h"
#include "sim/scenario.h"

#if defined(__i386__)
#define THREAD_SIZE	(SIM_ERA <= 6 ? 560 : 760)
#define KSTACK_PAGES	2
#else
#define THREAD_SIZE	(SIM_ERA <= 9 ? 1112 : SIM_ERA <= 12 ? 1256 : 1408)
#define KSTACK_PAGES	4
#endif
#define KSTACK_POOL	256		/* stacks in the kstack mapping */

struct proc;

/* Member names and order of sys/proc.h (the first members; the item size is the era's). */
struct thread {
	void		*td_lock;
	struct proc	*td_proc;
	TAILQ_ENTRY(thread) td_plist;		/* p_threads */
	int		td_tid;
	char		td_name[20];
	uintptr_t	td_kstack;		/* vm_offset_t: the kernel stack */
	int		td_kstack_pages;
	struct pcb	*td_pcb;		/* at the top of the kernel stack */
};

/* Registers saved at a context switch (machine/pcb.h; the members a switch frame needs). */
struct pcb {
	uintptr_t	pcb_rbx, pcb_rsp, pcb_rbp, pcb_rip;
	uintptr_t	pcb_spare[12];
};

TAILQ_HEAD(threadqueue, thread);

uma_zone_t thread_zone;
static int tid_next = 100000;		/* PID_MAX + 1, as tid_alloc starts */
static char *kstack_base;
static int kstack_free[KSTACK_POOL], kstack_nfree = -1;

static const struct sim_reach_kind k_thread = { "struct thread", NULL };

void threadinit(void);

void
threadinit(void)
{
	thread_zone = uma_zcreate("THREAD", THREAD_SIZE, NULL, NULL, NULL, NULL,
	    UMA_ALIGN_CACHE, 0);
}

static uintptr_t
kstack_alloc(void)
{
	int i;

	if (kstack_nfree < 0) {
		kstack_base = mmap(NULL, (size_t)KSTACK_POOL * KSTACK_PAGES * PAGE_SIZE,
		    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (kstack_base == MAP_FAILED)
			kstack_base = NULL;
		for (i = 0; i < KSTACK_POOL; i++)
			kstack_free[i] = KSTACK_POOL - 1 - i;
		kstack_nfree = kstack_base != NULL ? KSTACK_POOL : 0;
	}
	if (kstack_nfree == 0)
		return (0);
	return ((uintptr_t)(kstack_base +
	    (size_t)kstack_free[--kstack_nfree] * KSTACK_PAGES * PAGE_SIZE));
}

static void
kstack_release(uintptr_t ks)
{
	if (ks == 0)
		return;
	memset((void *)ks, 0, KSTACK_PAGES * PAGE_SIZE);
	kstack_free[kstack_nfree++] = (int)(((char *)ks - kstack_base) / (KSTACK_PAGES * PAGE_SIZE));
}

void *
sim_thread_alloc(void)
{
	struct thread *td;

	td = uma_zalloc(thread_zone, M_WAITOK | M_ZERO);
	if (td == NULL)
		return (NULL);
	td->td_tid = tid_next++;
	td->td_kstack = kstack_alloc();
	td->td_kstack_pages = td->td_kstack != 0 ? KSTACK_PAGES : 0;
	if (td->td_kstack != 0) {
		/* cpu_thread_alloc: the pcb at the stack's top; the switch frame just below it */
		td->td_pcb = (struct pcb *)(td->td_kstack + KSTACK_PAGES * PAGE_SIZE) - 1;
		td->td_pcb->pcb_rsp = (uintptr_t)td->td_pcb - 8 * sizeof(void *);
		td->td_pcb->pcb_rbp = td->td_pcb->pcb_rsp;
	}
	return (td);
}

void
sim_thread_free(void *p)
{
	struct thread *td = p;

	kstack_release(td->td_kstack);
	sim_reach_freed(td);
	uma_zfree(thread_zone, td);
}

/* thread_link: `td` joins process `p` (its p_threads list at `head`). */
void
sim_thread_link(void *p, void *head, void *tdp)
{
	struct thread *td = tdp;

	td->td_proc = p;
	TAILQ_INSERT_TAIL((struct threadqueue *)head, td, td_plist);
	sim_reach_listed(td, &k_thread, p, NULL, head, offsetof(struct thread, td_plist),
	    "p_threads", 0);
}

void
sim_thread_unlink(void *head, void *tdp)
{
	TAILQ_REMOVE((struct threadqueue *)head, (struct thread *)tdp, td_plist);
}

/* The last thread on the p_threads list at `head`, or NULL. */
void *
sim_thread_last(void *head)
{
	struct thread *td, *last = NULL;

	TAILQ_FOREACH(td, (struct threadqueue *)head, td_plist)
		last = td;
	return (last);
}

/*
 * A frame of `td`'s kernel stack holds `item` (a local variable of a sleeping function): the
 * pointer goes into slot `slot` (counted down from the stack top).  Returns 0, or -1 when the
 * thread has no stack.
 */
int
sim_thread_stack_hold(void *tdp, int slot, void *item, const struct sim_reach_kind *k)
{
	struct thread *td = tdp;
	void **at;

	if (td == NULL || td->td_kstack == 0)
		return (-1);
	at = (void **)td->td_pcb - 8 - 4 * slot;	/* below the switch frame */
	*at = item;
	sim_reach_held(item, k, NULL, "kstack", at, "td_kstack of tid %d", td->td_tid);
	return (0);
}

/*
 * thread_exit: `td` has left its process (sim_thread_unlink) and switched away for the last
 * time; until the next thread_reap frees it, only CPU `cpu`'s pc_deadthread points at it.
 */
void
sim_thread_park_dead(void *tdp, int cpu)
{
	struct pcpu *pc = pcpu_find(cpu);

	pc->pc_deadthread = tdp;
	sim_reach_held(tdp, &k_thread, NULL, "pcpu", &pc->pc_deadthread, "[%d].pc_deadthread",
	    cpu);
}
