/* kmemdbg VM shim: <inttypes.h> (the PRI macros for the i386 and amd64 ABIs). */
#ifndef VM_SHIM_INTTYPES_H
#define VM_SHIM_INTTYPES_H
#include <stdint.h>
#ifdef __LP64__
#define __VM_PRI64 "l"
#else
#define __VM_PRI64 "ll"
#endif
#define PRId64 __VM_PRI64 "d"
#define PRIu64 __VM_PRI64 "u"
#define PRIx64 __VM_PRI64 "x"
#define PRIX64 __VM_PRI64 "X"
#define PRId32 "d"
#define PRIu32 "u"
#define PRIx32 "x"
#define PRIuMAX "ju"
#define PRIuPTR __VM_PRIPTR "u"
#define PRIxPTR __VM_PRIPTR "x"
#ifdef __LP64__
#define __VM_PRIPTR "l"
#else
#define __VM_PRIPTR ""
#endif
#endif
