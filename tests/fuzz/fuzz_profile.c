// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target for the profile loader and the checks made before anything
 * starts: profile_parse_mem() (what profile_load() calls with a file's bytes),
 * then the grid, the profile checks and the host checks against a lab host of
 * two cpus (no file of this host is read, so a run is the same everywhere).
 *
 * It aborts, so libFuzzer keeps the input, when
 * - a rejection's message does not start "fuzz.profile:LINE: " (every error
 *   names its line), or holds a raw control byte (ESC, C1 included);
 * - a profile that loads holds a value that is not UTF-8 (run.json, the
 *   journal and junit.xml would lose or break on it);
 * - a cell that passed the checks has no payload command line;
 * and ASan/UBSan/LeakSanitizer report the rest.
 *
 * `make fuzz` builds it with clang as build/fuzz/fuzz_profile; `make check`
 * runs it for a bounded time on tests/fuzz/corpus/profile (tests/fuzz/run.sh).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "grid.h"
#include "lockmap.h"
#include "payload.h"
#include "precheck.h"
#include "profile.h"

#define FUZZ_PATH "fuzz.profile"
/* Grids past this many cells are checked like smaller ones, only slower. */
#define FUZZ_MAX_CELLS 4096

static void fuzz_fail(const char *what, const char *msg)
{
	fprintf(stderr, "fuzz_profile: %s: '%s'\n", what, msg);
	abort();
}

/* "fuzz.profile:LINE: ..." and nothing a terminal would act on (a tab is a
 * blank in a profile, and harmless). */
static void check_message(const char *err)
{
	const unsigned char *u = (const unsigned char *)err;
	size_t n = strlen(FUZZ_PATH);
	const char *p = err + n + 1;

	if (strncmp(err, FUZZ_PATH ":", n + 1) || !isdigit((unsigned char)*p))
		fuzz_fail("a rejection without file:line", err);
	while (isdigit((unsigned char)*p))
		p++;
	if (strncmp(p, ": ", 2))
		fuzz_fail("a rejection without file:line", err);
	for (size_t i = 0; u[i]; i++)
		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f || (u[i] == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f))
			fuzz_fail("a raw control byte in a message", err);
}

/* Every value is text jansson (and so run.json and the journal) takes. */
static void check_values(const struct profile *p)
{
	json_t *t = json_string(p->text);

	if (!t)
		fuzz_fail("profile text that is not UTF-8", "");
	json_decref(t);
	for (size_t i = 0; i < p->nkeys; i++) {
		for (size_t v = 0; v < p->keys[i].nvals; v++) {
			json_t *s = json_string(p->keys[i].vals[v].text);

			if (!s)
				fuzz_fail("a value that is not UTF-8", p->keys[i].vals[v].text);
			json_decref(s);
		}
	}
}

static size_t grid_cells(const struct profile *p)
{
	size_t cells = (size_t)profile_key(p, "run", "repeat")->vals[0].num;

	for (size_t i = 0; i < p->nkeys && cells <= FUZZ_MAX_CELLS; i++)
		cells *= p->keys[i].nvals;
	return cells;
}

static void check_grid(const struct profile *p)
{
	struct host_facts hf;
	struct grid g;
	char err[2048], cmdline[256];

	if (grid_cells(p) > FUZZ_MAX_CELLS)
		return;
	if (grid_build(p, &g))
		fuzz_fail("grid_build failed on a profile that loaded", p->path);
	if (precheck_profile(&g, err, sizeof(err))) {
		check_message(err);
		goto out;
	}
	host_facts_lab(&hf, 2);
	hf.kvm_min_timer_period_us = 200;
	if (precheck_host(&g, &hf, err, sizeof(err))) {
		check_message(err);
		goto out;
	}
	for (size_t i = 0; i < g.ncells; i++)
		if (payload_cmdline(&g.cells[i], cmdline, sizeof(cmdline)))
			fuzz_fail("no payload command line for a cell", cmdline);
out:
	grid_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile *p = NULL;
	char err[2048];
	int rc;

	/* The KVM clamp notes are lm_info()s: not wanted on every input. */
	lm_verbose = 0;
	rc = profile_parse_mem(FUZZ_PATH, (const char *)data, size, &p, err, sizeof(err));
	if (rc) {
		if (rc != -EINVAL || p)
			fuzz_fail("an error that is not -EINVAL", err);
		check_message(err);
		return 0;
	}
	check_values(p);
	check_grid(p);
	profile_free(p);
	return 0;
}
