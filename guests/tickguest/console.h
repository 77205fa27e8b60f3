/* SPDX-License-Identifier: GPL-2.0 */
/* Output to QEMU's debug console (port 0xe9) or COM1, and the exit port. */
#ifndef TICKGUEST_CONSOLE_H
#define TICKGUEST_CONSOLE_H

/* Pick the output channel; returns its name ("debugcon" or "com1"). */
const char *console_init(void);
void console_write(const char *s);
/* Leave QEMU through isa-debug-exit at 0xf4 (QEMU exits with (code << 1) | 1);
 * without that device, halt forever with interrupts off. */
void console_exit(unsigned code) __attribute__((noreturn));

#endif
