/* Processes: struct proc from "PROC"; each process holds one or more threads. */
#include <sys/malloc.h>
#include <vm/uma.h>

#include <sys/queue.h>

#include "sim/reach.h"
#include "sim/scenario.h"

MALLOC_DEFINE(M_PGRP, "pgrp", "process group header");
MALLOC_DEFINE(M_SESSION, "session", "session header");
MALLOC_DEFINE(M_SUBPROC, "subproc", "Proc sub-structures");

#if defined(__i386__)
#define PROC_SIZE	(SIM_ERA <= 6 ? 580 : 776)
#else
#define PROC_SIZE	(SIM_ERA <= 9 ? 1184 : SIM_ERA <= 12 ? 1232 : 1336)
#endif

#define SIM_MAXTHREADS	4

uma_zone_t proc_zone;

void procinit(void);

void
procinit(void)
{
	proc_zone = uma_zcreate("PROC", PROC_SIZE, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
}

/*
 * Every process is on allproc (LIST p_list) and keeps its threads on p_threads (TAILQ td_plist,
 * kern_thread.c), as proc.h lays them out; p_stats is its M_SUBPROC statistics block.
 */
struct thread;
struct proc {
	LIST_ENTRY(proc) p_list;		/* allproc */
	TAILQ_HEAD(threadqueue, thread) p_threads;
	int	p_numthreads;
	void	*p_stats;			/* M_SUBPROC */
};

LIST_HEAD(proclist, proc);
struct proclist allproc = LIST_HEAD_INITIALIZER(allproc);

static const struct sim_reach_kind k_proc = { "struct proc", NULL };
static const struct sim_reach_kind k_pstats = { "struct pstats", "subproc" };

void *
sim_proc_fork(int nthreads)
{
	struct proc *p;
	struct thread *td;
	int i;

	p = uma_zalloc(proc_zone, M_WAITOK | M_ZERO);
	if (p == NULL)
		return (NULL);
	TAILQ_INIT(&p->p_threads);
	LIST_INSERT_HEAD(&allproc, p, p_list);
	sim_reach_listed(p, &k_proc, NULL, "allproc", &allproc, offsetof(struct proc, p_list), "",
	    0);
	if (nthreads > SIM_MAXTHREADS)
		nthreads = SIM_MAXTHREADS;
	for (i = 0; i < nthreads; i++)
		if ((td = sim_thread_alloc()) != NULL) {
			sim_thread_link(p, &p->p_threads, td);
			p->p_numthreads++;
		}
	p->p_stats = malloc(sizeof(void *) == 8 ? 176 : 96, M_SUBPROC, M_WAITOK | M_ZERO);
	sim_reach_held(p->p_stats, &k_pstats, p, NULL, &p->p_stats, "p_stats", 0);
	return (p);
}

/* The first thread of process `p` (FIRST_THREAD_IN_PROC). */
void *
sim_proc_thread(void *pp)
{
	return (TAILQ_FIRST(&((struct proc *)pp)->p_threads));
}

/* The last thread of `p` exits (thread_exit); the process lives on.  0, or -1 if none. */
int
sim_proc_thread_exit(void *pp, int cpu)
{
	struct proc *p = pp;
	struct thread *td;

	if (p->p_numthreads < 2)
		return (-1);
	td = sim_thread_last(&p->p_threads);
	sim_thread_unlink(&p->p_threads, td);
	p->p_numthreads--;
	sim_thread_park_dead(td, cpu);
	return (0);
}

void
sim_proc_exit(void *pp)
{
	struct proc *p = pp;
	struct thread *td;

	while ((td = TAILQ_FIRST(&p->p_threads)) != NULL) {
		sim_thread_unlink(&p->p_threads, td);
		sim_thread_free(td);
	}
	sim_reach_freed(p->p_stats);
	free(p->p_stats, M_SUBPROC);
	LIST_REMOVE(p, p_list);
	sim_reach_freed(p);
	uma_zfree(proc_zone, p);
}
