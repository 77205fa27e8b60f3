/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the cmocka unit tests: where test data lives. */
#ifndef LOCKMAP_TESTUTIL_H
#define LOCKMAP_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockmap.h"

/* tests/data, or $LOCKMAP_TESTDATA; tests run from the top of the tree. */
static inline const char *test_data_dir(void)
{
	const char *d = getenv("LOCKMAP_TESTDATA");

	return d ? d : "tests/data";
}

static inline void test_data_path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", test_data_dir(), rel);
}

static inline int test_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

/* Remove a tree the test made (a stand-in for /sys and /proc/sys). */
static inline void test_rm_tree(const char *root)
{
	(void)nftw(root, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* root/rel holding text and a newline, with mode, its directories made. */
static inline void test_put_file(const char *root, const char *rel, const char *text, mode_t mode)
{
	char p[512], dir[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", p);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, 0755), 0);
	(void)unlink(p);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", text);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
}

#endif
