// SPDX-License-Identifier: GPL-2.0
/* TSC calibration, in the order a guest should trust the sources: what the
 * hypervisor states, what the CPU states, and last a measurement against the
 * PIT (the one clock every PC has, with a known 1.193182 MHz input). */
#include "arch.h"
#include "libc.h"
#include "tsc.h"

#define PIT_HZ	     1193182ULL
#define PIT_CALIB_MS 50

#define HV_MSR_TSC_FREQUENCY 0x40000022
#define HV_ACCESS_FREQUENCY  (1u << 11) /* CPUID 0x40000003 EAX */

static bool sig_is(uint32_t b, uint32_t c, uint32_t d, const char *want)
{
	char s[13];

	memcpy(s, &b, 4);
	memcpy(s + 4, &c, 4);
	memcpy(s + 8, &d, 4);
	s[12] = '\0';
	return !strncmp(s, want, 12);
}

/* Hypervisor leaves: KVM and VMware put the TSC frequency in kHz in leaf
 * base+0x10 (QEMU: -cpu ...,+invtsc,vmware-cpuid-freq=on); Hyper-V has it in
 * an MSR. With Hyper-V enlightenments QEMU moves KVM's leaves to 0x40000100,
 * so both bases are searched. */
static int tsc_from_hypervisor(uint64_t *khz, const char **method)
{
	static const uint32_t bases[] = {0x40000000, 0x40000100};
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 31)))
		return -1;
	for (unsigned i = 0; i < ARRAY_SIZE(bases); i++) {
		uint32_t base = bases[i], max, vb, vc, vd;
		bool kvm;

		cpuid(base, 0, &max, &vb, &vc, &vd);
		kvm = sig_is(vb, vc, vd, "KVMKVMKVM\0\0\0");
		if ((kvm || sig_is(vb, vc, vd, "VMwareVMware")) && max >= base + 0x10 &&
		    max < base + 0x100) {
			cpuid(base + 0x10, 0, &a, &b, &c, &d);
			if (a) {
				*khz = a;
				*method = kvm ? "kvm" : "vmware";
				return 0;
			}
		}
		if (sig_is(vb, vc, vd, "Microsoft Hv") && max >= base + 3) {
			cpuid(base + 3, 0, &a, &b, &c, &d);
			if (a & HV_ACCESS_FREQUENCY) {
				uint64_t hz = rdmsr(HV_MSR_TSC_FREQUENCY);

				if (hz >= 1000) {
					*khz = hz / 1000;
					*method = "hyperv";
					return 0;
				}
			}
		}
	}
	return -1;
}

/* CPUID 0x15 gives TSC/crystal ratio and (when ECX != 0) the crystal; 0x16
 * gives the base frequency in MHz, which is the TSC rate on the CPUs that
 * have it but only to 1 MHz. */
static int tsc_from_cpuid(uint64_t *khz, const char **method)
{
	uint32_t max, a, b, c, d;

	cpuid(0, 0, &max, &b, &c, &d);
	if (max >= 0x15) {
		cpuid(0x15, 0, &a, &b, &c, &d);
		if (a && b && c) {
			*khz = (uint64_t)c * b / a / 1000;
			*method = "cpuid15";
			return 0;
		}
	}
	if (max >= 0x16) {
		cpuid(0x16, 0, &a, &b, &c, &d);
		if (a & 0xffff) {
			*khz = (uint64_t)(a & 0xffff) * 1000;
			*method = "cpuid16";
			return 0;
		}
	}
	return -1;
}

/* Read PIT channel 2's counter, bracketed by two TSC reads; *tsc gets their
 * midpoint, the best estimate of when the latch happened. Of a few reads the
 * one with the tightest bracket wins: a vCPU preempted inside a bracket (a
 * loaded host) would otherwise skew the whole calibration by milliseconds. */
static uint16_t pit2_read(uint64_t *tsc)
{
	uint64_t best = UINT64_MAX;
	uint16_t count = 0;

	for (int i = 0; i < 5; i++) {
		uint64_t t0 = rdtsc(), t1;
		uint8_t lo, hi;

		outb(0x43, 0x80); /* latch channel 2 */
		lo = inb(0x42);
		hi = inb(0x42);
		t1 = rdtsc();
		if (t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			count = (uint16_t)(lo | hi << 8);
		}
	}
	return count;
}

/* TSC cycles between two counter reads below which they are surely less than
 * half a PIT wrap (27 ms) apart, for any TSC of 500 MHz or more. */
#define PIT_SAFE_TSC (27ULL * 500000)

/* Let PIT channel 2 free-run (mode 2, count 65536, gate on) and count its
 * ticks by reading the counter until PIT_CALIB_MS of them were counted.
 * Reading the counter rather than waiting for the OUT bit in port 0x61
 * matters under TCG: QEMU reports that bit late by a varying few tenths of a
 * percent. The counter wraps every 55 ms, so two reads further apart than
 * that lose whole wraps: a vCPU the host starves (many guests on one cpu)
 * read 3-16 times the TSC's real rate. So only steps between reads that are
 * surely shorter than half a wrap count, on both clocks; a longer step (the
 * vCPU did not run) is left out of both. */
static int tsc_from_pit(uint64_t *khz, const char **method)
{
	const uint64_t want = PIT_HZ * PIT_CALIB_MS / 1000;
	uint64_t t0, t1, elapsed = 0, cycles = 0;
	unsigned long spins = 0;
	uint16_t prev, c;

	/* Gate on (bit 0), speaker data off (bit 1). */
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb4); /* channel 2, lobyte/hibyte, mode 2, binary */
	outb(0x42, 0);
	outb(0x42, 0);
	prev = pit2_read(&t0);
	while (elapsed < want) {
		c = pit2_read(&t1);
		if (t1 > t0 && t1 - t0 < PIT_SAFE_TSC) {
			/* The counter counts down and wraps at 65536. */
			elapsed += (uint16_t)(prev - c);
			cycles += t1 - t0;
		}
		prev = c;
		t0 = t1;
		/* A machine without a PIT reads a constant: give up, don't hang. */
		if (++spins > 5000000UL)
			return -1;
	}
	if (!cycles)
		return -1;
	*khz = muldiv64(cycles, PIT_HZ, elapsed * 1000);
	*method = "pit";
	return 0;
}

int tsc_calibrate(uint64_t *khz, const char **method)
{
	if (!tsc_from_hypervisor(khz, method))
		return 0;
	if (!tsc_from_cpuid(khz, method))
		return 0;
	return tsc_from_pit(khz, method);
}
