/* SPDX-License-Identifier: GPL-2.0 */
/* The CLI verbs; main.c only dispatches to these. Each returns an exit code
 * (lockmap.h) and answers --help. */
#ifndef LOCKMAP_CMD_H
#define LOCKMAP_CMD_H

int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_inject(int argc, char **argv);
int cmd_lab(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_soak(int argc, char **argv);

/* The options of the lab host, shared by `lab` and `bisect` (cmd_lab.c):
 * LAB_LONG_OPTS in their getopt tables, cmd_lab_opt() for each option getopt
 * returns: 1 taken into lo, 0 not a lab option, -1 a wrong argument (said). */
enum {
	LAB_OPT_ACCEL = 256, LAB_OPT_APPEND, LAB_OPT_TCG_THREAD, LAB_OPT_BOOT, LAB_OPT_HANG,
	LAB_OPT_END, LAB_OPT_CPUS, LAB_OPT_MEM, LAB_OPT_WAIT, LAB_OPT_PSTORE,
	LAB_OPT__END
};
#define LAB_LONG_OPTS \
	{ "accel", required_argument, NULL, LAB_OPT_ACCEL }, \
	{ "append", required_argument, NULL, LAB_OPT_APPEND }, \
	{ "tcg-thread", required_argument, NULL, LAB_OPT_TCG_THREAD }, \
	{ "boot-timeout", required_argument, NULL, LAB_OPT_BOOT }, \
	{ "hang-timeout", required_argument, NULL, LAB_OPT_HANG }, \
	{ "end-timeout", required_argument, NULL, LAB_OPT_END }, \
	{ "cpus", required_argument, NULL, LAB_OPT_CPUS }, \
	{ "memory", required_argument, NULL, LAB_OPT_MEM }, \
	{ "wait", no_argument, NULL, LAB_OPT_WAIT }, \
	{ "pstore", no_argument, NULL, LAB_OPT_PSTORE }
struct lab_opts;
int cmd_lab_opt(int c, const char *arg, const char *opt, const char *verb, struct lab_opts *lo);
int cmd_bisect(int argc, char **argv);

#endif
