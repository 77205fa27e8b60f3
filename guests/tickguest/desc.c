// SPDX-License-Identifier: GPL-2.0
/* Descriptor tables and the legacy PIC: the minimum a protected-mode guest
 * needs before it may enable interrupts. */
#include "arch.h"
#include "console.h"
#include "desc.h"
#include "libc.h"

#define KERNEL_CS 0x08

struct desc_ptr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t zero;
	uint8_t type;
	uint16_t off_hi;
} __attribute__((packed));

/* Null, flat 32-bit code (0x08), flat data (0x10). */
static const uint64_t gdt[] __attribute__((aligned(8))) = {
    0,
    0x00cf9a000000ffffULL,
    0x00cf92000000ffffULL,
};

static struct idt_gate idt[256] __attribute__((aligned(8)));

void gdt_load(const struct desc_ptr *p);
extern void (*const exc_stubs[32])(void);
void ignore_stub(void);
void exception_handler(uint32_t vector, uint32_t error, uint32_t eip);

void idt_set(uint8_t vector, void (*stub)(void))
{
	uint32_t off = (uint32_t)(uintptr_t)stub;

	idt[vector] = (struct idt_gate){
	    .off_lo = (uint16_t)off,
	    .sel = KERNEL_CS,
	    .type = 0x8e, /* present, ring 0, 32-bit interrupt gate */
	    .off_hi = (uint16_t)(off >> 16),
	};
}

void desc_init(void)
{
	static struct desc_ptr gdtp, idtp;

	gdtp = (struct desc_ptr){sizeof(gdt) - 1, (uint32_t)(uintptr_t)gdt};
	gdt_load(&gdtp);
	for (unsigned v = 0; v < 256; v++)
		idt_set((uint8_t)v, v < 32 ? exc_stubs[v] : ignore_stub);
	idtp = (struct desc_ptr){sizeof(idt) - 1, (uint32_t)(uintptr_t)idt};
	asm volatile("lidt %0" : : "m"(idtp));
}

/* A fault means the guest itself is broken: say where, and leave QEMU with
 * a failure status rather than hang silently. */
void exception_handler(uint32_t vector, uint32_t error, uint32_t eip)
{
	printf("error what=exception vector=%u code=0x%x eip=0x%x\n", vector, error, eip);
	console_exit(1);
}

void pic_disable(void)
{
	/* Re-initialise both 8259s with vectors 0x20-0x2f: after reset the master
	 * delivers on 0x08-0x0f, on top of CPU exceptions, and even a masked PIC
	 * can raise a spurious IRQ7. Then mask every line. */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20);
	outb(0xa1, 0x28);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}
