# kmemdbg: FreeBSD kernel memory (UMA zones, malloc types) in gdb/kgdb and lldb.
#
#   make demo     build the simulated router crash and show uma-zones / malloc-types in gdb and lldb
#   make test     unit, contract, simulator and end-to-end tests (pytest, real debuggers)
#   make analyze KERNEL=path/to/kernel.debug CORE=path/to/vmcore [HTML=report.html]   batch crash report
#   make bench    speed of the walks on the large "scale" images
#   make bisect-demo   git bisect run finds a planted leak, booting each build in QEMU
#   make fuzz     random damage to the images' cores in gdb and lldb (FUZZ_ARGS="--trials 200")
#
# Each target installs what is missing (Debian 12 packages) first.

PYTHON   ?= /usr/bin/python3
GDB      ?= gdb
LLDB     ?= lldb-19
DEMO_ERA ?= fbsd13
DEMO_DIR  = vm_images/build/$(DEMO_ERA)/router
DEB_PKGS  = gdb lldb-19 python3-lldb-19 python3-tabulate python3-pexpect python3-pytest \
            python3-plotly python3-numpy gcc gcc-multilib libc6-dev make
# The test VM (tests/vm, make bisect-demo) also needs QEMU; the report tests a browser, and PIL
# to see that the browser's screenshot is not blank.
VM_PKGS   = qemu-system-x86
BROWSER_PKGS = chromium python3-pil
PYTEST_ARGS ?=

.PHONY: all deps images demo test unit analyze bench bisect-demo fuzz vm clean

all: demo

# Install the Debian packages that are missing (as root, or through sudo).
deps:
	@missing=$$(for p in $(DEB_PKGS) $(EXTRA_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "kmemdbg: installing:" $$missing; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi

# Quiet: one line, the compiler's output in a log (shown only when the build fails).
IMAGES_LOG = vm_images/build/make.log
images: deps
	@echo "kmemdbg: building the simulated kernels (log: $(IMAGES_LOG))"
	@mkdir -p vm_images/build
	@$(MAKE) -s -C vm_images >$(IMAGES_LOG) 2>&1 || { tail -n 30 $(IMAGES_LOG); exit 1; }

# gdb: the core is opened quietly (no thread or frame chatter) and each command is echoed as a
# user would type it; lldb echoes its own commands.
GDB_DEMO = $(GDB) -q -nx -batch -ex 'source plugins/gdb_kmem.py' \
	  -ex "python gdb.execute('core-file $(2)', to_string=True)" \
	  $(foreach c,$(3),-ex 'echo \n(kgdb) $(call demo_cmds,$(c))\n' -ex '$(call demo_cmds,$(c))') $(1)
DEMO_CMDS = uma-zones@--sort@used@--top@15 malloc-types@--sort@memory-use@--top@15 \
	    kmem-summary@--top@5
demo_cmds = $(subst @, ,$(1))

demo: images
	@echo; echo "=== gdb: the simulated router crash, $(DEMO_DIR)/kernel + vmcore ==="
	@$(call GDB_DEMO,$(DEMO_DIR)/kernel,$(DEMO_DIR)/vmcore,$(DEMO_CMDS))
	@echo; echo "=== lldb-19: the same commands ==="
	@$(LLDB) -b --no-lldbinit -c $(DEMO_DIR)/vmcore $(DEMO_DIR)/kernel \
	  -o 'command script import plugins/lldb_kmem.py' \
	  $(foreach c,$(DEMO_CMDS),-o '$(call demo_cmds,$(c))')
	@echo; echo "=== who is leaking: snapshot of the core at tick 30, diff against the crash ==="
	@$(GDB) -q -nx -batch -ex 'source plugins/gdb_kmem.py' \
	  -ex "python gdb.execute('core-file $(DEMO_DIR)/vmcore.30', to_string=True)" \
	  -ex 'kmem-snapshot save $(DEMO_DIR)/snapshot.30.json' $(DEMO_DIR)/kernel
	@$(call GDB_DEMO,$(DEMO_DIR)/kernel,$(DEMO_DIR)/vmcore,kmem-diff@$(DEMO_DIR)/snapshot.30.json@--top@8)
	@echo; echo "=== the picture: kmem-report of the crash, with growth since the core at tick 30 ==="
	@$(call GDB_DEMO,$(DEMO_DIR)/kernel,$(DEMO_DIR)/vmcore,kmem-report@--html@$(DEMO_DIR)/report.html@--snapshots@$(DEMO_DIR)/snapshot.30.json)
	@echo "open $(DEMO_DIR)/report.html in a browser"

unit: deps
	$(PYTHON) -m pytest -q tests/unit $(PYTEST_ARGS)

test: EXTRA_PKGS = $(VM_PKGS) $(BROWSER_PKGS)
test: images
	$(PYTHON) -m pytest -q tests $(PYTEST_ARGS)

analyze: deps
	@test -n "$(KERNEL)" -a -n "$(CORE)" || { echo "usage: make analyze KERNEL=kernel.debug CORE=vmcore [HTML=report.html]"; exit 2; }
	KMEMDBG_HTML='$(HTML)' $(GDB) -q -nx -batch -x kgdb_scripts/crashinfo.py $(KERNEL) $(CORE)

# The peer the bench compares against (drgn) lives in a private virtual environment, never in the
# system Python the debuggers embed.
BENCH_VENV = tests/bench/.venv
DRGN_VERSION ?= 0.3.0

bench: EXTRA_PKGS = python3-venv
bench: deps $(BENCH_VENV)/bin/drgn-ok
	-$(MAKE) -C vm_images -k scale   # a failed image is reported (and rebuilt smaller) by run.py
	DRGN_PYTHON=$(BENCH_VENV)/bin/python $(PYTHON) tests/bench/run.py

$(BENCH_VENV)/bin/drgn-ok:
	rm -rf $(BENCH_VENV) && $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q drgn==$(DRGN_VERSION)
	$(BENCH_VENV)/bin/python -c 'import drgn' && touch $@

# Not part of make test (which runs a few trials): each trial is a debugger session per debugger.
fuzz: images
	$(PYTHON) tests/tools/fuzz_cores.py $(FUZZ_ARGS)

bisect-demo: EXTRA_PKGS = $(VM_PKGS)
bisect-demo: deps
	vm_images/vm/bisect-demo.sh $(or $(ERA),fbsd6)

clean:
	$(MAKE) -C vm_images clean
