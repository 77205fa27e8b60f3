/* SPDX-License-Identifier: GPL-2.0 */
/* The local APIC (xAPIC, MMIO at its default base) and its timer. */
#ifndef TICKGUEST_APIC_H
#define TICKGUEST_APIC_H

#include <stdbool.h>
#include <stdint.h>

enum timer_mode { TIMER_PERIODIC, TIMER_ONESHOT, TIMER_TSCDEADLINE };

/* Enable the APIC (global enable in IA32_APIC_BASE, software enable in the
 * spurious vector register); 0, or -1 when the CPU has none. */
int apic_init(uint8_t spurious_vector);
/* Does the CPU implement TSC-deadline mode (CPUID.1:ECX[24])? */
bool apic_has_tsc_deadline(void);
/* Measure the timer's input clock against the TSC; 0 or -1. */
int apic_timer_calibrate(uint64_t tsc_hz, uint64_t *timer_hz);
/* Set the LVT timer entry for mode and vector, masked or not. */
void apic_timer_setup(enum timer_mode mode, uint8_t vector, bool masked);
/* Choose the divider so that the longest count we will program fits in 32
 * bits; later counts are in divided ticks. */
void apic_timer_set_divider(uint64_t timer_hz, uint64_t max_ns);
/* Start (or restart) the count-down in oneshot/periodic mode. */
void apic_timer_start(uint32_t count);
/* Timer-input ticks per divided count. */
uint32_t apic_timer_divider(void);
void apic_eoi(void);

#endif
