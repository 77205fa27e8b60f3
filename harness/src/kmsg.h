/* SPDX-License-Identifier: GPL-2.0 */
/* /dev/kmsg reader: records from the moment it is opened, as plain lines. */
#ifndef LOCKMAP_KMSG_H
#define LOCKMAP_KMSG_H

#include <stddef.h>
#include <sys/types.h>

struct kmsg;
/* Open /dev/kmsg (or path, for tests) positioned at its end. */
int kmsg_open(const char *path, struct kmsg **out);
/* fd to poll for POLLIN. */
int kmsg_fd(const struct kmsg *k);
/* Read every pending record; for each, line is "[ secs.usecs] message" (the
 * record's continuation lines are passed as separate lines). Never blocks.
 * Returns number of records, or -errno. A lost-record gap (-EPIPE) is
 * reported once through cb as "lockmap: kmsg: N records lost". */
typedef void (*kmsg_line_cb)(const char *line, void *arg);
int kmsg_read(struct kmsg *k, kmsg_line_cb cb, void *arg);
void kmsg_close(struct kmsg *k);
/* Undo /dev/kmsg's "\xNN" escapes of src into dst (len bytes with the NUL);
 * an escaped NUL is dropped. dst may be src: the text only shrinks. Returns
 * the length written. */
size_t kmsg_unescape(char *dst, size_t len, const char *src);

#endif
