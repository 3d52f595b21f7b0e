/* Shared between the contract fixture and its shared object (the stand-in for a kernel module). */
#include <stdint.h>

struct modinfo {
	const char	*mi_name;
	uint32_t	 mi_refs;
	uint64_t	 mi_size;
};

void *fixmod_info_addr(void);
void *fixmod_static_addr(void);
void *fixmod_func_addr(void);
int fixmod_func_line(void);
