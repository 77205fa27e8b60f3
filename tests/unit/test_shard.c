// SPDX-License-Identifier: GPL-2.0
/* Shards: --shard I/N and what is refused; the shard of a Slurm job array's
 * task (arrays from 0, from 1, from anywhere with a step; lists that are no
 * range refused) and of a Kubernetes Indexed Job's pod (JOB_COMPLETION_INDEX
 * with --shard-count); --shard winning over both; the slices (disjoint,
 * whole, a cell's repeats together, cell k in shard k mod N + 1); and a
 * --run-dir of another shard refused. */
#include "testutil.h"

#include "grid.h"
#include "lockmap.h"
#include "results.h"
#include "shard.h"

static const char *const env_names[] = {
	"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX",
	"SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX",
};

static void env_clear(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(env_names); i++)
		unsetenv(env_names[i]);
}

/* Slurm's variables for task id of an array; NULL leaves one unset. */
static void slurm(const char *id, const char *min, const char *max, const char *step,
		  const char *count)
{
	const char *v[] = { id, min, max, step, count };

	env_clear();
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		if (v[i])
			setenv(env_names[i], v[i], 1);
}

static int resolve(const char *opt, const char *count, struct shard *sh, char *why, size_t len)
{
	why[0] = '\0';
	return shard_resolve(opt, count, sh, why, len);
}

#define BAD(s) { s, -EINVAL, 0, 0 }

static void test_parse(void **state)
{
	static const struct {
		const char *s;
		int rc;
		unsigned index, count;
	} cases[] = {
		{ "1/2", 0, 1, 2 }, { "2/2", 0, 2, 2 }, { "7/10", 0, 7, 10 },
		{ "100000/100000", 0, 100000, 100000 },
		{ "1/1", 0, 0, 0 },	/* the whole grid */
		BAD("0/2"), BAD("3/2"), BAD("1/0"), BAD("0/0"), BAD(""), BAD("2"), BAD("/2"),
		BAD("1/"), BAD("-1/2"), BAD("+1/2"), BAD(" 1/2"), BAD("1/2 "), BAD("1/2x"),
		BAD("a/b"), BAD("1/2/3"), BAD("1/100001"), BAD("1/99999999999999999999"),
	};
	struct shard sh;
	char why[512];

	(void)state;
	env_clear();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc = resolve(cases[i].s, NULL, &sh, why, sizeof(why));

		if (rc != cases[i].rc)
			print_error("--shard '%s': %d, want %d (%s)\n", cases[i].s, rc, cases[i].rc, why);
		assert_int_equal(rc, cases[i].rc);
		if (rc) {
			/* the message names what was given */
			assert_non_null(strstr(why, "--shard"));
			continue;
		}
		assert_int_equal(sh.index, cases[i].index);
		assert_int_equal(sh.count, cases[i].count);
	}
}

#define BAD_TASK(id, min, max, step, count) { id, min, max, step, count, -EINVAL, 0, 0 }

static void test_slurm(void **state)
{
	static const struct {
		const char *id, *min, *max, *step, *count;
		int rc;
		unsigned index, count_want;
	} cases[] = {
		/* --array=0-3 and --array=1-4: 4 shards either way */
		{ "0", "0", "3", "1", "4", 0, 1, 4 }, { "3", "0", "3", "1", "4", 0, 4, 4 },
		{ "1", "1", "4", "1", "4", 0, 1, 4 }, { "4", "1", "4", "1", "4", 0, 4, 4 },
		/* --array=10-40:10, and no _STEP or _MAX (older Slurm) */
		{ "30", "10", "40", "10", "4", 0, 3, 4 }, { "2", "1", NULL, NULL, "3", 0, 2, 3 },
		/* an array of one task: the whole grid */
		{ "5", "5", "5", "1", "1", 0, 0, 0 },
		/* --array=1,2,9: no range (MAX says so) */
		BAD_TASK("2", "1", "9", "1", "3"), BAD_TASK("9", "1", "9", "1", "3"),
		/* off the step, below MIN, past COUNT */
		BAD_TASK("15", "10", "40", "10", "4"), BAD_TASK("0", "1", "4", "1", "4"),
		BAD_TASK("5", "1", NULL, NULL, "4"),
		/* missing or garbage */
		BAD_TASK("1", NULL, "4", "1", "4"), BAD_TASK("1", "1", "4", "1", NULL),
		BAD_TASK("x", "1", "4", "1", "4"), BAD_TASK("1", "1", "4", "0", "4"),
		BAD_TASK("1", "1", "4", "1", "-4"), BAD_TASK("1", "1", "4", "1", "0"),
	};
	struct shard sh;
	char why[512];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc;

		slurm(cases[i].id, cases[i].min, cases[i].max, cases[i].step, cases[i].count);
		rc = resolve(NULL, NULL, &sh, why, sizeof(why));
		if (rc != cases[i].rc)
			print_error("case %zu: SLURM_ARRAY_TASK_ID=%s: %d, want %d (%s)\n", i,
				    cases[i].id, rc, cases[i].rc, why);
		assert_int_equal(rc, cases[i].rc);
		if (rc) {
			assert_non_null(strstr(why, "SLURM_ARRAY_TASK_"));
			continue;
		}
		assert_int_equal(sh.index, cases[i].index);
		assert_int_equal(sh.count, cases[i].count_want);
		if (sh.count)
			assert_non_null(strstr(sh.from, "SLURM_ARRAY_TASK_ID"));
	}
	env_clear();
}

static void test_k8s_and_precedence(void **state)
{
	struct shard sh;
	char why[512];

	(void)state;
	env_clear();
	/* nothing set: the whole grid */
	assert_int_equal(resolve(NULL, NULL, &sh, why, sizeof(why)), 0);
	assert_int_equal(sh.count, 0);
	/* an Indexed Job's index is 0-based */
	setenv("JOB_COMPLETION_INDEX", "0", 1);
	assert_int_equal(resolve(NULL, "3", &sh, why, sizeof(why)), 0);
	assert_int_equal(sh.index, 1);
	assert_int_equal(sh.count, 3);
	setenv("JOB_COMPLETION_INDEX", "2", 1);
	assert_int_equal(resolve(NULL, "3", &sh, why, sizeof(why)), 0);
	assert_int_equal(sh.index, 3);
	assert_non_null(strstr(sh.from, "JOB_COMPLETION_INDEX=2"));
	assert_int_equal(resolve(NULL, "2", &sh, why, sizeof(why)), -EINVAL);
	assert_int_equal(resolve(NULL, "0", &sh, why, sizeof(why)), -EINVAL);
	assert_int_equal(resolve(NULL, "x", &sh, why, sizeof(why)), -EINVAL);
	setenv("JOB_COMPLETION_INDEX", "-1", 1);
	assert_int_equal(resolve(NULL, "3", &sh, why, sizeof(why)), -EINVAL);
	/* the index without --shard-count is refused, not the whole grid */
	setenv("JOB_COMPLETION_INDEX", "1", 1);
	assert_int_equal(resolve(NULL, NULL, &sh, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "--shard-count"));
	/* --shard wins over the environment; 1/1 runs the whole grid */
	assert_int_equal(resolve("2/5", NULL, &sh, why, sizeof(why)), 0);
	assert_int_equal(sh.index, 2);
	assert_int_equal(sh.count, 5);
	slurm("3", "0", "3", "1", "4");
	assert_int_equal(resolve("1/1", NULL, &sh, why, sizeof(why)), 0);
	assert_int_equal(sh.count, 0);
	assert_int_equal(resolve("1/2", NULL, &sh, why, sizeof(why)), 0);
	assert_int_equal(sh.index, 1);
	/* --shard-count without its index, and both options */
	env_clear();
	assert_int_equal(resolve(NULL, "3", &sh, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "JOB_COMPLETION_INDEX"));
	assert_int_equal(resolve("1/3", "3", &sh, why, sizeof(why)), -EINVAL);
}

struct built {
	struct profile *p;
	struct grid g;
};

static void build(struct built *b, const char *text)
{
	char err[512];

	assert_int_equal(profile_parse("shard.profile", text, &b->p, err, sizeof(err)), 0);
	assert_int_equal(grid_build(b->p, &b->g), 0);
}

static void unbuild(struct built *b)
{
	grid_free(&b->g);
	profile_free(b->p);
}

/* 5 cells of 3 repeats each, sliced 1 to 7 ways. */
static void test_slices(void **state)
{
	struct built b;
	bool mine[15];
	unsigned of[15], owner[15];

	(void)state;
	build(&b, "[run]\nrepeat = 3\n[guests]\ncount = 1\nperiod = 1ms, 2ms, 3ms, 4ms, 5ms\n");
	assert_int_equal(b.g.ncells, 15);
	for (unsigned n = 1; n <= 7; n++) {
		size_t total = 0;

		memset(owner, 0, sizeof(owner));
		shard_assign(&b.g, n, of);
		for (unsigned i = 1; i <= n; i++) {
			struct shard sh = { .index = n > 1 ? i : 0, .count = n > 1 ? n : 0 };
			size_t got = shard_cells(&sh, &b.g, mine);

			total += got;
			for (size_t c = 0; c < b.g.ncells; c++) {
				if (!mine[c])
					continue;
				/* disjoint, and what shard_assign says */
				assert_int_equal(owner[c], 0);
				owner[c] = i;
				assert_int_equal(of[c], i);
			}
		}
		/* whole */
		assert_int_equal(total, b.g.ncells);
		for (size_t c = 0; c < b.g.ncells; c++) {
			const struct cell *cl = &b.g.cells[c];

			/* cell k = index / 3 is in shard k mod n + 1, its repeats too */
			assert_int_equal(owner[c], cl->index / 3 % n + 1);
			if (cl->rep)
				assert_int_equal(owner[c], owner[c - 1]);
		}
	}
	/* more shards than cells: the last ones hold none */
	{
		struct shard sh = { .index = 6, .count = 7 };

		assert_int_equal(shard_cells(&sh, &b.g, mine), 0);
	}
	unbuild(&b);
}

static char base[64];

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/lockmap-test-shard-XXXXXX");
	assert_non_null(mkdtemp(base));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rm_tree(base);
	return 0;
}

/* A new run of shard i/n (n 0: no shard) under base, as `run` makes it. */
static char *shard_run_dir(struct built *b, unsigned i, unsigned n)
{
	struct shard sh = { .index = i, .count = n };
	json_t *extra = n ? json_pack("{s:o}", "shard", shard_json(&sh, &b->g, 1)) : NULL;
	struct run run;
	char *dir;

	assert_int_equal(results_create(base, b->p, &b->g, extra, &run), 0);
	json_decref(extra);
	dir = strdup(run.dir);
	results_close(&run);
	return dir;
}

static void test_run_dir(void **state)
{
	struct shard two = { .index = 2, .count = 3 }, one = { .index = 1, .count = 3 },
		     none = { 0 }, got;
	char why[1024], *d2, *dn, *empty, *path;
	struct built b;
	json_t *rj;

	(void)state;
	build(&b, "[guests]\ncount = 1\nperiod = 1ms, 2ms, 3ms\n");
	d2 = shard_run_dir(&b, 2, 3);
	dn = shard_run_dir(&b, 0, 0);
	/* run.json records the shard and the whole grid's id */
	path = xasprintf("%s/run.json", d2);
	rj = json_load_file(path, 0, NULL);
	assert_non_null(rj);
	assert_int_equal(shard_from_run_json(rj, &got), 0);
	assert_int_equal(got.index, 2);
	assert_int_equal(got.count, 3);
	assert_string_equal(json_string_value(json_object_get(json_object_get(rj, "shard"),
							      "grid_id")),
			    json_string_value(json_object_get(rj, "grid_id")));
	json_decref(rj);
	/* the same shard resumes; another, or none, is refused and told how */
	assert_int_equal(shard_check_run_dir(d2, &two, why, sizeof(why)), 0);
	assert_int_equal(shard_check_run_dir(d2, &one, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "--shard 2/3"));
	assert_int_equal(shard_check_run_dir(d2, &none, why, sizeof(why)), -EINVAL);
	assert_int_equal(shard_check_run_dir(dn, &none, why, sizeof(why)), 0);
	assert_int_equal(shard_check_run_dir(dn, &two, why, sizeof(why)), -EINVAL);
	/* an empty directory is a new run of any shard */
	empty = xasprintf("%s/empty", base);
	assert_int_equal(mkdir(empty, 0755), 0);
	assert_int_equal(shard_check_run_dir(empty, &two, why, sizeof(why)), 0);
	/* a malformed shard is no shard at all */
	rj = json_pack("{s:{s:i, s:i}}", "shard", "index", 4, "count", 3);
	assert_int_equal(shard_from_run_json(rj, &got), -EINVAL);
	json_decref(rj);
	rj = json_pack("{s:{s:i, s:i}}", "shard", "index", 1, "count", 1);
	assert_int_equal(shard_from_run_json(rj, &got), -EINVAL);
	json_decref(rj);
	free(path);
	free(empty);
	free(d2);
	free(dn);
	unbuild(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_slurm),
		cmocka_unit_test(test_k8s_and_precedence),
		cmocka_unit_test(test_slices),
		cmocka_unit_test_setup_teardown(test_run_dir, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
