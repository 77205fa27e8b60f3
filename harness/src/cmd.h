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

#endif
