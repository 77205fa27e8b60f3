// SPDX-License-Identifier: GPL-2.0
/* The cache (cache.c, kmodbuild.c, labimage_key) in a temporary
 * LOCKMAP_CACHE: where entries go, that their keys follow the inputs'
 * contents (an edited source, another release, another binary), that a
 * build is used once made and a failed one is kept aside, and what pruning
 * leaves. */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "cache.h"
#include "kmodbuild.h"
#include "labimage.h"
#include "lockmap.h"

static char top[128], cache[192], src[192];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *at(const char *dir, const char *rel)
{
	return xasprintf("%s/%s", dir, rel);
}

/* A stand-in for the module's sources: its Makefile writes the .ko into O and
 * counts its runs in <cache>/builds (so a reused entry is seen not to build). */
static void put_sources(const char *recipe)
{
	char *p = at(src, "Makefile"), *mk;

	mk = xasprintf("all:\n\t%s\n", recipe);
	put(p, mk);
	free(p);
	free(mk);
	p = at(src, "main.c");
	put(p, "int x;\n");
	free(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/lockmap-test-cache-%d", (int)getpid());
	snprintf(cache, sizeof(cache), "%s/cache", top);
	snprintf(src, sizeof(src), "%s/src", top);
	assert_int_equal(rm_rf(top), 0);
	assert_int_equal(mkdir_p(src, 0755), 0);
	setenv("LOCKMAP_CACHE", cache, 1);
	setenv("LOCKMAP_KMOD_DIR", src, 1);
	put_sources("echo built >>$(O)/../../builds && echo ko >$(O)/lockmap_inject.ko");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	(void)rm_rf(top);
	return 0;
}

static void test_cache_dir(void **state)
{
	char cwd[PATH_MAX], *want;

	(void)state;
	assert_string_equal(cache_dir(), cache);
	unsetenv("LOCKMAP_CACHE");
	assert_string_equal(cache_dir(), "/var/cache/lockmap");
	/* A relative one is made absolute: make -C and QEMU run elsewhere. */
	setenv("LOCKMAP_CACHE", "rel/c", 1);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	want = xasprintf("%s/rel/c", cwd);
	assert_string_equal(cache_dir(), want);
	free(want);
	setenv("LOCKMAP_CACHE", cache, 1);
}

static void test_cache_prepare_refuses(void **state)
{
	char why[512] = "", *file = at(top, "afile");

	(void)state;
	put(file, "x");
	setenv("LOCKMAP_CACHE", file, 1);
	assert_int_equal(cache_prepare("lab", why, sizeof(why)), -ENOTDIR);
	assert_non_null(strstr(why, "LOCKMAP_CACHE"));
	assert_non_null(strstr(why, file));
	setenv("LOCKMAP_CACHE", cache, 1);
	assert_int_equal(cache_prepare("lab", why, sizeof(why)), 0);
	free(file);
}

/* Keys hash contents: a new mtime alone keeps the key, one changed byte or
 * another order does not. */
static void test_key_contents(void **state)
{
	char *a = at(top, "a"), *b = at(top, "b");
	const char *ab[] = { a, b }, *ba[] = { b, a };
	struct cache_key k1, k2, k3, k4;
	struct timespec later[2] = { { 1000000, 0 }, { 1000000, 0 } };

	(void)state;
	put(a, "alpha");
	put(b, "beta");
	assert_int_equal(labimage_key("6.1", ab, 2, &k1), 0);
	assert_int_equal(utimensat(AT_FDCWD, a, later, 0), 0);
	assert_int_equal(labimage_key("6.1", ab, 2, &k2), 0);
	assert_true(k1.h == k2.h);
	put(a, "alphA");
	assert_int_equal(labimage_key("6.1", ab, 2, &k3), 0);
	assert_true(k3.h != k1.h);
	assert_int_equal(labimage_key("6.1", ba, 2, &k4), 0);
	assert_true(k4.h != k3.h);
	assert_int_equal(labimage_key("6.2", ab, 2, &k4), 0);
	assert_true(k4.h != k3.h);
	/* An input that cannot be read is an error, never a key. */
	unlink(b);
	assert_int_equal(labimage_key("6.1", ab, 2, &k4), -ENOENT);
	free(a);
	free(b);
}

/* The binary that goes into the lab initramfs is part of its key. */
static void test_lab_key_binary(void **state)
{
	char *bin = at(top, "lockmap"), *init = at(top, "init.sh");
	const char *in[] = { init, bin };
	struct cache_key k1, k2;

	(void)state;
	put(init, "#!/bin/sh\n");
	put(bin, "ELF one");
	assert_int_equal(labimage_key("6.1", in, 2, &k1), 0);
	put(bin, "ELF two");
	assert_int_equal(labimage_key("6.1", in, 2, &k2), 0);
	assert_true(k1.h != k2.h);
	free(bin);
	free(init);
}

static void test_kmod_key(void **state)
{
	struct kmodbuild a, b;
	char why[512], *p, *want;

	(void)state;
	assert_int_equal(kmodbuild_locate("6.1.0-1", "/nonexistent", &a, why, sizeof(why)), 0);
	want = xasprintf("%s/kmod/6.1.0-1-", cache);
	assert_memory_equal(a.entry, want, strlen(want));
	assert_int_equal(strlen(a.entry), strlen(want) + 16);
	free(want);
	/* Another release, or an edited source: another entry. */
	assert_int_equal(kmodbuild_locate("6.1.0-2", "/nonexistent", &b, why, sizeof(why)), 0);
	assert_string_not_equal(a.entry, b.entry);
	p = at(src, "main.c");
	put(p, "int y;\n");
	assert_int_equal(kmodbuild_locate("6.1.0-1", "/nonexistent", &b, why, sizeof(why)), 0);
	assert_string_not_equal(a.entry, b.entry);
	/* Build products beside the sources are not inputs. */
	put(p, "int x;\n");
	free(p);
	p = at(src, "main.o");
	put(p, "object");
	assert_int_equal(kmodbuild_locate("6.1.0-1", "/nonexistent", &b, why, sizeof(why)), 0);
	assert_string_equal(a.entry, b.entry);
	unlink(p);
	free(p);
	/* No sources: the message says where lockmap looked. */
	setenv("LOCKMAP_KMOD_DIR", top, 1);
	assert_int_equal(kmodbuild_locate("6.1.0-1", NULL, &b, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "LOCKMAP_KMOD_DIR"));
	setenv("LOCKMAP_KMOD_DIR", src, 1);
}

static int count_lines(const char *path)
{
	char buf[256];
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		n++;
	fclose(f);
	return n;
}

/* Built once into its entry, then used as it is. */
static void test_kmod_build_once(void **state)
{
	struct kmodbuild kb;
	char why[512], *builds = at(cache, "builds"), *tmp;

	(void)state;
	assert_int_equal(kmodbuild_locate("6.1.0-3", "/nonexistent", &kb, why, sizeof(why)), 0);
	assert_false(kmodbuild_ready(&kb));
	assert_int_equal(kmodbuild_make(&kb, why, sizeof(why)), 0);
	assert_true(kmodbuild_ready(&kb));
	assert_int_equal(count_lines(builds), 1);
	tmp = xasprintf("%s.tmp.%d", kb.entry, (int)getpid());
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(kmodbuild_make(&kb, why, sizeof(why)), 0);
	assert_int_equal(count_lines(builds), 1);
	free(tmp);
	free(builds);
}

/* A failed build leaves no entry (so the next run tries again) and its log
 * in <entry>.failed, named in the message. */
static void test_kmod_build_fails(void **state)
{
	struct kmodbuild kb;
	char why[1024], *failed;

	(void)state;
	put_sources("echo 'main.c:1: error: no good' && false");
	assert_int_equal(kmodbuild_locate("6.1.0-4", "/nonexistent", &kb, why, sizeof(why)), 0);
	assert_int_equal(kmodbuild_make(&kb, why, sizeof(why)), -EIO);
	assert_false(kmodbuild_ready(&kb));
	assert_int_equal(access(kb.entry, F_OK), -1);
	failed = xasprintf("%s.failed/build.log", kb.entry);
	assert_int_equal(access(failed, R_OK), 0);
	assert_non_null(strstr(why, failed));
	assert_non_null(strstr(why, "no good"));
	free(failed);
	put_sources("echo built >>$(O)/../../builds && echo ko >$(O)/lockmap_inject.ko");
}

static void mkentry(const char *kind, const char *name, time_t when)
{
	char *p = xasprintf("%s/%s/%s", cache, kind, name);
	struct timespec t[2] = { { when, 0 }, { when, 0 } };

	assert_int_equal(mkdir_p(p, 0755), 0);
	assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0);
	free(p);
}

static bool exists(const char *kind, const char *name)
{
	char *p = xasprintf("%s/%s/%s", cache, kind, name);
	bool e = access(p, F_OK) == 0;

	free(p);
	return e;
}

/* Least recently used go first, the entry in use stays whatever its age, and
 * so does a build of a live lockmap; one of a dead lockmap goes. */
static void test_prune(void **state)
{
	char *keep = xasprintf("%s/old/e0", cache), *live, *dead;
	pid_t child = fork();

	(void)state;
	assert_true(child >= 0);
	if (!child)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	for (int i = 0; i < 7; i++) {
		char name[16];

		snprintf(name, sizeof(name), "e%d", i);
		mkentry("old", name, 1000000 + i);
	}
	live = xasprintf("e9.tmp.%d", (int)getpid());
	dead = xasprintf("e8.tmp.%d", (int)child);
	mkentry("old", live, 1);
	mkentry("old", dead, 1);
	cache_prune("old", keep);
	assert_true(exists("old", "e0"));
	assert_true(exists("old", "e6") && exists("old", "e5") && exists("old", "e4"));
	assert_false(exists("old", "e3") || exists("old", "e2") || exists("old", "e1"));
	assert_true(exists("old", live));
	assert_false(exists("old", dead));
	free(keep);
	free(live);
	free(dead);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_dir),
		cmocka_unit_test(test_cache_prepare_refuses),
		cmocka_unit_test(test_key_contents),
		cmocka_unit_test(test_lab_key_binary),
		cmocka_unit_test(test_kmod_key),
		cmocka_unit_test(test_kmod_build_once),
		cmocka_unit_test(test_kmod_build_fails),
		cmocka_unit_test(test_prune),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
