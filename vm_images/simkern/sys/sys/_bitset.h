/*
 * BITSET_DEFINE as in FreeBSD's <sys/_bitset.h> (10.x and later): a struct of longs named
 * __bits.  9.x declared struct _cpuset by hand with the same member, so one macro serves.
 */
#ifndef _SYS__BITSET_H_
#define _SYS__BITSET_H_

#include <sys/_sim_kern.h>

#define _BITSET_BITS            (sizeof(long) * NBBY)
#define __bitset_words(_s)      (howmany(_s, _BITSET_BITS))
#define BITSET_DEFINE(t, _s)                                            \
struct t {                                                              \
        long    __bits[__bitset_words((_s))];                           \
}
#define BITSET_SIZE(_s)         (__bitset_words((_s)) * sizeof(long))

#define __bitset_mask(_s, n)    (1UL << ((n) % _BITSET_BITS))
#define __bitset_word(_s, n)    ((n) / _BITSET_BITS)
#define BIT_ISSET(_s, n, p)     (((p)->__bits[__bitset_word(_s, n)] & __bitset_mask((_s), (n))) != 0)
#define BIT_SET(_s, n, p)       ((p)->__bits[__bitset_word(_s, n)] |= __bitset_mask((_s), (n)))
#define BIT_CLR(_s, n, p)       ((p)->__bits[__bitset_word(_s, n)] &= ~__bitset_mask((_s), (n)))

#endif
