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

#endif
