/*
 * kmemdbg VM, amd64: QEMU -kernel loads the flat image (multiboot a.out kludge: QEMU refuses
 * ELF64 multiboot kernels) at 1 MiB and enters _start in 32-bit protected mode.  The trampoline
 * maps the first GiB of physical memory twice (identity, and at KERNBASE 0xffffffff80000000,
 * like FreeBSD/amd64's kernel map), enables long mode, jumps to the higher half, drops the
 * identity map and calls vm_start().  The kernel proper is linked at KERNBASE + physical.
 */
#define KERNBASE 0xffffffff80000000

	.section .multiboot, "a"
	.align 4
mb_header:
	.long 0x1badb002
	.long 0x00010002			/* memory info, load addresses below */
	.long -(0x1badb002 + 0x00010002)
	.long mb_header				/* header_addr */
	.long 0x100000				/* load_addr */
	.long _edata_phys			/* load_end_addr */
	.long _end_phys				/* bss_end_addr */
	.long _start				/* entry_addr */

	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	movl %eax, %edi				/* multiboot magic */
	movl %ebx, %esi				/* multiboot info (physical) */
	lgdt boot_gdt_desc
	ljmp $0x18, $1f
1:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorl %ecx, %ecx				/* PD: 512 x 2 MiB, physical 0 .. 1 GiB */
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax
	movl %eax, boot_pd(,%ecx,8)
	movl $0, boot_pd+4(,%ecx,8)
	incl %ecx
	cmpl $512, %ecx
	jne 2b
	movl $(boot_pdpt_low + 3), boot_pml4
	movl $(boot_pdpt_high + 3), boot_pml4 + 511 * 8
	movl $(boot_pd + 3), boot_pdpt_low
	movl $(boot_pd + 3), boot_pdpt_high + 510 * 8
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x620, %eax			/* PAE, OSFXSR, OSXMMEXCPT */
	movl %eax, %cr4
	movl $0xc0000080, %ecx			/* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000002, %eax			/* PG, MP */
	andl $~4, %eax				/* no EM: SSE usable */
	movl %eax, %cr0
	ljmp $0x08, $3f
	.code64
3:	movabsq $vm_high_entry, %rax
	jmp *%rax

	.section .boot.data, "aw"
	.align 16
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff			/* 0x08 64-bit code */
	.quad 0x00cf92000000ffff			/* 0x10 data */
	.quad 0x00cf9a000000ffff			/* 0x18 32-bit code */
boot_gdt_desc:
	.word boot_gdt_desc - boot_gdt - 1
	.long boot_gdt
	.align 4096
boot_pml4:	.fill 4096, 1, 0
boot_pdpt_low:	.fill 4096, 1, 0
boot_pdpt_high:	.fill 4096, 1, 0
boot_pd:	.fill 4096, 1, 0

	.text
	.code64
vm_high_entry:
	lgdt gdt_desc_high(%rip)
	movl %edi, %r12d
	movl %esi, %r13d
	leaq __bss_start(%rip), %rdi		/* clear .bss (stack included) */
	leaq _end(%rip), %rcx
	subq %rdi, %rcx
	xorl %eax, %eax
	cld
	rep stosb
	leaq vm_stack_top(%rip), %rsp
	movabsq $(boot_pml4 + KERNBASE), %rax	/* drop the identity map */
	movq $0, (%rax)
	movq %cr3, %rax
	movq %rax, %cr3
	xorl %ebp, %ebp
	movl %r12d, %edi
	movl %r13d, %esi
	call vm_start
4:	cli
	hlt
	jmp 4b

	.section .rodata
	.align 16
gdt_desc_high:
	.word 31
	.quad boot_gdt + KERNBASE

	.bss
	.align 16
vm_stack:
	.space 65536
vm_stack_top:

/* Interrupts: IRQ0 counts vm_jiffies; other IRQs are acknowledged; exceptions are fatal. */
	.text
irq0:
	pushq %rax
	incq vm_jiffies(%rip)
	movb $0x20, %al
	outb %al, $0x20
	popq %rax
	iretq
irq_master:
	pushq %rax
	movb $0x20, %al
	outb %al, $0x20
	popq %rax
	iretq
irq_slave:
	pushq %rax
	movb $0x20, %al
	outb %al, $0xa0
	outb %al, $0x20
	popq %rax
	iretq
exc_common:
	movq (%rsp), %rdi
	leaq 8(%rsp), %rsi
	andq $-16, %rsp
	call vm_exception
5:	cli
	hlt
	jmp 5b
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
exc\n:
	pushq $\n
	jmp exc_common
	.endr

	.section .rodata
	.align 8
	.globl vm_isr_table
vm_isr_table:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad exc\n
	.endr
	.quad irq0
	.rept 7
	.quad irq_master
	.endr
	.rept 8
	.quad irq_slave
	.endr
