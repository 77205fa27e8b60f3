// SPDX-License-Identifier: GPL-2.0
/* Tail a guest's output file: new complete lines go to its metrics and to a
 * callback; an incomplete last line waits for the rest. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "launch.h"
#include "lockmap.h"

static void guest_emit_line(struct guest *g, char *line,
			    void (*cb)(struct guest *, const char *, void *), void *arg)
{
	str_rtrim(line);
	guest_metrics_feed(&g->metrics, line, now_ns());
	if (cb)
		cb(g, line, arg);
}

/* Append n bytes to the partial line; a line longer than the buffer is cut
 * and emitted as it is, since no valid guest line is that long. */
static void guest_take_bytes(struct guest *g, const char *p, size_t n,
			     void (*cb)(struct guest *, const char *, void *), void *arg)
{
	size_t have = strnlen(g->out_partial, sizeof(g->out_partial));

	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;
		size_t room = sizeof(g->out_partial) - 1 - have;

		if (take > room) {
			memcpy(g->out_partial + have, p, room);
			g->out_partial[have + room] = '\0';
			guest_emit_line(g, g->out_partial, cb, arg);
			g->out_partial[0] = '\0';
			have = 0;
			p += room;
			n -= room;
			continue;
		}
		memcpy(g->out_partial + have, p, take);
		have += take;
		g->out_partial[have] = '\0';
		if (!nl)
			return;
		guest_emit_line(g, g->out_partial, cb, arg);
		g->out_partial[0] = '\0';
		have = 0;
		p += take + 1;
		n -= take + 1;
	}
}

void guest_read_output(struct guest *g, void (*cb)(struct guest *, const char *, void *),
		       void *arg)
{
	char buf[4096];
	int fd;

	if (!g->out_path)
		return;
	/* Opened afresh each time: the file may not exist yet while the VMM
	 * starts, and it costs little at the rate the harness polls. */
	fd = open(g->out_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), g->out_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		g->out_off += n;
		guest_take_bytes(g, buf, (size_t)n, cb, arg);
	}
	close(fd);
}
