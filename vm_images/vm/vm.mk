# kmemdbg VM images: the simulator sources built freestanding, booted by QEMU (multiboot).
#
#   make -C vm_images vm ERA=fbsd6|fbsd11-i386|fbsd9|fbsd11|fbsd12|fbsd13|fbsd14|fbsd15 [SCENARIO=router]
#
# Output: build/vm/<era>/kernel      ELF with debug info (the debugger's executable; on i386 also
#                                     what QEMU loads)
#         build/vm/<era>/kernel.bin  amd64 only: flat multiboot image QEMU loads (a.out kludge)
#         build/vm/<era>/boot-args   the -append line for SCENARIO (run-vm reads it)
# Boot it with vm_images/run-vm (see vm/README.md).

VM_SRC		:= vm
VM_ERA_ARCH_fbsd6	:= i386
VM_ERA_ARCH_fbsd11-i386	:= i386
VM_ARCH		= $(or $(VM_ERA_ARCH_$(ERA)),amd64)
VM_OUT		= $(BUILD)/vm/$(ERA)
VM_GCCINC	= $(shell $(CC) $(if $(filter i386,$(VM_ARCH)),-m32) -print-file-name=include)
VM_LIBGCC	= $(shell $(CC) $(if $(filter i386,$(VM_ARCH)),-m32) -print-libgcc-file-name)

VM_CFLAGS_i386	:= -m32 -march=i686
VM_CFLAGS_amd64	:= -m64 -mcmodel=kernel -mno-red-zone
VM_CFLAGS	= -g -O0 -fno-omit-frame-pointer -fcommon -Wall -Wno-unused-function \
	-ffreestanding -nostdinc -isystem $(VM_GCCINC) -I$(abspath $(VM_SRC)/shim) \
	-I$(abspath $(SRC)/sys) -I$(abspath $(SRC)) -I$(abspath $(SRC)/sim) \
	-fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
	-U__linux__ -U__linux -Ulinux -U__gnu_linux__ \
	-DSIM_FREESTANDING=1 $(filter-out -m32,$(FLAGS_$(ERA))) $(VM_CFLAGS_$(VM_ARCH))

# Every simulator source except the host ELF core writer (dumps come from QEMU);
# the modules are linked in (their malloc linker set renamed, see vm/modules.c).
VM_KSRCS	= $(filter-out $(SRC)/sim/sim_core.c,$(KERN_SRCS))
VM_OWN		:= $(VM_SRC)/libc.c $(VM_SRC)/machdep.c $(VM_SRC)/modules.c
VM_DEPS		= $(KERN_SRCS) $(MOD_libalias) $(MOD_ng_nat) $(HDRS) $(VM_OWN) $(VM_SRC)/vm.h \
	$(wildcard $(VM_SRC)/shim/*.h $(VM_SRC)/shim/sys/*.h) $(VM_SRC)/arch_$(VM_ARCH).S \
	$(VM_SRC)/$(VM_ARCH).ld $(VM_SRC)/vm.mk

SCENARIO_VM_ARGS_router	?= --scenario router --live --interval 1 --cpus 4
SCENARIO_VM_ARGS	= $(or $(SCENARIO_VM_ARGS_$(SCENARIO)),--scenario $(SCENARIO) --live --interval 1 --cpus 4)

.PHONY: vm vm-kernel
vm: vm-kernel
	echo "VM_PRINT_EVERY=1 -- $(SCENARIO_VM_ARGS)" > $(VM_OUT)/boot-args
	@echo "built $(VM_OUT)/kernel ($(VM_ARCH)); boot: vm_images/run-vm --era $(ERA) --scenario $(SCENARIO)"

.SECONDEXPANSION:
vm-kernel: $(VM_OUT)/kernel

$(BUILD)/vm/%/kernel: ERA = $*
$(BUILD)/vm/%/kernel: $$(VM_DEPS)
	@rm -rf $(@D)/obj && mkdir -p $(@D)/obj
	cd $(@D)/obj && $(CC) $(VM_CFLAGS) -c $(abspath $(VM_KSRCS) $(VM_OWN) $(VM_SRC)/arch_$(VM_ARCH).S)
	cd $(@D)/obj && $(CC) $(VM_CFLAGS) -c $(abspath $(MOD_libalias)) $(abspath $(MOD_ng_nat))
	$(foreach m,libalias ng_nat,objcopy --rename-section set_sim_malloc=set_$(m)_malloc \
		--redefine-sym __start_set_sim_malloc=__start_set_$(m)_malloc \
		--redefine-sym __stop_set_sim_malloc=__stop_set_$(m)_malloc \
		$(@D)/obj/$(notdir $(basename $(MOD_$(m)))).o $(@D)/obj/mod_$(m).o &&) true
	rm -f $(foreach m,libalias ng_nat,$(@D)/obj/$(notdir $(basename $(MOD_$(m)))).o)
	$(CC) $(VM_CFLAGS) -nostdlib -static -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
		-Wl,-T,$(VM_SRC)/$(VM_ARCH).ld -o $@ $(@D)/obj/*.o $(VM_LIBGCC)
	# amd64: QEMU reads load_end_addr - load_addr bytes of the flat image: pad it to _edata
	$(if $(filter amd64,$(VM_ARCH)),objcopy -O binary -j .boot -j .text -j .rodata -j .data \
		-j set_sim_malloc -j set_libalias_malloc -j set_ng_nat_malloc -j set_pcpu $@ $@.bin && \
		truncate -s $$(( 0x$$(nm $@ | awk '/ _edata_phys$$/ {print $$1}') - 0x100000 )) $@.bin)
