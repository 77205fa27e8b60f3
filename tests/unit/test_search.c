// SPDX-License-Identifier: GPL-2.0
/* The boundary search's state machine (search.c) against cell runners with a
 * known threshold: exact ones at every place of the space, above hi and at
 * or below lo, and noisy ones (the target reached with a probability that
 * rises with the value, seeded), counting the probes against
 * log2((hi - lo) / resolution) + 2; the rule over repeats, probes that
 * contradict monotonicity and probes that decide nothing. */
#include "testutil.h"

#include <math.h>

#include "search.h"

/* 0 to 16 s at 500 ms, in ns: 33 values, 32 steps, 2 + 5 probes at most. */
static const struct search_space sp16 = { 0, 16 * NSEC_PER_SEC, 500 * NSEC_PER_MSEC };

static void test_space(void **state)
{
	const struct search_space odd = { 0, 10, 3 };	/* 0 3 6 9 10 */
	const struct search_space two = { 5, 6, 1 };
	size_t i;

	(void)state;
	assert_int_equal(search_npoints(&sp16), 33);
	assert_int_equal(search_value(&sp16, 0), 0);
	assert_int_equal(search_value(&sp16, 13), 6500 * NSEC_PER_MSEC);
	assert_int_equal(search_value(&sp16, 32), 16 * NSEC_PER_SEC);
	assert_int_equal(search_bound(&sp16), 7);
	assert_int_equal(search_npoints(&odd), 5);
	assert_int_equal(search_value(&odd, 3), 9);
	assert_int_equal(search_value(&odd, 4), 10);	/* the last step is shorter */
	assert_int_equal(search_bound(&odd), 4);
	assert_true(search_point(&odd, 10, &i) && i == 4);
	assert_true(search_point(&odd, 6, &i) && i == 2);
	assert_false(search_point(&odd, 7, &i));
	assert_false(search_point(&odd, 12, &i));
	assert_false(search_point(&odd, -3, &i));
	assert_int_equal(search_npoints(&two), 2);
	assert_int_equal(search_bound(&two), 2);
}

static void test_verdict_rule(void **state)
{
	(void)state;
	assert_int_equal(search_verdict_of(0, 0), SV_UNDECIDED);
	assert_int_equal(search_verdict_of(1, 2), SV_REACHED);	/* a tie reaches */
	assert_int_equal(search_verdict_of(2, 3), SV_REACHED);
	assert_int_equal(search_verdict_of(1, 3), SV_NOT_REACHED);
	assert_int_equal(search_verdict_of(0, 5), SV_NOT_REACHED);
	assert_int_equal(search_verdict_of(5, 5), SV_REACHED);
	assert_string_equal(search_verdict_name(SV_UNDECIDED), "undecided");
	assert_string_equal(search_status_name(SEARCH_AT_OR_BELOW_LO), "at_or_below_lo");
}

/* A cell runner: of repeats runs at value v, how many reach the target. */
typedef unsigned (*runner_fn)(void *arg, int64_t v, unsigned repeats);

/* Drive the machine with a runner to its end; the values probed go to seen. */
static void drive(const struct search_space *s, runner_fn run, void *arg, unsigned repeats,
		  struct search_step *end, int64_t *seen, size_t *nseen)
{
	struct search_probe pr[64];
	size_t n = 0;

	for (;;) {
		assert_int_equal(search_next(s, pr, n, end), 0);
		assert_int_equal(end->nprobes, n);
		if (end->status != SEARCH_PROBE)
			break;
		assert_true(n < ARRAY_SIZE(pr));
		for (size_t i = 0; i < n; i++)
			if (pr[i].value == end->next)
				fail_msg("value %lld asked for twice", (long long)end->next);
		pr[n].value = end->next;
		pr[n].verdict = search_verdict_of(run(arg, end->next, repeats), repeats);
		seen[n++] = end->next;
	}
	*nseen = n;
}

static unsigned exact_runner(void *arg, int64_t v, unsigned repeats)
{
	return v >= *(int64_t *)arg ? repeats : 0;
}

/* Every threshold a known runner can have, on every value and between them:
 * the smallest value at or above it, hi first then lo, never more probes than
 * the bound, and the bound reached (it is the tight one). */
static void test_exact_thresholds(void **state)
{
	unsigned most = 0;

	(void)state;
	for (int64_t t = 250 * NSEC_PER_MSEC; t <= 16 * NSEC_PER_SEC; t += 250 * NSEC_PER_MSEC) {
		struct search_step end;
		int64_t seen[64], want = (t + sp16.res - 1) / sp16.res * sp16.res;
		size_t n;

		drive(&sp16, exact_runner, &t, 1, &end, seen, &n);
		if (end.status != SEARCH_FOUND || end.threshold != want)
			fail_msg("threshold %lld: status %s, found %lld, want %lld", (long long)t,
				 search_status_name(end.status), (long long)end.threshold,
				 (long long)want);
		assert_true(n <= search_bound(&sp16));
		assert_int_equal(seen[0], sp16.hi);
		assert_int_equal(seen[1], sp16.lo);
		assert_true(end.have_reached && end.reached == want);
		assert_true(end.have_not_reached && end.not_reached == want - sp16.res);
		most = n > most ? (unsigned)n : most;
	}
	assert_int_equal(most, search_bound(&sp16));
}

static void test_above_hi_at_or_below_lo(void **state)
{
	struct search_step end;
	int64_t seen[64], t;
	size_t n;

	(void)state;
	t = 17 * NSEC_PER_SEC;
	drive(&sp16, exact_runner, &t, 1, &end, seen, &n);
	assert_int_equal(end.status, SEARCH_ABOVE_HI);
	assert_int_equal(n, 1);
	assert_false(end.have_reached);
	assert_int_equal(end.not_reached, sp16.hi);
	t = 0;
	drive(&sp16, exact_runner, &t, 1, &end, seen, &n);
	assert_int_equal(end.status, SEARCH_AT_OR_BELOW_LO);
	assert_int_equal(n, 2);
	assert_int_equal(end.threshold, sp16.lo);
	assert_false(end.have_not_reached);
}

/* A runner that reaches with probability 1 / (1 + exp(-(v - t) / width)),
 * from a seeded generator: the same seed gives the same runs. */
struct noisy {
	int64_t t, width;
	uint64_t rng;
	unsigned mixed;		/* probes whose repeats did not all agree */
};

static double noisy_uniform(struct noisy *nz)
{
	nz->rng = nz->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(nz->rng >> 11) / (double)(1ULL << 53);
}

static unsigned noisy_runner(void *arg, int64_t v, unsigned repeats)
{
	struct noisy *nz = arg;
	double p = 1.0 / (1.0 + exp(-(double)(v - nz->t) / (double)nz->width));
	unsigned k = 0;

	for (unsigned r = 0; r < repeats; r++)
		k += noisy_uniform(nz) < p;
	nz->mixed += k && k < repeats;
	return k;
}

/* Noisy cells, 5 repeats a probe: the probes stay within the bound (about
 * log2(32) + 2 = 7) and the threshold lands near the 50% point; over many
 * seeds the noise shows (some probes disagree among their repeats). */
static void test_noisy_thresholds(void **state)
{
	unsigned mixed = 0, far = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct noisy nz = { .t = 6200 * NSEC_PER_MSEC, .width = 300 * NSEC_PER_MSEC,
				    .rng = seed };
		struct search_step end;
		int64_t seen[64];
		size_t n;

		drive(&sp16, noisy_runner, &nz, 5, &end, seen, &n);
		assert_int_equal(end.status, SEARCH_FOUND);
		assert_true(n + 1 >= search_bound(&sp16) && n <= search_bound(&sp16));
		/* 1.5 s from the 50% point is 5 widths: a majority of 5 gets it
		 * wrong there once in ~10^4 probes. */
		if (llabs(end.threshold - nz.t) > 1500 * NSEC_PER_MSEC)
			fail_msg("seed %llu: threshold %lld, the 50%% point is %lld",
				 (unsigned long long)seed, (long long)end.threshold, (long long)nz.t);
		far += llabs(end.threshold - nz.t) > 500 * NSEC_PER_MSEC;
		mixed += nz.mixed;
	}
	assert_true(mixed > 0);
	/* Most land within one step of the 50% point. */
	assert_true(far < 40);
}

/* The probes are a set: any order gives the same step; values that are none
 * of the space's are left out. */
static void test_probe_order(void **state)
{
	struct search_probe pr[] = {
		{ 16 * NSEC_PER_SEC, SV_REACHED },
		{ 0, SV_NOT_REACHED },
		{ 8 * NSEC_PER_SEC, SV_NOT_REACHED },
		{ 12 * NSEC_PER_SEC, SV_REACHED },
		{ 1234, SV_REACHED },		/* not a value of the space */
	};
	struct search_probe rev[ARRAY_SIZE(pr)];
	struct search_step a, b;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(pr); i++)
		rev[i] = pr[ARRAY_SIZE(pr) - 1 - i];
	assert_int_equal(search_next(&sp16, pr, ARRAY_SIZE(pr), &a), 0);
	assert_int_equal(search_next(&sp16, rev, ARRAY_SIZE(rev), &b), 0);
	assert_int_equal(a.status, SEARCH_PROBE);
	assert_int_equal(a.next, 10 * NSEC_PER_SEC);
	assert_int_equal(a.nprobes, 4);
	assert_memory_equal(&a, &b, sizeof(a));
}

/* A higher value that did not reach while a lower one did is said, with
 * both values, not bisected around. */
static void test_non_monotonic(void **state)
{
	struct search_probe pr[] = {
		{ 16 * NSEC_PER_SEC, SV_REACHED },
		{ 0, SV_NOT_REACHED },
		{ 8 * NSEC_PER_SEC, SV_REACHED },
		{ 12 * NSEC_PER_SEC, SV_NOT_REACHED },
	};
	struct search_step st;

	(void)state;
	assert_int_equal(search_next(&sp16, pr, ARRAY_SIZE(pr), &st), 0);
	assert_int_equal(st.status, SEARCH_NON_MONOTONIC);
	assert_int_equal(st.reached, 8 * NSEC_PER_SEC);
	assert_int_equal(st.not_reached, 12 * NSEC_PER_SEC);
	/* the same value both ways (a probe given twice) is a contradiction too */
	pr[3] = (struct search_probe){ 8 * NSEC_PER_SEC, SV_NOT_REACHED };
	assert_int_equal(search_next(&sp16, pr, ARRAY_SIZE(pr), &st), 0);
	assert_int_equal(st.status, SEARCH_NON_MONOTONIC);
}

/* A probe none of whose repeats counts ends the search of its combination,
 * naming the value; a space that is none is refused. */
static void test_undecided_and_bad_space(void **state)
{
	struct search_probe pr[] = {
		{ 16 * NSEC_PER_SEC, SV_REACHED },
		{ 0, SV_UNDECIDED },
	};
	const struct search_space bad[] = { { 5, 5, 1 }, { 6, 5, 1 }, { 0, 5, 0 } };
	struct search_step st;

	(void)state;
	assert_int_equal(search_next(&sp16, pr, ARRAY_SIZE(pr), &st), 0);
	assert_int_equal(st.status, SEARCH_UNDECIDED);
	assert_int_equal(st.undecided, 0);
	assert_true(st.have_reached);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(search_next(&bad[i], NULL, 0, &st), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_space),
		cmocka_unit_test(test_verdict_rule),
		cmocka_unit_test(test_exact_thresholds),
		cmocka_unit_test(test_above_hi_at_or_below_lo),
		cmocka_unit_test(test_noisy_thresholds),
		cmocka_unit_test(test_probe_order),
		cmocka_unit_test(test_non_monotonic),
		cmocka_unit_test(test_undecided_and_bad_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
