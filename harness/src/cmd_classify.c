// SPDX-License-Identifier: GPL-2.0
/* lockmap classify [FILE|-]: a kernel log to events, one JSON object a line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "cmd.h"
#include "lockmap.h"

static void classify_usage(FILE *f)
{
	fprintf(f, "usage: lockmap classify [FILE|-]\n\n"
		   "Read a kernel log (FILE, or standard input when FILE is absent or \"-\")\n"
		   "and print every recognised kernel message as one JSON object a line:\n"
		   "kind, cpu, t (kernel timestamp, seconds), the kind's own fields, line and\n"
		   "trace (the report lines that followed it).\n\nKinds:");
	for (int k = 0; k < EV__COUNT; k++)
		fprintf(f, "%s %s", k == 5 ? "\n      " : "", event_kind_name((enum event_kind)k));
	fprintf(f, "\n\n"
		   "Accepts dmesg output with or without timestamps, /dev/kmsg records,\n"
		   "journalctl -k and syslog files, and serial console captures.\n"
		   "Exit status: 0 (also when there are no events), 2 usage error or\n"
		   "unreadable input.\n");
}

struct classify_out {
	int err;		/* first errno writing stdout */
};

/* Print one event; remember a write error rather than stopping mid-log. */
static void classify_print(const struct event *ev, void *arg)
{
	struct classify_out *out = arg;
	json_t *o = event_to_json(ev);
	char *s = NULL;

	/* 15 significant digits keep a microsecond timestamp exact and print
	 * 12.345678 rather than its binary approximation 12.345678000000001. */
	if (o)
		s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(o);
	if (!s) {
		if (!out->err)
			out->err = ENOMEM;
		return;
	}
	if (puts(s) == EOF && !out->err)
		out->err = errno ? errno : EIO;
	free(s);
}

int cmd_classify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct classify_out out = { 0 };
	const char *path = "-";
	struct classifier *cl;
	char *line = NULL;
	size_t cap = 0;
	FILE *in;
	int c, rc = EXIT_CLEAN;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			classify_usage(stdout);
			return EXIT_CLEAN;
		default:
			classify_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "lockmap classify: one log at a time (got %d arguments)\n\n",
			argc - optind);
		classify_usage(stderr);
		return EXIT_USAGE;
	}
	if (optind < argc)
		path = argv[optind];
	if (!strcmp(path, "-")) {
		in = stdin;
		path = "standard input";
	} else {
		in = fopen(path, "re");
		if (!in) {
			fprintf(stderr, "lockmap classify: cannot open %s: %s\n", path,
				strerror(errno));
			return EXIT_USAGE;
		}
	}
	cl = classifier_new(classify_print, &out);
	if (!cl) {
		fprintf(stderr, "lockmap classify: out of memory\n");
		rc = EXIT_USAGE;
		goto out_close;
	}
	errno = 0;
	while (getline(&line, &cap, in) >= 0)
		classifier_feed(cl, line);
	if (ferror(in)) {
		fprintf(stderr, "lockmap classify: reading %s: %s\n", path,
			strerror(errno ? errno : EIO));
		rc = EXIT_USAGE;
	}
	classifier_flush(cl);
	classifier_free(cl);
	free(line);
	if (fflush(stdout) == EOF && !out.err)
		out.err = errno ? errno : EIO;
	if (out.err) {
		fprintf(stderr, "lockmap classify: writing events: %s\n", strerror(out.err));
		rc = EXIT_USAGE;
	}
out_close:
	if (in != stdin)
		fclose(in);
	return rc;
}
