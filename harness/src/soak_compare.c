// SPDX-License-Identifier: GPL-2.0
/* The end of a soak: what got worse since the previous soak of the profile
 * (the comparison of `lockmap report --compare`, compare.h), written to
 * regressions.txt in the run and to stdout: the nightly question "what
 * changed since last night". */
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "lockmap.h"
#include "report.h"
#include "report_html.h"
#include "results.h"
#include "soak.h"

/* The cells of the soak that reached a fail_on outcome. */
static size_t soak_failed_cells(const struct run *run)
{
	size_t n = 0;

	for (size_t i = 0; i < run->grid->ncells; i++)
		n += run->done[i] && !results_cell_interrupted(&run->res[i]) &&
		     (run->fail_on & (1u << run->res[i].outcome));
	return n;
}

/* The summary: the soak, what it was compared with, each cell not the same,
 * the verdict. */
static void soak_summary(FILE *f, const struct report_run *rr, const char *profile,
			 const struct report_run *orr, const struct compare *cmp, size_t failed)
{
	size_t done = 0;

	for (size_t i = 0; i < rr->grid.ncells; i++)
		done += rr->run.done[i];
	fprintf(f, "soak %s of %s: %u pass(es), %zu cells run (%zu cell ids)\n", rr->run.id,
		profile, results_passes(rr->rj), done, rr->rates.ncells);
	if (!orr || !cmp)
		fprintf(f, "no earlier finished soak of this profile next to it: nothing to compare with (this soak is the reference of the next)\n");
	else
		compare_print(f, cmp, orr->dir);
	fprintf(f, "\n%zu cell(s) reached a fail_on outcome\n", failed);
	fprintf(f, "regressions: %zu\n", cmp ? cmp->count[CMP_WORSE] : 0);
}

/* regressions.txt, whole or not at all, and the same on stdout. */
static int soak_write_summary(const char *dir, const struct report_run *rr, const char *profile,
			      const struct report_run *orr, const struct compare *cmp,
			      size_t failed)
{
	char *tmp;
	FILE *f = results_tmp_open(dir, "regressions.txt", &tmp);

	soak_summary(stdout, rr, profile, orr, cmp, failed);
	fflush(stdout);
	if (!f) {
		free(tmp);
		return -errno;
	}
	soak_summary(f, rr, profile, orr, cmp, failed);
	return results_tmp_commit(f, dir, "regressions.txt", tmp);
}

int soak_compare(const char *dir, const char *prev, const char *profile, size_t *worse)
{
	struct report_run rr, orr = { 0 };
	struct compare cmp = { 0 };
	bool compared = false;
	size_t failed;
	char why[1024];
	int rc = EXIT_NOTREADY;

	*worse = 0;
	if (report_run_open(dir, &rr, why, sizeof(why))) {
		lm_err("soak: cannot read the soak back: %s", why);
		goto out;
	}
	if (prev && report_run_open(prev, &orr, why, sizeof(why)))
		lm_warn("soak: the previous soak cannot be read (%s): nothing to compare with", why);
	else if (prev && compare_rates(&rr.rates, &orr.rates, &cmp))
		goto out;
	else
		compared = prev != NULL;
	failed = soak_failed_cells(&rr.run);
	*worse = compared ? cmp.count[CMP_WORSE] : 0;
	if (soak_write_summary(dir, &rr, profile, compared ? &orr : NULL, compared ? &cmp : NULL,
			       failed) < 0)
		lm_warn("soak: cannot write %s/regressions.txt", dir);
	if (report_html_write(&rr, compared ? &cmp : NULL, compared ? &orr : NULL) < 0)
		lm_warn("soak: cannot write %s/report.html", dir);
	rc = *worse || failed ? EXIT_FAILED : EXIT_CLEAN;
out:
	compare_free(&cmp);
	report_run_free(&orr);
	report_run_free(&rr);
	return rc;
}
