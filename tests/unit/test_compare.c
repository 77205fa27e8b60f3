// SPDX-License-Identifier: GPL-2.0
/* Two runs' rates compared by cell id (compare.h): the rule of worse and
 * better on outcomes and on rates (Wilson intervals), new and gone ids,
 * unmeasured cells, and the line that names a cell. Fake rates of fake
 * cells: compare.c reads nothing else. */
#include "testutil.h"

#include "compare.h"

/* A cell rate of id: worst reached k of n times (n = 0: nothing measured). */
static struct cell_rate cr_make(const struct cell *c, enum outcome worst, unsigned k, unsigned n)
{
	struct cell_rate cr = { .cell = c, .repeats = n, .n = n, .worst = worst, .k = k };

	if (n) {
		cr.counts[worst] = k;
		cr.counts[OUT_CLEAN] += n - k;
		cr.rate = (double)k / n;
		rates_wilson(k, n, &cr.lo, &cr.hi);
	}
	return cr;
}

static struct cell C1 = { .id = "00000000000000a1" }, C2 = { .id = "00000000000000a2" },
		   C3 = { .id = "00000000000000a3" }, C4 = { .id = "00000000000000a4" };

/* hardlockup 1/5 against clean 5/5 is worse (the brief's example), and the
 * other way better; a worse outcome wins over any rate. */
static void test_compare_outcome_order(void **state)
{
	struct cell_rate hl1 = cr_make(&C1, OUT_HARDLOCKUP, 1, 5);
	struct cell_rate clean = cr_make(&C1, OUT_CLEAN, 5, 5);
	struct cell_rate soft5 = cr_make(&C1, OUT_SOFTLOCKUP, 5, 5);
	struct cell_rate err = cr_make(&C1, OUT_ERROR, 1, 3);
	bool by_rate;

	(void)state;
	assert_int_equal(compare_cell(&hl1, &clean, &by_rate), CMP_WORSE);
	assert_false(by_rate);
	assert_int_equal(compare_cell(&clean, &hl1, &by_rate), CMP_BETTER);
	assert_int_equal(compare_cell(&hl1, &soft5, &by_rate), CMP_WORSE);
	assert_int_equal(compare_cell(&soft5, &hl1, &by_rate), CMP_BETTER);
	/* An error of the cell is never counted clean. */
	assert_int_equal(compare_cell(&err, &hl1, &by_rate), CMP_WORSE);
}

/* The same worst outcome: worse or better only when the intervals are apart. */
static void test_compare_rates(void **state)
{
	struct cell_rate hl10 = cr_make(&C1, OUT_HARDLOCKUP, 10, 10);	/* 72%-100% */
	struct cell_rate hl1of10 = cr_make(&C1, OUT_HARDLOCKUP, 1, 10);	/* 2%-40% */
	struct cell_rate hl5 = cr_make(&C1, OUT_HARDLOCKUP, 5, 5);	/* 57%-100% */
	struct cell_rate hl1 = cr_make(&C1, OUT_HARDLOCKUP, 1, 5);	/* 4%-62% */
	struct cell_rate hl3 = cr_make(&C1, OUT_HARDLOCKUP, 3, 5);	/* 23%-88% */
	struct cell_rate deg1 = cr_make(&C1, OUT_DEGRADED, 1, 1);
	struct cell_rate deg1b = cr_make(&C1, OUT_DEGRADED, 1, 1);
	struct cell_rate clean2 = cr_make(&C1, OUT_CLEAN, 2, 2);
	struct cell_rate clean5 = cr_make(&C1, OUT_CLEAN, 5, 5);
	bool by_rate;

	(void)state;
	assert_int_equal(compare_cell(&hl10, &hl1of10, &by_rate), CMP_WORSE);
	assert_true(by_rate);
	assert_int_equal(compare_cell(&hl1of10, &hl10, &by_rate), CMP_BETTER);
	assert_true(by_rate);
	/* Five repeats cannot tell 5/5 from 1/5 apart. */
	assert_int_equal(compare_cell(&hl5, &hl1, &by_rate), CMP_SAME);
	assert_false(by_rate);
	assert_int_equal(compare_cell(&hl3, &hl1, &by_rate), CMP_SAME);
	assert_false(by_rate);
	assert_int_equal(compare_cell(&hl5, &hl3, &by_rate), CMP_SAME);
	assert_int_equal(compare_cell(&deg1, &deg1b, &by_rate), CMP_SAME);
	assert_int_equal(compare_cell(&clean5, &clean2, &by_rate), CMP_SAME);
}

static void test_compare_unmeasured(void **state)
{
	struct cell_rate none = cr_make(&C1, OUT_CLEAN, 0, 0);
	struct cell_rate hl = cr_make(&C1, OUT_HARDLOCKUP, 2, 2);
	bool by_rate;

	(void)state;
	none.interrupted = 2;
	assert_int_equal(compare_cell(&none, &hl, &by_rate), CMP_UNMEASURED);
	assert_int_equal(compare_cell(&hl, &none, &by_rate), CMP_UNMEASURED);
}

/* Matched by id whatever the order; new and gone; counts and matched. */
static void test_compare_runs(void **state)
{
	struct cell_rate now_cells[] = {
		cr_make(&C2, OUT_CLEAN, 2, 2),
		cr_make(&C1, OUT_HARDLOCKUP, 1, 2),
		cr_make(&C4, OUT_DEGRADED, 2, 2),
	};
	struct cell_rate before_cells[] = {
		cr_make(&C1, OUT_CLEAN, 2, 2),
		cr_make(&C2, OUT_CLEAN, 2, 2),
		cr_make(&C3, OUT_SOFTLOCKUP, 1, 2),
	};
	struct rates now = { now_cells, ARRAY_SIZE(now_cells), 2 };
	struct rates before = { before_cells, ARRAY_SIZE(before_cells), 2 };
	struct compare cmp;
	char line[1024];

	(void)state;
	assert_int_equal(compare_rates(&now, &before, &cmp), 0);
	assert_int_equal(cmp.nentries, 4);
	assert_int_equal(cmp.matched, 2);
	assert_int_equal(cmp.count[CMP_SAME], 1);
	assert_int_equal(cmp.count[CMP_WORSE], 1);
	assert_int_equal(cmp.count[CMP_NEW], 1);
	assert_int_equal(cmp.count[CMP_GONE], 1);
	assert_int_equal(cmp.count[CMP_BETTER], 0);
	assert_int_equal(cmp.entries[1].kind, CMP_WORSE);
	assert_ptr_equal(cmp.entries[1].before, &before_cells[0]);
	assert_int_equal(cmp.entries[2].kind, CMP_NEW);
	assert_null(cmp.entries[2].before);
	assert_int_equal(cmp.entries[3].kind, CMP_GONE);
	assert_ptr_equal(cmp.entries[3].before, &before_cells[2]);
	assert_null(cmp.entries[3].now);

	/* Both rates in the line of a worse cell. */
	compare_describe(&cmp.entries[1], line, sizeof(line));
	assert_non_null(strstr(line, "worse"));
	assert_non_null(strstr(line, C1.id));
	assert_non_null(strstr(line, "hardlockup 1/2"));
	assert_non_null(strstr(line, "before: clean 2/2"));
	compare_describe(&cmp.entries[3], line, sizeof(line));
	assert_non_null(strstr(line, "gone"));
	assert_non_null(strstr(line, "not in this run; before: softlockup 1/2"));
	compare_free(&cmp);
	assert_null(cmp.entries);
}

/* No cell in common: nothing matched (cmd_report refuses that). */
static void test_compare_disjoint(void **state)
{
	struct cell_rate a[] = { cr_make(&C1, OUT_CLEAN, 1, 1) };
	struct cell_rate b[] = { cr_make(&C2, OUT_CLEAN, 1, 1) };
	struct rates now = { a, 1, 1 }, before = { b, 1, 1 };
	struct compare cmp;

	(void)state;
	assert_int_equal(compare_rates(&now, &before, &cmp), 0);
	assert_int_equal(cmp.matched, 0);
	assert_int_equal(cmp.count[CMP_NEW], 1);
	assert_int_equal(cmp.count[CMP_GONE], 1);
	compare_free(&cmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compare_outcome_order),
		cmocka_unit_test(test_compare_rates),
		cmocka_unit_test(test_compare_unmeasured),
		cmocka_unit_test(test_compare_runs),
		cmocka_unit_test(test_compare_disjoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
