/* Processes: struct proc from "PROC"; each process holds one or more threads. */
#include <sys/malloc.h>
#include <vm/uma.h>

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
void *sim_thread_alloc(void);
void sim_thread_free(void *td);

void
procinit(void)
{
	proc_zone = uma_zcreate("PROC", PROC_SIZE, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
}

struct sim_proc {
	int	p_numthreads;
	void	*p_threads[SIM_MAXTHREADS];
	void	*p_stats;		/* M_SUBPROC */
};

void *
sim_proc_fork(int nthreads)
{
	struct sim_proc *p;
	int i;

	p = uma_zalloc(proc_zone, M_WAITOK | M_ZERO);
	if (p == NULL)
		return (NULL);
	if (nthreads > SIM_MAXTHREADS)
		nthreads = SIM_MAXTHREADS;
	for (i = 0; i < nthreads; i++)
		if ((p->p_threads[i] = sim_thread_alloc()) != NULL)
			p->p_numthreads++;
	p->p_stats = malloc(sizeof(void *) == 8 ? 176 : 96, M_SUBPROC, M_WAITOK | M_ZERO);
	return (p);
}

void
sim_proc_exit(void *pp)
{
	struct sim_proc *p = pp;
	int i;

	for (i = 0; i < p->p_numthreads; i++)
		sim_thread_free(p->p_threads[i]);
	free(p->p_stats, M_SUBPROC);
	uma_zfree(proc_zone, p);
}
