// SPDX-License-Identifier: GPL-2.0
/* The guest's one output channel and its exit port (kvm-unit-tests style). */
#include "arch.h"
#include "console.h"

#define DEBUGCON_PORT 0xe9
#define EXIT_PORT     0xf4
#define COM1	      0x3f8

static int use_debugcon;

const char *console_init(void)
{
	/* QEMU's isa-debugcon answers reads with its own port number (its
	 * "readback" property defaults to 0xe9); an absent port reads 0xff. */
	if (inb(DEBUGCON_PORT) == DEBUGCON_PORT) {
		use_debugcon = 1;
		return "debugcon";
	}
	/* COM1 at 115200 8N1, FIFOs on. */
	outb(COM1 + 1, 0x00); /* no UART interrupts */
	outb(COM1 + 3, 0x80); /* DLAB: divisor follows */
	outb(COM1 + 0, 0x01); /* 115200 = 115200 / 1 */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8 bits, no parity, 1 stop */
	outb(COM1 + 2, 0xc7); /* FIFO enable and clear */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
	return "com1";
}

static void com1_putc(char c)
{
	/* Bounded wait for the transmitter: an absent UART reads 0xff (ready),
	 * a wedged one must not hang the guest's report loop forever. */
	for (unsigned i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

void console_write(const char *s)
{
	for (; *s; s++) {
		if (use_debugcon)
			outb(DEBUGCON_PORT, (uint8_t)*s);
		else
			com1_putc(*s);
	}
}

void console_exit(unsigned code)
{
	cli();
	outb(EXIT_PORT, (uint8_t)code);
	for (;;)
		asm volatile("cli; hlt");
}
