/*
 * kmemdbg VM, i386: multiboot header and entry (QEMU -kernel loads this ELF32 image at 1 MiB),
 * flat segments, no paging (virtual == physical), interrupt stubs.
 */
	.section .multiboot, "a"
	.align 4
mb_header:
	.long 0x1badb002			/* magic */
	.long 0x00000003			/* page-align modules, memory info */
	.long -(0x1badb002 + 0x00000003)

	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	lgdt gdt_desc
	ljmp $0x08, $1f
1:	movw $0x10, %cx
	movw %cx, %ds
	movw %cx, %es
	movw %cx, %ss
	movw %cx, %fs
	movw %cx, %gs
	movl %eax, %esi				/* multiboot magic */
	movl %ebx, %edx				/* multiboot info */
	movl $__bss_start, %edi			/* clear .bss (stack included) */
	movl $_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	cld
	rep stosb
	movl $vm_stack_top, %esp
	xorl %ebp, %ebp
	fninit
	pushl %edx
	pushl %esi
	call vm_start
2:	cli
	hlt
	jmp 2b

	.section .rodata
	.align 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff			/* 0x08 code */
	.quad 0x00cf92000000ffff			/* 0x10 data */
gdt_desc:
	.word gdt_desc - gdt - 1
	.long gdt

	.bss
	.align 16
vm_stack:
	.space 65536
vm_stack_top:

/* Interrupts: IRQ0 counts vm_jiffies; other IRQs are acknowledged; exceptions are fatal. */
	.text
	.globl vm_isr_table
irq0:
	pushl %eax
	incl vm_jiffies
	movb $0x20, %al
	outb %al, $0x20
	popl %eax
	iret
irq_master:
	pushl %eax
	movb $0x20, %al
	outb %al, $0x20
	popl %eax
	iret
irq_slave:
	pushl %eax
	movb $0x20, %al
	outb %al, $0xa0
	outb %al, $0x20
	popl %eax
	iret
exc_common:					/* vector number on the stack */
	movl (%esp), %eax
	leal 4(%esp), %edx
	pushl %edx
	pushl %eax
	call vm_exception
3:	cli
	hlt
	jmp 3b
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
exc\n:
	pushl $\n
	jmp exc_common
	.endr

	.section .rodata
	.align 4
vm_isr_table:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long exc\n
	.endr
	.long irq0
	.rept 7
	.long irq_master
	.endr
	.rept 8
	.long irq_slave
	.endr
