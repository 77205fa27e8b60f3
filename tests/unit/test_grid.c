// SPDX-License-Identifier: GPL-2.0
/* The grid: product of axes in profile order, repetitions, cell ids that stay
 * the same across key order and spelling, parameter access, descriptions. */
#include <ctype.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "grid.h"
#include "lockmap.h"

struct built {
	struct profile *p;
	struct grid g;
};

static void build(struct built *b, const char *text)
{
	char err[1024] = "";
	int rc = profile_parse("grid.profile", text, &b->p, err, sizeof(err));

	if (rc)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(grid_build(b->p, &b->g), 0);
}

static void unbuild(struct built *b)
{
	grid_free(&b->g);
	profile_free(b->p);
}

static void test_product_order(void **state)
{
	struct built b;
	static const struct {
		int64_t count;
		const char *period;
	} want[] = {
		{ 1, "100us" }, { 1, "200us" }, { 1, "300us" },
		{ 2, "100us" }, { 2, "200us" }, { 2, "300us" },
	};

	(void)state;
	build(&b, "[guests]\ncount = 1, 2\nvcpus = 1\nperiod = 100us..300us+100us\n");
	assert_int_equal(b.g.ncells, ARRAY_SIZE(want));
	assert_int_equal(b.g.naxes, 2);
	assert_string_equal(b.g.axes[0]->key, "count");
	assert_string_equal(b.g.axes[1]->key, "period");
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct cell *c = &b.g.cells[i];

		assert_int_equal(c->index, i);
		assert_int_equal(c->rep, 0);
		assert_ptr_equal(c->prof, b.p);
		assert_int_equal(c->nparams, b.p->nkeys);
		assert_int_equal(cell_num(c, "guests", "count"), want[i].count);
		assert_string_equal(cell_str(c, "guests", "period"), want[i].period);
		/* Keys that are not axes have their one value in every cell. */
		assert_int_equal(cell_num(c, "guests", "vcpus"), 1);
		assert_int_equal(cell_num(c, "run", "cell_seconds"), 20 * NSEC_PER_SEC);
		assert_int_equal(cell_val(c, "guests", "pin")->mask, 1);
	}
	unbuild(&b);
}

static void test_geometric_axis(void **state)
{
	struct built b;

	(void)state;
	build(&b, "[guests]\ncount = 1..64*2\nperiod = 1ms\n");
	assert_int_equal(b.g.ncells, 7);
	for (size_t i = 0; i < b.g.ncells; i++)
		assert_int_equal(cell_num(&b.g.cells[i], "guests", "count"), 1 << i);
	unbuild(&b);
}

static void test_single_cell(void **state)
{
	struct built b;
	char desc[128];

	(void)state;
	build(&b, "[guests]\ncount = 8\nperiod = 200us\n");
	assert_int_equal(b.g.ncells, 1);
	assert_int_equal(b.g.naxes, 0);
	cell_describe(&b.g.cells[0], desc, sizeof(desc));
	assert_string_equal(desc, "(single cell)");
	unbuild(&b);
}

static void test_repeat(void **state)
{
	struct built b;

	(void)state;
	build(&b, "[run]\nrepeat = 3\n[guests]\ncount = 1, 8\nperiod = 1ms\n");
	assert_int_equal(b.g.ncells, 6);
	for (size_t i = 0; i < b.g.ncells; i++) {
		const struct cell *c = &b.g.cells[i];

		/* Repetitions of one cell are adjacent and share its id. */
		assert_int_equal(c->index, i);
		assert_int_equal(c->rep, (int)(i % 3));
		assert_int_equal(cell_num(c, "guests", "count"), i < 3 ? 1 : 8);
		assert_string_equal(c->id, b.g.cells[i - i % 3].id);
	}
	assert_string_not_equal(b.g.cells[0].id, b.g.cells[3].id);
	unbuild(&b);
}

/* The id of the cell with these guests.count and guests.period (ns). */
static const char *id_of(const struct grid *g, int64_t count, int64_t period)
{
	for (size_t i = 0; i < g->ncells; i++)
		if (cell_num(&g->cells[i], "guests", "count") == count &&
		    cell_num(&g->cells[i], "guests", "period") == period)
			return g->cells[i].id;
	print_error("no cell count=%lld period=%lld\n", (long long)count, (long long)period);
	fail();
	return NULL;
}

static void test_ids_stable(void **state)
{
	static const char *const texts[] = {
		"[run]\nname = a\n[guests]\ncount = 1, 8\nperiod = 1ms, 200us\nmemory = 1G\n"
		"[inject.pause]\nlength = 5ms\n",
		/* other key and section order, other spellings, another run name,
		 * another repeat count */
		"[inject.pause]\nlength = 5000us\n[guests]\nmemory = 1024M\n"
		"period = 1000us, 0.2ms\ncount = 8, 1\n[run]\nrepeat = 4\nname = b\n",
		"[guests]\nperiod = 1ms, 200000ns\ncount = 01, 8\nmemory = 1g\n"
		"[inject.pause]\nlength = 0.005s\n",
	};
	static const int64_t cells[][2] = {
		{ 1, NSEC_PER_MSEC }, { 1, 200 * NSEC_PER_USEC },
		{ 8, NSEC_PER_MSEC }, { 8, 200 * NSEC_PER_USEC },
	};
	struct built b[ARRAY_SIZE(texts)];

	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(texts); t++)
		build(&b[t], texts[t]);
	assert_int_equal(b[0].g.ncells, ARRAY_SIZE(cells));
	for (size_t c = 0; c < ARRAY_SIZE(cells); c++) {
		const char *id = id_of(&b[0].g, cells[c][0], cells[c][1]);

		assert_int_equal(strlen(id), 16);
		for (const char *p = id; *p; p++)
			assert_true(isdigit((unsigned char)*p) || (*p >= 'a' && *p <= 'f'));
		for (size_t t = 1; t < ARRAY_SIZE(texts); t++)
			assert_string_equal(id_of(&b[t].g, cells[c][0], cells[c][1]), id);
		/* Different cells of one grid have different ids. */
		for (size_t o = 0; o < c; o++)
			assert_string_not_equal(id_of(&b[0].g, cells[o][0], cells[o][1]), id);
	}
	for (size_t t = 0; t < ARRAY_SIZE(texts); t++)
		unbuild(&b[t]);
}

static void test_ids_differ(void **state)
{
	static const char *const texts[] = {
		"[guests]\ncount = 8\nperiod = 1ms\n",
		"[guests]\ncount = 8\nperiod = 2ms\n",
		"[guests]\ncount = 8\nperiod = 1ms\nvcpus = 2\n",
		"[guests]\ncount = 8\nperiod = 1ms\n[inject.pause]\nlength = 1ms\n",
		"[guests]\ncount = 8\nperiod = 1ms\n[host]\nsysctl.kernel.panic = 10\n",
		"[guests]\ncount = 8\nperiod = 1ms\n[host]\nsysctl.kernel.panic = 0\n",
	};
	struct built b[ARRAY_SIZE(texts)];

	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(texts); t++) {
		build(&b[t], texts[t]);
		for (size_t o = 0; o < t; o++)
			assert_string_not_equal(b[o].g.cells[0].id, b[t].g.cells[0].id);
	}
	for (size_t t = 0; t < ARRAY_SIZE(texts); t++)
		unbuild(&b[t]);
}

/* The id is FNV-1a 64 of the sorted "section.key=text\n" lines of the keys
 * the profile set (run.name and run.repeat excluded): the documented format,
 * which must not change or every stored result loses its cell. */
static void test_id_format(void **state)
{
	const char *lines = "guests.count=8\nguests.period=1ms\nrun.warmup=1s\n";
	uint64_t h = 0xcbf29ce484222325ULL;
	char want[17];
	struct built b;

	(void)state;
	for (const unsigned char *p = (const unsigned char *)lines; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	snprintf(want, sizeof(want), "%016llx", (unsigned long long)h);
	build(&b, "[run]\nwarmup = 1000ms\nname = x\nrepeat = 2\n[guests]\nperiod = 1ms\n"
		  "count = 8\n");
	assert_string_equal(b.g.cells[0].id, want);
	unbuild(&b);
}

static void test_describe(void **state)
{
	struct built b;
	char desc[128], small[20];

	(void)state;
	build(&b, "[guests]\ncount = 8, 16\nperiod = 200us, 1ms\npin = 0 | 0-1\n");
	cell_describe(&b.g.cells[0], desc, sizeof(desc));
	assert_string_equal(desc, "guests.count=8 guests.period=200us guests.pin=0");
	cell_describe(&b.g.cells[7], desc, sizeof(desc));
	assert_string_equal(desc, "guests.count=16 guests.period=1ms guests.pin=0-1");
	/* A short buffer is cut, never overrun. */
	cell_describe(&b.g.cells[0], small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	unbuild(&b);
}

static void test_sections(void **state)
{
	struct built b;

	(void)state;
	build(&b, "[guests]\ncount = 1\nperiod = 1ms\n[inject.pause]\n");
	assert_true(cell_has_section(&b.g.cells[0], "inject.pause"));
	assert_false(cell_has_section(&b.g.cells[0], "inject.stress"));
	assert_true(cell_has_section(&b.g.cells[0], "host"));
	assert_int_equal(cell_num(&b.g.cells[0], "inject.pause", "length"), 0);
	assert_string_equal(cell_str(&b.g.cells[0], "expect", "fail_on"),
			    "rcu_stall,softlockup,hardlockup,panic,host_hang,error");
	unbuild(&b);
}

/* Asking for a key no spec has is a programming error: abort, loudly. */
static void test_unknown_key_aborts(void **state)
{
	struct built b;
	pid_t pid;
	int status;

	(void)state;
	build(&b, "[guests]\ncount = 1\nperiod = 1ms\n");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The child's stderr would be noise in the test output. */
		(void)!freopen("/dev/null", "w", stderr);
		(void)cell_num(&b.g.cells[0], "guests", "no_such_key");
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	unbuild(&b);
}

/* A soak's grid: the cells of one pass again per pass, pass-major, the
 * repeats numbered on, ids the same; the cells of the passes before keep
 * their index when a pass is added (a soak's journal stays valid). */
static void test_passes(void **state)
{
	struct built b;
	struct grid g3, g2;

	(void)state;
	build(&b, "[run]\nrepeat = 2\n[guests]\nperiod = 1ms\ncount = 1, 2\n");
	assert_int_equal(b.g.ncells, 4);
	assert_int_equal(grid_build_passes(b.p, 3, &g3), 0);
	assert_int_equal(grid_build_passes(b.p, 2, &g2), 0);
	assert_int_equal(g3.ncells, 12);
	for (size_t pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < 4; i++) {
			const struct cell *c = &g3.cells[pass * 4 + i];

			assert_int_equal(c->index, pass * 4 + i);
			assert_int_equal(c->rep, (int)pass * 2 + b.g.cells[i].rep);
			assert_string_equal(c->id, b.g.cells[i].id);
			assert_int_equal(cell_num(c, "guests", "count"),
					 cell_num(&b.g.cells[i], "guests", "count"));
		}
	}
	for (size_t i = 0; i < g2.ncells; i++) {
		assert_int_equal(g2.cells[i].index, g3.cells[i].index);
		assert_int_equal(g2.cells[i].rep, g3.cells[i].rep);
		assert_string_equal(g2.cells[i].id, g3.cells[i].id);
	}
	{
		char a[17], c[17], one[17];
		struct grid g1;

		assert_int_equal(grid_build_passes(b.p, 1, &g1), 0);
		grid_id(&g1, one);
		grid_id(&b.g, a);
		assert_string_equal(one, a);
		grid_id(&g2, c);
		assert_string_not_equal(c, a);
		grid_free(&g1);
	}
	grid_free(&g2);
	grid_free(&g3);
	unbuild(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_product_order),
		cmocka_unit_test(test_geometric_axis),
		cmocka_unit_test(test_single_cell),
		cmocka_unit_test(test_repeat),
		cmocka_unit_test(test_ids_stable),
		cmocka_unit_test(test_ids_differ),
		cmocka_unit_test(test_id_format),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_unknown_key_aborts),
		cmocka_unit_test(test_passes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
