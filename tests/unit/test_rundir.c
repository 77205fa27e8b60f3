// SPDX-License-Identifier: GPL-2.0
/* `run --run-dir DIR`: whose run DIR is. The run of the same cells opens
 * (comments, key order, [run] name may differ; a run.json older than
 * grid_id is judged by the profile text it keeps); another grid, a directory
 * with files but no run.json, a missing path or a file are refused and DIR
 * is left as it was; an empty directory becomes a new run with its run.json.
 * And -o: empty, or a file, is refused. */
#include "testutil.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grid.h"
#include "lockmap.h"
#include "results.h"

#define PROFILE_A "[run]\nname = a\ncell_seconds = 2s\n[guests]\ncount = 1\nperiod = 1ms, 2ms\n"

struct built {
	struct profile *p;
	struct grid g;
};

static void build(struct built *b, const char *path, const char *text)
{
	char err[512];

	assert_int_equal(profile_parse(path, text, &b->p, err, sizeof(err)), 0);
	assert_int_equal(grid_build(b->p, &b->g), 0);
}

static void unbuild(struct built *b)
{
	grid_free(&b->g);
	profile_free(b->p);
}

static char base[64];

/* A file with text in it (write_file_str is for files that exist: sysfs). */
static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/lockmap-test-rundir-XXXXXX");
	assert_non_null(mkdtemp(base));
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", base);

	(void)state;
	(void)!system(cmd);
	free(cmd);
	return 0;
}

/* A run of PROFILE_A under base; its directory (malloc'd). */
static char *make_run(void)
{
	struct built a;
	struct run run;
	char *dir;

	build(&a, "a.profile", PROFILE_A);
	assert_int_equal(results_create(base, a.p, &a.g, NULL, &run), 0);
	dir = strdup(run.dir);
	results_close(&run);
	unbuild(&a);
	return dir;
}

static int check(const char *dir, const char *text, char *why, size_t len)
{
	struct built b;
	int rc;

	build(&b, "b.profile", text);
	why[0] = '\0';
	rc = results_dir_check(dir, b.p, &b.g, why, len);
	unbuild(&b);
	return rc;
}

static void test_same_cells_open(void **state)
{
	char *dir = make_run(), why[1024];

	(void)state;
	assert_int_equal(check(dir, PROFILE_A, why, sizeof(why)), 0);
	/* a comment, another order, another name: the same cells */
	assert_int_equal(check(dir, "# tonight\n[guests]\nperiod = 1ms, 2ms\ncount = 1\n"
				    "[run]\ncell_seconds = 2s\nname = renamed\n", why, sizeof(why)), 0);
	free(dir);
}

static void test_other_grid_refused(void **state)
{
	static const char *const others[] = {
		"[run]\nname = a\ncell_seconds = 2s\n[guests]\ncount = 1\nperiod = 1ms, 3ms\n",
		"[run]\nname = a\ncell_seconds = 2s\n[guests]\ncount = 1\nperiod = 2ms, 1ms\n",
		"[run]\nname = a\ncell_seconds = 3s\n[guests]\ncount = 1\nperiod = 1ms, 2ms\n",
		"[run]\nname = a\ncell_seconds = 2s\nrepeat = 2\n[guests]\ncount = 1\nperiod = 1ms, 2ms\n",
	};
	char *dir = make_run(), why[1024];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(others); i++) {
		assert_int_equal(check(dir, others[i], why, sizeof(why)), -EINVAL);
		assert_non_null(strstr(why, "makes other cells"));
		assert_non_null(strstr(why, "a.profile"));
	}
	free(dir);
}

/* A run.json written before grid_id: its profile text decides. */
static void test_old_run_json(void **state)
{
	char *dir = make_run(), *path = xasprintf("%s/run.json", dir), why[1024];
	json_t *rj = json_load_file(path, 0, NULL);

	(void)state;
	assert_non_null(rj);
	assert_int_equal(json_object_del(rj, "grid_id"), 0);
	assert_int_equal(json_dump_file(rj, path, 0), 0);
	json_decref(rj);
	assert_int_equal(check(dir, "# same\n" PROFILE_A, why, sizeof(why)), 0);
	assert_int_equal(check(dir, "[guests]\ncount = 2\nperiod = 1ms\n", why, sizeof(why)),
			 -EINVAL);
	free(path);
	free(dir);
}

static void test_not_run_dirs_refused(void **state)
{
	char *junk = xasprintf("%s/junk", base), *file = xasprintf("%s/junk/file", base);
	char *missing = xasprintf("%s/missing", base), *torn = xasprintf("%s/torn", base);
	char *tornjson = xasprintf("%s/torn/run.json", base), why[1024];

	(void)state;
	assert_int_equal(mkdir(junk, 0755), 0);
	put(file, "x");
	assert_int_equal(check(junk, PROFILE_A, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "no run.json"));
	assert_int_equal(check(missing, PROFILE_A, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "no such directory"));
	assert_int_equal(check(file, PROFILE_A, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not a directory"));
	assert_int_equal(mkdir(torn, 0755), 0);
	put(tornjson, "{\"run_id\": \"x\", \"pro");
	assert_int_equal(check(torn, PROFILE_A, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "cannot read its run.json"));
	free(junk);
	free(file);
	free(missing);
	free(torn);
	free(tornjson);
}

/* An empty directory is a new run: run.json with the profile and its grid. */
static void test_empty_dir_new_run(void **state)
{
	char *dir = xasprintf("%s/fresh", base), *path = xasprintf("%s/fresh/run.json", base);
	char why[1024], gid[17];
	struct built a;
	struct run run;
	json_t *rj;

	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	build(&a, "a.profile", PROFILE_A);
	assert_int_equal(results_open(dir, a.p, &a.g, NULL, &run, why, sizeof(why)), 0);
	assert_string_equal(run.id, "fresh");
	results_close(&run);
	rj = json_load_file(path, 0, NULL);
	assert_non_null(rj);
	grid_id(&a.g, gid);
	assert_string_equal(json_string_value(json_object_get(rj, "grid_id")), gid);
	assert_string_equal(json_string_value(json_object_get(rj, "profile")), PROFILE_A);
	json_decref(rj);
	/* and from now on it is that run */
	assert_int_equal(check(dir, PROFILE_A, why, sizeof(why)), 0);
	assert_int_equal(check(dir, "[guests]\ncount = 2\nperiod = 1ms\n", why, sizeof(why)),
			 -EINVAL);
	unbuild(&a);
	free(dir);
	free(path);
}

static void test_results_base(void **state)
{
	char *file = xasprintf("%s/file", base), *under = xasprintf("%s/file/sub", base);
	char *fresh = xasprintf("%s/new/runs", base), why[512];

	(void)state;
	put(file, "x");
	assert_int_equal(results_base_check("", why, sizeof(why)), -EINVAL);
	assert_int_equal(results_base_check(file, why, sizeof(why)), -EINVAL);
	assert_int_equal(results_base_check(under, why, sizeof(why)), -EINVAL);
	assert_int_equal(results_base_check(base, why, sizeof(why)), 0);
	assert_int_equal(results_base_check(fresh, why, sizeof(why)), 0);
	free(file);
	free(under);
	free(fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_cells_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_grid_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_run_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_run_dirs_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_dir_new_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_base, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
