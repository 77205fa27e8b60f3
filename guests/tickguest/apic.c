// SPDX-License-Identifier: GPL-2.0
/* xAPIC through its MMIO page at 0xfee00000 (paging is off, so the physical
 * address is usable as is). */
#include "apic.h"
#include "arch.h"
#include "libc.h"

#define APIC_BASE_MSR	 0x1b
#define APIC_BASE_ENABLE (1u << 11)
#define APIC_MMIO	 0xfee00000u

#define APIC_EOI   0x0b0
#define APIC_SVR   0x0f0
#define APIC_LVTT  0x320
#define APIC_TMICT 0x380
#define APIC_TMCCT 0x390
#define APIC_TDCR  0x3e0

#define SVR_ENABLE	 (1u << 8)
#define LVT_MASKED	 (1u << 16)
#define LVTT_ONESHOT	 (0u << 17)
#define LVTT_PERIODIC	 (1u << 17)
#define LVTT_TSCDEADLINE (2u << 17)

#define CALIB_MS 50

static uint32_t divider = 1;

static uint32_t apic_read(uint32_t reg)
{
	return mmio_read32(APIC_MMIO + reg);
}

static void apic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(APIC_MMIO + reg, v);
}

int apic_init(uint8_t spurious_vector)
{
	uint32_t a, b, c, d;
	uint64_t base;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & (1u << 9)))
		return -1;
	/* Keep the base at its default and make sure the APIC is globally on
	 * and in xAPIC mode (bit 10, x2APIC, clear): we use the MMIO page. */
	base = rdmsr(APIC_BASE_MSR);
	/* x2APIC cannot go straight back to xAPIC: disable first (SDM 10.12.5). */
	if (base & (1u << 10))
		wrmsr(APIC_BASE_MSR, base & ~(uint64_t)(APIC_BASE_ENABLE | (1u << 10)));
	if ((base & ~0xfffULL) != APIC_MMIO || (base & (1u << 10)) || !(base & APIC_BASE_ENABLE))
		wrmsr(APIC_BASE_MSR, (base & (1u << 8)) | APIC_MMIO | APIC_BASE_ENABLE);
	apic_write(APIC_SVR, SVR_ENABLE | spurious_vector);
	return 0;
}

bool apic_has_tsc_deadline(void)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	return c & (1u << 24);
}

/* The TDCR encodings of divide-by 1, 2, 4 ... 128 (SDM vol. 3 "Divide
 * Configuration Register"): bit 2 is always zero, bit 3 is the top bit. */
static const uint8_t tdcr_codes[] = {0xb, 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa};

void apic_timer_set_divider(uint64_t timer_hz, uint64_t max_ns)
{
	unsigned i = 0;
	uint64_t counts = muldiv64(max_ns, timer_hz, 1000000000ULL);

	while (i + 1 < ARRAY_SIZE(tdcr_codes) && (counts >> i) > 0xffffffffULL)
		i++;
	divider = 1u << i;
	apic_write(APIC_TDCR, tdcr_codes[i]);
}

uint32_t apic_timer_divider(void)
{
	return divider;
}

/* Read the current count bracketed by two TSC reads (*tsc = their midpoint);
 * of a few reads the tightest bracket wins, so a vCPU preempted inside a
 * bracket (a loaded host) does not skew the calibration. */
static uint32_t apic_count_read(uint64_t *tsc)
{
	uint64_t best = UINT64_MAX;
	uint32_t count = 0;

	for (int i = 0; i < 5; i++) {
		uint64_t t0 = rdtsc(), t1;
		uint32_t c = apic_read(APIC_TMCCT);

		t1 = rdtsc();
		if (t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			count = c;
		}
	}
	return count;
}

/* One measurement of the timer's input clock with TDCR code index k: 0
 * when the count ran CALIB_MS by the TSC without running out. */
static int apic_timer_measure(unsigned k, uint64_t tsc_hz, uint64_t *timer_hz)
{
	uint64_t start = 0, end = 0, wait = tsc_hz * CALIB_MS / 1000;
	uint32_t c0, c1;

	apic_write(APIC_TDCR, tdcr_codes[k]);
	apic_write(APIC_LVTT, LVT_MASKED | LVTT_ONESHOT | 0xff);
	apic_write(APIC_TMICT, 0xffffffffu);
	c0 = apic_count_read(&start);
	while (rdtsc() - start < wait)
		cpu_relax();
	c1 = apic_count_read(&end);
	apic_write(APIC_TMICT, 0);
	if (c1 == 0 || c1 >= c0 || end <= start)
		return -1;
	*timer_hz = muldiv64((uint64_t)(c0 - c1) << k, tsc_hz, end - start);
	return *timer_hz ? 0 : -1;
}

/* Divide by 1 first; a count that ran out (2^32 input clocks: 4.3 s at
 * QEMU's 1 GHz, which a vCPU the host starves can spend descheduled between
 * two reads) is measured again by 16 and by 128 (69 s, 550 s). */
int apic_timer_calibrate(uint64_t tsc_hz, uint64_t *timer_hz)
{
	static const unsigned ks[] = {0, 4, 7};

	for (unsigned i = 0; i < ARRAY_SIZE(ks); i++)
		if (!apic_timer_measure(ks[i], tsc_hz, timer_hz))
			return 0;
	return -1;
}

void apic_timer_setup(enum timer_mode mode, uint8_t vector, bool masked)
{
	static const uint32_t modes[] = {
	    [TIMER_PERIODIC] = LVTT_PERIODIC,
	    [TIMER_ONESHOT] = LVTT_ONESHOT,
	    [TIMER_TSCDEADLINE] = LVTT_TSCDEADLINE,
	};

	apic_write(APIC_LVTT, modes[mode] | vector | (masked ? LVT_MASKED : 0));
	/* SDM "TSC-Deadline Mode": in xAPIC mode the LVT write and a following
	 * IA32_TSC_DEADLINE write are not ordered; fence between them. */
	if (mode == TIMER_TSCDEADLINE)
		asm volatile("mfence" : : : "memory");
}

void apic_timer_start(uint32_t count)
{
	apic_write(APIC_TMICT, count ? count : 1);
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}
