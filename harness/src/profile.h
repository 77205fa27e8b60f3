/* SPDX-License-Identifier: GPL-2.0 */
/* Profiles: INI files (inih) whose keys are checked against spec tables.
 * A key with several values (comma list or a..b+step / a..b*factor range) is an
 * axis; grid.c expands the product of all axes into cells. */
#ifndef LOCKMAP_PROFILE_H
#define LOCKMAP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ptype {
	PT_INT,		/* plain integer */
	PT_CPU,		/* one host cpu number (mask has its bit) */
	PT_DURATION,	/* ns; units ns, us, ms, s (a bare 0 is allowed) */
	PT_RATE,	/* Hz; units hz, khz */
	PT_PERCENT,	/* hundredths of a percent; "5%" -> 500 */
	PT_SIZE,	/* MiB; units M, G */
	PT_BOOL,	/* 0/1, yes/no, true/false, on/off */
	PT_ENUM,	/* one of spec->choices ("a|b|c") */
	PT_STRING,	/* free text */
	PT_CPULIST,	/* kernel cpu list "0-2,5"; commas belong to the value */
	PT_LIST,	/* comma list of words (choices apply to each when set) */
	PT_FAILON,	/* [expect] fail_on: comma list of outcomes (choices) and
			 * thresholds "METRIC OP VALUE" (failon.h); num: the outcomes' mask */
};

/* For PT_CPULIST, PT_LIST and PT_FAILON, commas are part of one value: their axes use '|'
 * ("pin = 0 | 1 | 0-1"). */

struct pspec {
	const char *key;	/* a trailing '*' makes a prefix match ("sysctl.*") */
	enum ptype type;
	int64_t min, max;	/* bounds in base units (ignored when min > max) */
	const char *def;	/* default text; NULL: the key is required */
	const char *choices;	/* PT_ENUM/PT_LIST: "a|b|c" */
	const char *help;
};

struct pval {
	char text[128];		/* canonical text: "1ms", "8", "periodic", "0-1" */
	int64_t num;		/* number in base units; 0 for strings */
	uint64_t mask;		/* PT_CPULIST, PT_CPU: cpu bitmask */
};

/* One key as set in a profile (or filled from its spec default). */
struct pkey {
	char section[48];	/* "guests", "inject.pause" */
	char key[64];
	const struct pspec *spec;
	struct pval *vals;	/* one value, or several for an axis */
	size_t nvals;
	bool is_set;		/* written in the profile (not a default) */
	int line;		/* profile line, 0 for defaults */
};

/* [search] (profile_search.c): the one numeric key it searches, and how. */
struct profile_search {
	const struct pkey *axis;	/* its values: lo, lo + resolution, ..., hi */
	struct pval lo, hi, resolution;	/* in the axis' type and units */
	const char *reach;		/* the target outcome (outcome.h name) */
	unsigned repeats;		/* per probe: [search] repeats, else [run] repeat */
	int line;			/* the line of axis = */
};

struct profile {
	char *path;
	char *text;		/* the profile file's text, kept for run.json */
	struct pkey *keys;
	size_t nkeys;
	char **sections;	/* sections present, in order of appearance */
	int *section_lines;	/* the line of each one's header, 0 when absent */
	size_t nsections;
	struct profile_search *search;	/* NULL: no [search] section */
};

/* The spec of a section: built-in ones, and one per launcher/injector. */
struct section_spec {
	const char *name;	/* "run", "guests", "inject.pause" */
	const struct pspec *keys;
	size_t nkeys;
	/* Optional: 0 when a key matched by a wildcard ("sysctl.*") is well
	 * formed, else -EINVAL and why (with an example) in why. */
	int (*key_check)(const char *key, char *why, size_t len);
};

/* Load and validate. On error returns -EINVAL and writes a message that names
 * file:line, the key and what is allowed into err (profile_load: -errno when
 * the file cannot be read, also with a message). */
int profile_load(const char *path, struct profile **out, char *err, size_t errlen);
/* The same, from size bytes in memory (they need not end in a NUL; path is
 * used for messages and the default run name). profile_load reads the file
 * and calls it. */
int profile_parse_mem(const char *path, const char *data, size_t size, struct profile **out,
		      char *err, size_t errlen);
/* profile_parse_mem of a C string. */
int profile_parse(const char *path, const char *text, struct profile **out,
		  char *err, size_t errlen);
void profile_free(struct profile *p);
/* Runs of each combination of values: [search] repeats in a search, else
 * [run] repeat. */
unsigned profile_repeat(const struct profile *p);
/* Find a key (NULL if absent and no default). */
const struct pkey *profile_key(const struct profile *p, const char *section,
			       const char *key);
bool profile_has_section(const struct profile *p, const char *section);
/* The line of a section's header, 0 when the file has none. */
int profile_section_line(const struct profile *p, const char *section);
/* "path:line: [section] key" for messages about k: its line, or for a key
 * left at its default its section's (the path with its bytes escaped). */
void profile_where(const struct profile *p, const struct pkey *k, char *buf, size_t len);

/* Parse one value of a given spec into v; -EINVAL with reason in err. */
int pval_parse(const struct pspec *s, const char *text, struct pval *v,
	       char *err, size_t errlen);
/* Format a duration in ns canonically ("250us", "1ms", "3s"). */
void fmt_duration(int64_t ns, char *buf, size_t len);
/* Kernel cpu-list form of a mask: "0-2,5". */
void cpulist_fmt(uint64_t mask, char *buf, size_t len);

/* All section specs (built-in + launchers + injectors), for check and --help. */
const struct section_spec *section_spec_find(const char *name);
/* The i-th section spec ([run], [host], [guests], [expect], [monitor],
 * [search], [report], then one [inject.NAME] per injector); NULL past the end. For listing them all. */
const struct section_spec *section_spec_at(size_t i);
struct launcher_ops;
/* [guests] for one launcher: the built-in keys plus the launcher's own.
 * section_spec_find("guests") is this for the default launcher. */
const struct section_spec *section_spec_guests(const struct launcher_ops *lo);

/* Limits: values in one axis, and cells in a grid (axes x repeat). */
#define PROFILE_MAX_AXIS_VALUES 10000
#define PROFILE_MAX_CELLS 100000

/* The built-in sections' keys (profile_keys.c). */
extern const struct pspec profile_run_keys[];
extern const size_t profile_run_nkeys;
extern const struct pspec profile_guests_keys[];
extern const size_t profile_guests_nkeys;
extern const struct pspec profile_expect_keys[];
extern const size_t profile_expect_nkeys;
extern const struct pspec profile_monitor_keys[];
extern const size_t profile_monitor_nkeys;
extern const struct pspec profile_search_keys[];
extern const size_t profile_search_nkeys;
extern const struct pspec profile_report_keys[];
extern const size_t profile_report_nkeys;

#endif
