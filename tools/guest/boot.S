/* SPDX-License-Identifier: GPL-2.0 */
/*
 * boot.S - multiboot v1 entry of the workload guest.
 *
 * Entered in 32-bit protected mode (paging off, interrupts off) with
 * EAX = 0x2BADB002 and EBX = multiboot info, either by QEMU's multiboot
 * loader or by the project's KVM runner. Depends on nothing else: loads its
 * own flat GDT and IDT, its own stack, zeroes its own bss.
 */
	.code32

#define MB_MAGIC	0x1BADB002
#define MB_FLAGS	0x00000003	/* page-align modules, want memory info */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .text.entry, "ax"
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	movl	%eax, %esi		/* boot magic */
	movl	%ebx, %ebp		/* multiboot info */

	lgdt	gdt_desc
	ljmp	$0x08, $1f
1:	movl	$0x10, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movl	$stack_top, %esp

	/* Caches on (a runner may leave CR0.CD/NW set). */
	movl	%cr0, %eax
	andl	$0x9fffffff, %eax
	movl	%eax, %cr0

	/*
	 * Zero .bss (the stack lives outside it and is not cleared), 4 bytes
	 * per store (guest.ld aligns both ends): where KVM emulates the guest
	 * (the project's runner) every store is one dirty-ring entry, and
	 * this loop runs without an exit. Byte stores (2756 entries, with
	 * the clock's bss) made the boot's burst lap the 4096-entry ring.
	 */
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	shrl	$2, %ecx
	xorl	%eax, %eax
	rep stosl

	pushl	%ebp
	pushl	%esi
	call	guest_main
2:	cli
	hlt
	jmp	2b
	.size _start, . - _start

/* CPU exception entry points: push (error code or 0), vector; common handler. */
	.text
.macro isr_noerr n
isr\n:	pushl	$0
	pushl	$\n
	jmp	isr_common
.endm
.macro isr_err n
isr\n:	pushl	$\n
	jmp	isr_common
.endm

	isr_noerr 0
	isr_noerr 1
	isr_noerr 2
	isr_noerr 3
	isr_noerr 4
	isr_noerr 5
	isr_noerr 6
	isr_noerr 7
	isr_err   8
	isr_noerr 9
	isr_err   10
	isr_err   11
	isr_err   12
	isr_err   13
	isr_err   14
	isr_noerr 15
	isr_noerr 16
	isr_err   17
	isr_noerr 18
	isr_noerr 19
	isr_noerr 20
	isr_err   21
	isr_noerr 22
	isr_noerr 23
	isr_noerr 24
	isr_noerr 25
	isr_noerr 26
	isr_noerr 27
	isr_noerr 28
	isr_err   29
	isr_err   30
	isr_noerr 31

isr_common:
	cld
	movl	$stack_top, %eax	/* fresh stack: the old one may be bad */
	movl	0(%esp), %ecx		/* vector */
	movl	4(%esp), %edx		/* error code */
	movl	8(%esp), %ebx		/* eip */
	movl	%eax, %esp
	pushl	%ebx
	pushl	%edx
	pushl	%ecx
	call	guest_exception
3:	cli
	hlt
	jmp	3b

/*
 * Interrupts (vectors 0x20-0x2f, the remapped 8259 PICs; see clock.c).
 * Interrupts are enabled only between the STI and the CLI of guest_hlt(),
 * so each handler drops its frame and resumes at guest_hlt's CLI instead
 * of returning with IRET, which this project's KVM host cannot emulate in
 * protected mode ("emulation failure"). IRQ 0 is PIT channel 0's wake-up,
 * acknowledged; the others are masked, and a spurious IRQ 7 or 15 must
 * not be acknowledged.
 */
	.globl guest_hlt, guest_irq_timer, guest_irq_ignore
	.type guest_hlt, @function
guest_hlt:
	sti
	hlt
guest_hlt_woken:
	cli
	ret
	.size guest_hlt, . - guest_hlt

guest_irq_timer:
	pushl	%eax
	movb	$0x20, %al
	outb	%al, $0x20		/* EOI to the master PIC */
	popl	%eax
guest_irq_ignore:
	addl	$12, %esp		/* EIP, CS, EFLAGS */
	jmp	guest_hlt_woken

	.section .rodata
	.align 4
	.globl guest_isr_table
guest_isr_table:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long isr\n
	.endr

	.align 8
gdt:
	.quad 0x0000000000000000	/* null */
	.quad 0x00cf9a000000ffff	/* 0x08: code, flat 4 GiB, 32-bit */
	.quad 0x00cf92000000ffff	/* 0x10: data, flat 4 GiB */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.section .stack, "aw", @nobits
	.align 16
	.space 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
