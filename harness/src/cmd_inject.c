// SPDX-License-Identifier: GPL-2.0
/* `lockmap inject KIND --KEY VALUE ...`: one injection by hand, for a person at
 * a console; prints what was asked and what was measured. The options are the
 * keys of the injector's [inject.KIND] profile section, checked the same way. */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "cmd.h"
#include "grid.h"
#include "inject.h"
#include "lockmap.h"
#include "precheck.h"
#include "profile.h"
#include "runlock.h"

/* "a, b, c": the injectors a person can run by hand, those the registry
 * flags INJ_BY_HAND (they act on the host alone). */
static const char *inject_kinds(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < nr_injectors && n < len; i++) {
		if (injector_by_hand(injectors[i]))
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
					      injectors[i]->name);
	}
	return buf;
}

static void inject_usage(FILE *f)
{
	char kinds[256];

	fprintf(f, "usage: lockmap inject KIND [--wait] [--for DURATION] [-o DIR] [--KEY VALUE ...]\n\n"
		   "One injection on this host, by hand; prints what the injector measured.\n"
		   "Its logs (stress-ng.log) are kept in DIR with -o, else removed at the end.\n"
		   "KIND is one of: %s.\n"
		   "It runs for --for (default 10s) or until ^C. While another lockmap holds\n"
		   "the host it is refused (exit 3), or waits for it with --wait. The keys\n"
		   "are those of the profile section [inject.KIND]:\n", inject_kinds(kinds, sizeof(kinds)));
	for (size_t i = 0; i < nr_injectors; i++) {
		const struct injector_ops *in = injectors[i];

		if (!injector_by_hand(in))
			continue;
		fprintf(f, "\n  %s: %s\n", in->name, in->help);
		for (size_t k = 0; k < in->nkeys; k++)
			fprintf(f, "    --%-12s %s (default %s)\n", in->keys[k].key, in->keys[k].help,
				in->keys[k].def && in->keys[k].def[0] ? in->keys[k].def : "none");
	}
	fprintf(f, "\nexample: lockmap inject irqoff --cpus 1 --duration 5ms --interval 50ms "
		   "--count 20 --for 2s\n"
		   "\nExit codes: 0 the injection ran and stopped (after --for, or at ^C or\n"
		   "SIGTERM: that is how a person ends it), 1 it could not start or stop cleanly,\n"
		   "2 usage (a key, a value), 3 this host lacks what the injector needs, or\n"
		   "another lockmap holds it.\n");
}

/* Where the injector writes its logs (stress-ng.log): keep (-o DIR), made if
 * need be, or a new directory under $TMPDIR that cmd_inject removes. */
static int inject_logdir(const char *keep, char *dir, size_t len)
{
	const char *tmpdir = getenv("TMPDIR");
	int rc;

	if (keep) {
		snprintf(dir, len, "%s", keep);
		rc = mkdir_p(dir, 0755);
	} else {
		snprintf(dir, len, "%s/lockmap-inject-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
		rc = mkdtemp(dir) ? 0 : -errno;
	}
	if (rc)
		lm_err("inject: cannot create %s: %s", dir, strerror(-rc));
	return rc;
}

int cmd_inject(int argc, char **argv)
{
	const struct injector_ops *in;
	struct profile *p = NULL;
	struct grid g = { 0 };
	struct host_facts hf;
	struct cell_ctx ctx = { 0 };
	struct inject_ctx ic = { 0 };
	struct runlock *lk = NULL;
	bool wait = false;
	char err[1024], *text = NULL, *s, logdir[PATH_MAX] = "";
	const char *keep = NULL;
	size_t len = 0;
	FILE *f;
	int64_t dur = 10 * NSEC_PER_SEC;
	int rc, exit_code = EXIT_CLEAN;
	json_t *out;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		inject_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_CLEAN;
	}
	in = injector_find(argv[1]);
	if (!in || !injector_by_hand(in)) {
		char kinds[256];

		lm_err("inject: '%s' is not an injector that runs by hand (%s)", argv[1],
		       inject_kinds(kinds, sizeof(kinds)));
		return EXIT_USAGE;
	}
	/* The options become a profile section, so they are checked exactly as
	 * in a profile (units, bounds, allowed values). */
	f = open_memstream(&text, &len);
	fprintf(f, "[guests]\ncount = 1\nperiod = 1ms\n[inject.%s]\n", in->name);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--wait")) {
			wait = true;
			continue;
		}
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			keep = argv[++i];
			continue;
		}
		if (strncmp(argv[i], "--", 2) || i + 1 >= argc) {
			fclose(f);
			free(text);
			lm_err("inject: expected --KEY VALUE, got '%s'", argv[i]);
			return EXIT_USAGE;
		}
		if (!strcmp(argv[i], "--for")) {
			struct pspec ds = { "for", PT_DURATION, 1, 24 * 3600 * NSEC_PER_SEC,
					    "10s", NULL, NULL };
			struct pval v;

			if (pval_parse(&ds, argv[i + 1], &v, err, sizeof(err)) < 0) {
				fclose(f);
				free(text);
				lm_err("inject: --for: %s", err);
				return EXIT_USAGE;
			}
			dur = v.num;
		} else {
			fprintf(f, "%s = %s\n", argv[i] + 2, argv[i + 1]);
		}
		i++;
	}
	fclose(f);
	s = xasprintf("lockmap inject %s", in->name);
	rc = profile_parse(s, text, &p, err, sizeof(err));
	free(s);
	free(text);
	if (rc < 0) {
		fprintf(stderr, "lockmap: %s\n", err);
		return EXIT_USAGE;
	}
	if (grid_build(p, &g) < 0 || g.ncells != 1) {
		lm_err("inject: give one value per key (no axes by hand)");
		exit_code = EXIT_USAGE;
		goto out;
	}
	host_facts_local(&hf);
	exit_code = precheck_all(&g, &hf);
	if (exit_code)
		goto out;
	if (sig_install() < 0) {
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	if (runlock_take("inject", wait, &lk, err, sizeof(err)) < 0) {
		lm_err("inject: %s", err);
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	if (in->supported(err, sizeof(err)) < 0) {
		lm_err("inject %s: %s", in->name, err);
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	ctx.run_id = "inject";
	ctx.cell = &g.cells[0];
	if (inject_logdir(keep, logdir, sizeof(logdir)) < 0) {
		logdir[0] = '\0';
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	ctx.dir = logdir;
	ic.ops = in;
	ic.cell = &ctx;
	snprintf(ic.section, sizeof(ic.section), "inject.%s", in->name);
	rc = in->start(&ic);
	if (rc < 0) {
		lm_err("inject %s: could not start: %s", in->name, strerror(-rc));
		exit_code = EXIT_FAILED;
	} else {
		int64_t end = now_ns() + dur;

		lm_info("inject %s: running for %llds (^C stops it)", in->name,
			(long long)(dur / NSEC_PER_SEC));
		while (!lm_stop_requested && now_ns() < end) {
			int64_t next = in->step ? in->step(&ic, now_ns()) : INT64_MAX;
			int64_t nap = next - now_ns();

			(void)sleep_ns(nap < 100 * NSEC_PER_MSEC ? (nap > 0 ? nap : 0)
								 : 100 * NSEC_PER_MSEC);
		}
		if (in->stop(&ic) < 0)
			exit_code = EXIT_FAILED;
	}
	out = json_object();
	in->describe(&ic, out);
	s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	printf("%s\n", s ? s : "{}");
	free(s);
	json_decref(out);
	free(ic.priv);
out:
	if (logdir[0] && keep)
		lm_info("inject: logs kept in %s", logdir);
	else if (logdir[0] && rm_rf(logdir) < 0)
		lm_warn("inject: could not remove %s", logdir);
	runlock_release(lk);
	grid_free(&g);
	profile_free(p);
	return exit_code;
}
