// SPDX-License-Identifier: GPL-2.0
/* tickguest: takes LAPIC timer interrupts at a fixed period and reports, every
 * report interval, how many arrived against how many the TSC says should have.
 * Command line and output format: README.md. */
#include "apic.h"
#include "arch.h"
#include "console.h"
#include "desc.h"
#include "libc.h"
#include "tsc.h"
#include "tickguest_params.h"

#define MB_BOOT_MAGIC	 0x2badb002
#define MB_INFO_CMDLINE	 (1u << 2)
#define MSR_TSC_DEADLINE 0x6e0
#define SPURIOUS_VECTOR	 0xff

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
};

static const char *const timer_names[] = {
    [TIMER_PERIODIC] = "periodic",
    [TIMER_ONESHOT] = "oneshot",
    [TIMER_TSCDEADLINE] = "tscdeadline",
};

static struct config {
	uint64_t period_us;
	enum timer_mode timer;
	bool idle_busy;
	uint64_t report_ms;
	uint64_t vector;
	uint64_t duration_s;
} cfg = {
    .period_us = 1000,
    .timer = TIMER_PERIODIC,
    .report_ms = 1000,
    .vector = 0x40,
};

/* Clock facts, fixed before the timer is armed. */
static uint64_t tsc_khz, timer_hz, period_tsc, arm_tsc;

/* Written by the interrupt handler; read by the report loop with
 * interrupts off (64-bit values are two loads on i386). */
static volatile uint64_t ticks, late, last_tick_tsc, gap_max_tsc;
static uint64_t next_target;

/* A number option with its allowed range. */
struct num_opt {
	const char *key;
	uint64_t *val;
	uint64_t min, max;
};

/* One key=value from the command line; a bad one is reported and the default
 * kept, so a typo shows up in the output instead of a silent guest. */
static void cmdline_option(const char *key, size_t klen, const char *val, size_t vlen)
{
	const struct num_opt nums[] = {
#define NUM_OPT(key, min, max) {#key, &cfg.key, min, max},
	    TICKGUEST_NUM_PARAMS(NUM_OPT)
#undef NUM_OPT
	};
	char k[32], v[48];
	uint64_t n;

	str_copy_n(k, sizeof(k), key, klen);
	str_copy_n(v, sizeof(v), val, vlen);

	for (unsigned i = 0; i < ARRAY_SIZE(nums); i++) {
		if (!str_eq_n(key, klen, nums[i].key))
			continue;
		if (parse_u64(val, vlen, &n) || n < nums[i].min || n > nums[i].max)
			printf("error what=bad-option option=%s value=%s allowed=%llu..%llu\n", k,
			       v, (unsigned long long)nums[i].min, (unsigned long long)nums[i].max);
		else
			*nums[i].val = n;
		return;
	}
	if (str_eq_n(key, klen, "timer")) {
		for (unsigned i = 0; i < ARRAY_SIZE(timer_names); i++) {
			if (str_eq_n(val, vlen, timer_names[i])) {
				cfg.timer = (enum timer_mode)i;
				return;
			}
		}
		printf("error what=bad-option option=timer value=%s "
		       "allowed=periodic,oneshot,tscdeadline\n",
		       v);
	} else if (str_eq_n(key, klen, "idle")) {
		if (str_eq_n(val, vlen, "hlt") || str_eq_n(val, vlen, "busy"))
			cfg.idle_busy = str_eq_n(val, vlen, "busy");
		else
			printf("error what=bad-option option=idle value=%s allowed=hlt,busy\n", v);
	} else {
		printf("error what=unknown-option option=%s\n", k);
	}
}

/* Space-separated key=value words. QEMU puts the kernel's file name first:
 * words without '=' are skipped. */
static void cmdline_parse(const char *s)
{
	while (*s) {
		const char *w, *eq = NULL;

		while (*s == ' ' || *s == '\t')
			s++;
		w = s;
		while (*s && *s != ' ' && *s != '\t') {
			if (*s == '=' && !eq)
				eq = s;
			s++;
		}
		if (eq && eq > w)
			cmdline_option(w, (size_t)(eq - w), eq + 1, (size_t)(s - eq - 1));
	}
}

/* TSC cycles -> timer counts at the chosen divider, within the 32-bit
 * initial-count register. */
static uint32_t timer_counts(uint64_t tsc_cycles)
{
	uint64_t c = muldiv64(tsc_cycles, timer_hz, tsc_khz * 1000) / apic_timer_divider();

	if (c == 0)
		return 1;
	return c > 0xffffffffULL ? 0xffffffffu : (uint32_t)c;
}

/* Program the next expiry of a oneshot or TSC-deadline timer. Targets stay
 * on the grid arm_tsc + k * period, so handler latency does not accumulate;
 * periods already past are skipped like the kernel's hrtimer_forward() does,
 * so a guest that fell behind shows lost ticks instead of a burst. */
static void timer_rearm(void)
{
	uint64_t now = rdtsc();

	next_target += period_tsc;
	if ((int64_t)(next_target - now) <= 0)
		next_target += ((now - next_target) / period_tsc + 1) * period_tsc;
	if (cfg.timer == TIMER_TSCDEADLINE)
		wrmsr(MSR_TSC_DEADLINE, next_target);
	else
		apic_timer_start(timer_counts(next_target - now));
}

/* The timer interrupt (entered through timer_stub with interrupts off). */
void timer_irq(void);
void timer_irq(void)
{
	uint64_t now = rdtsc();
	uint64_t gap = now - last_tick_tsc;

	if (gap > gap_max_tsc)
		gap_max_tsc = gap;
	if (gap > 2 * period_tsc)
		late++;
	last_tick_tsc = now;
	ticks++;
	if (cfg.timer != TIMER_PERIODIC)
		timer_rearm();
	apic_eoi();
}

void timer_stub(void);

static void timer_arm(void)
{
	apic_timer_setup(cfg.timer, (uint8_t)cfg.vector, false);
	arm_tsc = rdtsc();
	last_tick_tsc = arm_tsc;
	next_target = arm_tsc + period_tsc;
	if (cfg.timer == TIMER_TSCDEADLINE)
		wrmsr(MSR_TSC_DEADLINE, next_target);
	else
		apic_timer_start(timer_counts(period_tsc));
}

struct snapshot {
	uint64_t now, ticks, late, gap_tsc, expected;
};

/* Counters as of now. The interval's largest gap includes the gap still
 * open since the last tick, so a timer that stopped shows a growing gap. */
static void snapshot_take(struct snapshot *s)
{
	uint64_t last;

	cli();
	s->now = rdtsc();
	s->ticks = ticks;
	s->late = late;
	s->gap_tsc = gap_max_tsc;
	gap_max_tsc = 0;
	last = last_tick_tsc;
	sti();
	if (s->now - last > s->gap_tsc)
		s->gap_tsc = s->now - last;
	s->expected = muldiv64(s->now - arm_tsc, 1000, cfg.period_us * tsc_khz);
}

static uint64_t tsc_to_us(uint64_t cycles)
{
	return muldiv64(cycles, 1000, tsc_khz);
}

static void report_loop(void)
{
	uint64_t report_tsc = cfg.report_ms * tsc_khz;
	uint64_t end_tsc = cfg.duration_s * 1000 * tsc_khz;
	uint64_t next = arm_tsc + report_tsc, seq = 0, gap_all = 0;
	struct snapshot s;

	sti();
	for (;;) {
		uint64_t now = rdtsc();
		bool done = end_tsc && now - arm_tsc >= end_tsc;

		if ((int64_t)(now - next) < 0 && !done) {
			if (cfg.idle_busy)
				cpu_relax();
			else
				sti_hlt();
			continue;
		}
		snapshot_take(&s);
		if (s.gap_tsc > gap_all)
			gap_all = s.gap_tsc;
		printf("tick seq=%llu ticks=%llu expected=%llu maxgap_us=%llu late=%llu\n",
		       (unsigned long long)++seq, (unsigned long long)s.ticks,
		       (unsigned long long)s.expected, (unsigned long long)tsc_to_us(s.gap_tsc),
		       (unsigned long long)s.late);
		if (done)
			break;
		/* Stay on the report grid; intervals missed entirely are skipped. */
		next += report_tsc;
		if ((int64_t)(s.now - next) >= 0)
			next += ((s.now - next) / report_tsc + 1) * report_tsc;
	}
	cli();
	apic_timer_setup(cfg.timer, (uint8_t)cfg.vector, true);
	printf("done seq=%llu ticks=%llu expected=%llu maxgap_us=%llu late=%llu elapsed_ms=%llu\n",
	       (unsigned long long)seq, (unsigned long long)s.ticks, (unsigned long long)s.expected,
	       (unsigned long long)tsc_to_us(gap_all), (unsigned long long)s.late,
	       (unsigned long long)((s.now - arm_tsc) / tsc_khz));
	console_exit(0);
}

void kmain(uint32_t magic, const struct mb_info *mbi);
void kmain(uint32_t magic, const struct mb_info *mbi)
{
	const char *calib;
	uint64_t period_ns;

	(void)console_init();
	desc_init();
	pic_disable();
	if (magic != MB_BOOT_MAGIC)
		printf("error what=not-multiboot magic=0x%x\n", magic);
	else if (mbi->flags & MB_INFO_CMDLINE)
		cmdline_parse((const char *)(uintptr_t)mbi->cmdline);

	if (tsc_calibrate(&tsc_khz, &calib) || tsc_khz < 1000) {
		printf("error what=tsc-calibration detail=no-cpuid-frequency-and-pit-failed\n");
		console_exit(1);
	}
	if (apic_init(SPURIOUS_VECTOR)) {
		printf("error what=no-apic\n");
		console_exit(1);
	}
	if (cfg.timer == TIMER_TSCDEADLINE && !apic_has_tsc_deadline()) {
		printf(
		    "error what=no-tsc-deadline detail=cpuid.1:ecx[24]-clear fallback=oneshot\n");
		cfg.timer = TIMER_ONESHOT;
	}
	if (apic_timer_calibrate(tsc_khz * 1000, &timer_hz)) {
		printf("error what=apic-timer-calibration\n");
		console_exit(1);
	}
	period_tsc = muldiv64(cfg.period_us, tsc_khz, 1000);
	period_ns = cfg.period_us * 1000;
	apic_timer_set_divider(timer_hz, period_ns);
	idt_set((uint8_t)cfg.vector, timer_stub);

	printf("tickguest period_us=%llu timer=%s idle=%s report_ms=%llu tsc_khz=%llu calib=%s "
	       "vector=%llu apic_khz=%llu duration_s=%llu\n",
	       (unsigned long long)cfg.period_us, timer_names[cfg.timer],
	       cfg.idle_busy ? "busy" : "hlt", (unsigned long long)cfg.report_ms,
	       (unsigned long long)tsc_khz, calib, (unsigned long long)cfg.vector,
	       (unsigned long long)(timer_hz / 1000), (unsigned long long)cfg.duration_s);
	timer_arm();
	report_loop();
}
