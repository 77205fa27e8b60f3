// SPDX-License-Identifier: GPL-2.0
/* The per-second sample records (sample.c): per-cpu counts are differences
 * of the module's counters (a reset counts from 0), the maxima are those the
 * module handed over for the interval, a cpu that
 * had calls stays in every later sample, each guest's ticks are the
 * difference of its latest reports (none yet: null; a guest that started
 * again counts from 0), and t/dt come from the cell's clock. */
#include "testutil.h"

#include <jansson.h>

#include "sample.h"

static void test_cpu_interval(void **state)
{
	struct lockmap_cpu_stats prev = { .probe_calls = 1000, .probe_max_chain = 9 };
	struct lockmap_cpu_stats cur = { .probe_calls = 1900, .probe_max_chain = 40,
					 .probe_lag_max_ns = 3000000,
					 .probe_irq_max_ns = 4500000 };
	struct sample_cpu sc;

	(void)state;
	sample_cpu_interval(&prev, &cur, &sc);
	assert_int_equal(sc.calls, 900);
	assert_int_equal(sc.max_chain, 40);
	assert_int_equal(sc.max_lag_ns, 3000000);
	assert_int_equal(sc.max_irq_ns, 4500000);
	/* RESET between the two (the window opened): from 0. */
	cur.probe_calls = 300;
	sample_cpu_interval(&prev, &cur, &sc);
	assert_int_equal(sc.calls, 300);
	/* No statistics before: all of cur. */
	sample_cpu_interval(NULL, &cur, &sc);
	assert_int_equal(sc.calls, 300);
}

static void test_guest_interval(void **state)
{
	struct tick_report a = { .seq = 3, .ticks = 2900, .expected = 3000 };
	struct tick_report b = { .seq = 4, .ticks = 3400, .expected = 4000 };
	struct tick_report again = { .seq = 1, .ticks = 990, .expected = 1000 };
	struct sample_guest sg;

	(void)state;
	sample_guest_interval(true, &a, &b, &sg);
	assert_int_equal(sg.ticks, 500);
	assert_int_equal(sg.expected, 1000);
	sample_guest_interval(true, &b, &b, &sg);	/* no report in between */
	assert_int_equal(sg.ticks, 0);
	assert_int_equal(sg.expected, 0);
	sample_guest_interval(false, NULL, &a, &sg);	/* its first report */
	assert_int_equal(sg.ticks, 2900);
	assert_int_equal(sg.expected, 3000);
	sample_guest_interval(true, &b, &again, &sg);	/* started again */
	assert_int_equal(sg.ticks, 990);
	assert_int_equal(sg.expected, 1000);
}

static json_int_t rec_int(json_t *rec, const char *cpu, const char *key)
{
	json_t *v = json_object_get(json_object_get(json_object_get(rec, "cpus"), cpu), key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* Three samples of a cell with two cpus and two guests, as cell.c takes
 * them: statistics and reports move between them. */
static void test_sampler_records(void **state)
{
	const int64_t t0 = 50 * NSEC_PER_SEC;
	struct guest_metrics g0 = { 0 }, g1 = { 0 };
	const struct guest_metrics *gm[] = { &g0, &g1 };
	struct lockmap_stats st = { .nr_cpus = 2 };
	struct sampler s;
	struct sample_in in = { .cell = "abc", .rep = 1, .phase = "warmup", .st = &st,
				.guests = gm };
	json_t *rec;

	(void)state;
	assert_int_equal(sampler_init(&s, t0, t0 + NSEC_PER_SEC / 2, 2), 0);
	assert_false(sampler_due(&s, t0 + NSEC_PER_SEC));
	assert_true(sampler_due(&s, t0 + 3 * NSEC_PER_SEC / 2));

	/* 1: cpu 1 has calls, cpu 0 none; guest 0 reported, guest 1 not yet. */
	st.cpu[1] = (struct lockmap_cpu_stats){ .probe_calls = 1000, .probe_max_chain = 1,
						.probe_lag_max_ns = 20000 };
	g0.have_latest = true;
	g0.latest = (struct tick_report){ .seq = 1, .ticks = 990, .expected = 1000 };
	in.now = t0 + 3 * NSEC_PER_SEC / 2;
	in.inject = json_pack("{s:b}", "irqoff", 0);
	rec = sampler_record(&s, &in);
	assert_string_equal(json_string_value(json_object_get(rec, "type")), "sample");
	assert_string_equal(json_string_value(json_object_get(rec, "cell")), "abc");
	assert_int_equal(json_integer_value(json_object_get(rec, "rep")), 1);
	assert_string_equal(json_string_value(json_object_get(rec, "phase")), "warmup");
	assert_float_equal(json_number_value(json_object_get(rec, "t")), 1.5, 1e-9);
	assert_float_equal(json_number_value(json_object_get(rec, "dt")), 1.0, 1e-9);
	assert_null(json_object_get(json_object_get(rec, "cpus"), "0"));
	assert_int_equal(rec_int(rec, "1", "calls"), 1000);
	assert_int_equal(rec_int(rec, "1", "max_chain"), 1);
	assert_int_equal(rec_int(rec, "1", "max_lag_us"), 20);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
				 json_object_get(rec, "guests"), 0), "ticks")), 990);
	assert_true(json_is_null(json_array_get(json_object_get(rec, "guests"), 1)));
	assert_true(json_is_false(json_object_get(json_object_get(rec, "inject"), "irqoff")));
	json_decref(rec);

	/* 2: a catch-up on cpu 1 (the module took the maxima: these are the
	 * interval's); cpu 0 still silent; both guests reported. */
	st.cpu[1] = (struct lockmap_cpu_stats){ .probe_calls = 9000, .probe_max_chain = 4000,
						.probe_lag_max_ns = 3000000000ull,
						.probe_irq_max_ns = 2400000000ull };
	g0.latest = (struct tick_report){ .seq = 2, .ticks = 1100, .expected = 2000 };
	g1.have_latest = true;
	g1.latest = (struct tick_report){ .seq = 1, .ticks = 800, .expected = 1000 };
	in.phase = "window";
	in.now = t0 + 5 * NSEC_PER_SEC / 2;
	in.inject = json_pack("{s:b}", "irqoff", 1);
	rec = sampler_record(&s, &in);
	assert_int_equal(rec_int(rec, "1", "calls"), 8000);
	assert_int_equal(rec_int(rec, "1", "max_chain"), 4000);
	assert_int_equal(rec_int(rec, "1", "max_lag_us"), 3000000);
	assert_int_equal(rec_int(rec, "1", "max_irq_us"), 2400000);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
				 json_object_get(rec, "guests"), 0), "ticks")), 110);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
				 json_object_get(rec, "guests"), 0), "expected")), 1000);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
				 json_object_get(rec, "guests"), 1), "ticks")), 800);
	assert_true(json_is_true(json_object_get(json_object_get(rec, "inject"), "irqoff")));
	json_decref(rec);

	/* Between two samples the irq-off series ran and ended: seen on at a
	 * look, it is on for the interval even though it is off at its end. */
	sampler_look(&s, json_pack("{s:b}", "irqoff", 1));
	sampler_look(&s, json_pack("{s:b}", "irqoff", 0));
	in.now = t0 + 11 * NSEC_PER_SEC / 4;
	in.inject = json_pack("{s:b}", "irqoff", 0);
	rec = sampler_record(&s, &in);
	assert_true(json_is_true(json_object_get(json_object_get(rec, "inject"), "irqoff")));
	json_decref(rec);

	/* 3: cpu 1 had no call and is still reported (0), so its series stays
	 * whole; the module took the maxima at the last sample: 0 now. */
	st.cpu[1].probe_max_chain = 0;
	st.cpu[1].probe_lag_max_ns = 0;
	st.cpu[1].probe_irq_max_ns = 0;
	in.now = t0 + 3 * NSEC_PER_SEC;
	in.inject = NULL;
	rec = sampler_record(&s, &in);
	/* The next interval starts afresh: nothing seen, no injector. */
	assert_int_equal(json_object_size(json_object_get(rec, "inject")), 0);
	assert_int_equal(rec_int(rec, "1", "calls"), 0);
	assert_int_equal(rec_int(rec, "1", "max_chain"), 0);
	assert_int_equal(rec_int(rec, "1", "max_irq_us"), 0);
	/* From the sample at 2.75 s to this one at 3 s. */
	assert_float_equal(json_number_value(json_object_get(rec, "dt")), 0.25, 1e-9);
	assert_true(json_is_object(json_object_get(rec, "inject")));
	json_decref(rec);

	/* Without the probe: cpus is null. */
	in.st = NULL;
	in.now = t0 + 4 * NSEC_PER_SEC;
	rec = sampler_record(&s, &in);
	assert_true(json_is_null(json_object_get(rec, "cpus")));
	json_decref(rec);
	sampler_free(&s);
}

/* An injector whose size is 0 is "off": started, it still did not run. */
static void test_inject_json(void **state)
{
	struct inject_ctx inj[2] = { { .ops = injector_find("irqoff") },
				      { .ops = injector_find("pause"), .started = 1 } };
	json_t *o;

	(void)state;
	assert_non_null(inj[0].ops);
	assert_non_null(inj[1].ops);
	o = sample_inject_json(inj, 2);
	assert_int_equal(json_object_size(o), 2);
	assert_true(json_is_false(json_object_get(o, "irqoff")));
	assert_true(json_is_false(json_object_get(o, "pause")));
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inject_json),
		cmocka_unit_test(test_cpu_interval),
		cmocka_unit_test(test_guest_interval),
		cmocka_unit_test(test_sampler_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
