"""FreeBSD kernel primitives: bounded sys/queue.h walks, CPUs, per-CPU (zpcpu) and counter(9) reads."""
