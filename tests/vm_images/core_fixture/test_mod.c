/* The fixture's module, dlopen()ed from <exe dir>/modules/test.ko. */
struct mod_state {
	int magic;
	const char *label;
};

struct mod_state mod_state = { 1, "module-label" };

void
mod_init(int magic)
{
	mod_state.magic = magic;
}
