/*
 * kmemdbg VM: "kldload" without a dynamic linker.  The modules (libalias.ko, ng_nat.ko) are
 * linked into the image; sim/boot.c's dlopen()/dlsym() calls find them here by file name and
 * init-function name.  Each module object's malloc linker set was renamed at build time
 * (set_sim_malloc -> set_<module>_malloc, see vm.mk), so the kernel's own set walk at boot does
 * not register the module's types and sim_malloc_register_module() in the module sees only its own.
 */
#include <stddef.h>
#include <string.h>
#include <dlfcn.h>

void libalias_sim_init(const char *modname);
void ng_nat_sim_init(const char *modname);

static const struct vm_module {
	const char *file;
	const char *init_sym;
	void (*init)(const char *);
} vm_modules[] = {
	{ "libalias.ko", "libalias_sim_init", libalias_sim_init },
	{ "ng_nat.ko", "ng_nat_sim_init", ng_nat_sim_init },
};

static const char *dl_err = "";

void *
dlopen(const char *path, int flags)
{
	const char *base = strrchr(path, '/');
	size_t i;

	(void)flags;
	base = base ? base + 1 : path;
	for (i = 0; i < sizeof(vm_modules) / sizeof(vm_modules[0]); i++)
		if (strcmp(vm_modules[i].file, base) == 0)
			return ((void *)&vm_modules[i]);
	dl_err = "module not linked into the VM image";
	return (NULL);
}

void *
dlsym(void *h, const char *sym)
{
	const struct vm_module *m = h;

	if (m != NULL && strcmp(m->init_sym, sym) == 0)
		return ((void *)m->init);
	dl_err = "symbol not found";
	return (NULL);
}

char *
dlerror(void)
{
	return ((char *)dl_err);
}

int
dlclose(void *h)
{
	(void)h;
	return (0);
}
