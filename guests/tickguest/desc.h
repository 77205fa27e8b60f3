/* SPDX-License-Identifier: GPL-2.0 */
/* GDT, IDT and the legacy 8259 PIC. */
#ifndef TICKGUEST_DESC_H
#define TICKGUEST_DESC_H

#include <stdint.h>

/* Flat 4 GiB code and data segments, exceptions wired to a reporting handler,
 * every other vector ignored. */
void desc_init(void);
/* Route vector to an assembly stub (interrupt gate: IF cleared on entry). */
void idt_set(uint8_t vector, void (*stub)(void));
/* Move the 8259's vectors off the exception range and mask every line. */
void pic_disable(void);

#endif
