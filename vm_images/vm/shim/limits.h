/* kmemdbg VM shim: <limits.h>. */
#ifndef VM_SHIM_LIMITS_H
#define VM_SHIM_LIMITS_H
#define PATH_MAX	256
#define CHAR_BIT	8
#define INT_MAX		__INT_MAX__
#define INT_MIN		(-INT_MAX - 1)
#define UINT_MAX	(INT_MAX * 2U + 1U)
#define LONG_MAX	__LONG_MAX__
#define LONG_MIN	(-LONG_MAX - 1L)
#define ULONG_MAX	(LONG_MAX * 2UL + 1UL)
#define LLONG_MAX	__LONG_LONG_MAX__
#define ULLONG_MAX	(LLONG_MAX * 2ULL + 1ULL)
#define SIZE_MAX_VM	__SIZE_MAX__
#endif
