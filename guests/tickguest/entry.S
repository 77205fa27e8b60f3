/* SPDX-License-Identifier: GPL-2.0 */
/* Multiboot v1 header, entry point, descriptor-table loading and interrupt
 * stubs. Everything else is C. */

#define MB_MAGIC	0x1BADB002
#define MB_FLAGS	0x00000000	/* ELF loading: no address fields needed */

#define KERNEL_CS	0x08
#define KERNEL_DS	0x10

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.globl _start
_start:
	/* Multiboot: protected mode, paging off, interrupts off, eax = magic,
	 * ebx = info; the GDT and stack are ours to provide. */
	cli
	cld
	movl	$stack_top, %esp
	movl	%eax, %esi
	movl	%ebx, %edi
	/* The loader is not required to clear .bss. */
	movl	$__bss_start, %ecx
1:	cmpl	$__bss_end, %ecx
	jae	2f
	movl	$0, (%ecx)
	addl	$4, %ecx
	jmp	1b
2:	pushl	%edi
	pushl	%esi
	call	kmain
3:	cli
	hlt
	jmp	3b

/* void gdt_load(const struct desc_ptr *p): lgdt, then reload every segment
 * register so the CPU uses our descriptors and not the loader's. */
	.globl gdt_load
gdt_load:
	movl	4(%esp), %eax
	lgdt	(%eax)
	ljmp	$KERNEL_CS, $1f
1:	movw	$KERNEL_DS, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	movw	%ax, %ss
	ret

/* Exceptions: the CPU pushes an error code for some vectors only; push a 0
 * for the others so exception_entry sees one frame layout. */
.macro EXC_NOERR n
	.globl exc_\n
exc_\n:
	pushl	$0
	pushl	$\n
	jmp	exception_entry
.endm
.macro EXC_ERR n
	.globl exc_\n
exc_\n:
	pushl	$\n
	jmp	exception_entry
.endm

EXC_NOERR 0
EXC_NOERR 1
EXC_NOERR 2
EXC_NOERR 3
EXC_NOERR 4
EXC_NOERR 5
EXC_NOERR 6
EXC_NOERR 7
EXC_ERR   8
EXC_NOERR 9
EXC_ERR   10
EXC_ERR   11
EXC_ERR   12
EXC_ERR   13
EXC_ERR   14
EXC_NOERR 15
EXC_NOERR 16
EXC_ERR   17
EXC_NOERR 18
EXC_NOERR 19
EXC_NOERR 20
EXC_ERR   21
EXC_NOERR 22
EXC_NOERR 23
EXC_NOERR 24
EXC_NOERR 25
EXC_NOERR 26
EXC_NOERR 27
EXC_NOERR 28
EXC_ERR   29
EXC_ERR   30
EXC_NOERR 31

	.section .rodata
	.align 4
	.globl exc_stubs
exc_stubs:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long exc_\n
	.endr

	.text
/* Stack: vector, error code, eip, cs, eflags. exception_handler does not
 * return (it reports and exits), so no registers need saving. */
exception_entry:
	cld
	call	exception_handler
4:	cli
	hlt
	jmp	4b

/* The timer interrupt: save the caller-clobbered registers the C ABI lets
 * timer_irq() use, run it, return to whatever was interrupted. */
	.globl timer_stub
timer_stub:
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	cld
	call	timer_irq
	popl	%edx
	popl	%ecx
	popl	%eax
	iret

/* LAPIC spurious interrupts and stray 8259 vectors: nothing to do (a
 * spurious LAPIC interrupt must not be EOId; the 8259 is fully masked). */
	.globl ignore_stub
ignore_stub:
	iret

	.bss
	.align 16
stack:
	.skip 16384
stack_top:
