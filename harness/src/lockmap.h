/* SPDX-License-Identifier: GPL-2.0 */
/* Common helpers shared by every harness file: logging, time, small utilities. */
#ifndef LOCKMAP_H
#define LOCKMAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_USEC 1000LL
#define NSEC_PER_MSEC 1000000LL
#define NSEC_PER_SEC 1000000000LL

/* Exit codes of the CLI (DESIGN.md "Exit codes"). */
enum {
	EXIT_CLEAN = 0,		/* no cell reached a fail_on outcome */
	EXIT_FAILED = 1,	/* some cell did */
	EXIT_USAGE = 2,		/* usage or profile error */
	EXIT_NOTREADY = 3,	/* environment not ready */
	EXIT_BISECT_SKIP = 125,
	/* Stopped by a signal before its end: 128 + the signal, as a shell reports
	 * it (130 SIGINT, 143 SIGTERM, 129 SIGHUP); `git bisect run` stops at it. */
	EXIT_SIGNAL_BASE = 128,
};

/* The exit codes of `run` and `lab`, for their --help and the README. */
#define LOCKMAP_RUN_EXIT_HELP \
	"Exit codes:\n" \
	"  0    every cell ran; none reached an [expect] fail_on outcome\n" \
	"  1    some cell reached a fail_on outcome\n" \
	"  2    usage or profile error (file:line and key), a results path that is\n" \
	"       no directory, a --run-dir that is not this profile's run, a kernel\n" \
	"       image that is no kernel: nothing was started\n" \
	"  3    this host lacks something the run needs, or another lockmap holds\n" \
	"       it (it says what and how to get it)\n" \
	"  130  interrupted by SIGINT (143 SIGTERM, 129 SIGHUP): the cells that\n" \
	"       ended are kept, the interrupted one is a skipped testcase in\n" \
	"       junit.xml; `lockmap run --run-dir DIR PROFILE` runs the rest\n"

/* Log verbosity: 0 quiet, 1 normal, 2 debug (-v). */
extern int lm_verbose;
/* Set by `run --lab-inner`: this lockmap runs inside a lab host, where nested
 * virtualization (under TCG, often) is slow: start-up allowances are widened. */
extern bool lm_lab_inner;

/* Where lm_* messages go: stderr, unless lm_log_hook takes them (it returns
 * true; notify.c sends them to the journal). */
enum { LM_LOG_ERR, LM_LOG_WARN, LM_LOG_INFO, LM_LOG_DEBUG };
extern bool (*lm_log_hook)(int level, const char *msg);

void lm_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lm_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lm_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lm_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* CLOCK_MONOTONIC and CLOCK_REALTIME in nanoseconds. */
int64_t now_ns(void);
int64_t wall_ns(void);
/* Sleep for ns, returning early (with -EINTR) when a stop was requested. */
int sleep_ns(int64_t ns);

/* Set by SIGINT/SIGTERM through sig_install(); checked by every long loop. */
extern volatile int lm_stop_requested;
/* Read end of the self-pipe written by the signal handler; poll it. */
int sig_fd(void);
int sig_install(void);

/* Small file helpers; return 0 or -errno. */
int read_file_str(const char *path, char *buf, size_t len);
int write_file_str(const char *path, const char *s);
int mkdir_p(const char *path, unsigned mode);
/* rm -rf path, without following symlinks; a missing path is fine. */
int rm_rf(const char *path);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Trim trailing whitespace in place; return s. */
char *str_rtrim(char *s);
/* Path of the running lockmap binary ("" when unknown; static buffer). */
const char *exe_path(void);
/* Path of the directory holding the running lockmap binary (static buffer). */
const char *exe_dir(void);
/* Locate a data file shipped with lockmap (e.g. "tickguest.elf"): next to the
 * binary, then ../lib/lockmap. Returns malloc'd path or NULL. */
char *data_path(const char *name);
/* A file of the source tree (tree_rel, relative to the tree's top: the binary
 * is build/lockmap there) or, for an installed or copied lockmap, data_path(
 * installed). malloc'd, or NULL. */
char *data_source(const char *tree_rel, const char *installed);
/* Where data_path() looked, for a message: "next to lockmap (DIR) nor in ...".
 * Static buffer. */
const char *data_where(void);
/* Parse a cpu list "0-3,6" into a bitmask (up to 64 cpus); -EINVAL on error. */
int cpulist_parse(const char *s, uint64_t *mask);
/* Number of online cpus. */
int cpus_online(void);
/* Is stdout a terminal (progress lines are shown only then)? */
bool is_tty(void);

#endif
