// SPDX-License-Identifier: GPL-2.0
/* /dev/kmsg reader (Documentation/ABI/testing/dev-kmsg).
 *
 * Each read() of /dev/kmsg returns one record "prio,seq,usec,flags[,...];text\n"
 * followed by dictionary lines " KEY=value\n"; non-printable bytes of the
 * text, newlines included, come escaped as "\xNN". Files and pipes (tests,
 * saved records) return records in arbitrary chunks, so records are cut at
 * newlines from a buffer rather than taken one per read().
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmsg.h"
#include "lockmap.h"

/* The kernel refuses (EINVAL) a read shorter than a record; its records
 * are at most 8 KiB once escaped (CONSOLE_EXT_LOG_MAX). */
#define KMSG_BUF 16384

struct kmsg {
	int fd;
	bool have_seq;
	uint64_t next_seq;	/* sequence number expected next */
	bool lost;		/* EPIPE: records were overwritten before we read them */
	size_t len;		/* bytes pending in buf (an incomplete line) */
	char buf[KMSG_BUF];
	char text[KMSG_BUF];	/* one unescaped record */
};

int kmsg_open(const char *path, struct kmsg **out)
{
	struct kmsg *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->fd = open(path ? path : "/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0) {
		int e = -errno;

		free(k);
		return e;
	}
	/* Only records from now on; a pipe cannot seek and has no past anyway. */
	if (lseek(k->fd, 0, SEEK_END) < 0 && errno != ESPIPE) {
		int e = -errno;

		close(k->fd);
		free(k);
		return e;
	}
	*out = k;
	return 0;
}

int kmsg_fd(const struct kmsg *k)
{
	return k->fd;
}

/* Parse "prio,seq,usec,flags[,...]" up to ';'. */
static bool kmsg_parse_header(const char *s, uint64_t *seq, uint64_t *usec, const char **text)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	(void)strtoull(s, &end, 10);
	if (*end != ',' || end[1] < '0' || end[1] > '9')
		return false;
	*seq = strtoull(end + 1, &end, 10);
	if (*end != ',' || end[1] < '0' || end[1] > '9')
		return false;
	*usec = strtoull(end + 1, &end, 10);
	if (*end != ',' && *end != ';')
		return false;
	end = strchr(end, ';');
	if (!end)
		return false;
	*text = end + 1;
	return true;
}

/* Unescape a record's text into k->text and pass each of its lines on,
 * prefixed with the record's time the way the kernel prints it. */
static void kmsg_emit(struct kmsg *k, uint64_t usec, const char *s, kmsg_line_cb cb, void *arg)
{
	char prefix[48];
	size_t n = kmsg_unescape(k->text, sizeof(k->text), s), start = 0;

	snprintf(prefix, sizeof(prefix), "[%5lu.%06lu] ", (unsigned long)(usec / 1000000),
		 (unsigned long)(usec % 1000000));
	for (size_t i = 0; i <= n; i++) {
		char *line;

		if (i < n && k->text[i] != '\n')
			continue;
		/* a trailing newline in the text ends it; it adds no line */
		if (i == n && start == n && n > 0)
			break;
		k->text[i] = '\0';
		line = xasprintf("%s%s", prefix, k->text + start);
		cb(line, arg);
		free(line);
		start = i + 1;
	}
}

/* One line from the buffer: a record header, or a dictionary line to skip. */
static int kmsg_line(struct kmsg *k, const char *line, kmsg_line_cb cb, void *arg)
{
	uint64_t seq, usec;
	const char *text;

	/* dictionary lines (" SUBSYSTEM=...", " DEVICE=...") */
	if (line[0] == ' ' || !line[0])
		return 0;
	if (!kmsg_parse_header(line, &seq, &usec, &text)) {
		lm_debug("kmsg: not a record: %.80s", line);
		return 0;
	}
	if (k->have_seq && seq > k->next_seq) {
		char msg[80];

		snprintf(msg, sizeof(msg), "lockmap: kmsg: %llu records lost",
			 (unsigned long long)(seq - k->next_seq));
		cb(msg, arg);
		k->lost = false;
	} else if (k->lost) {
		/* EPIPE before we knew where we were: the count is unknown */
		cb("lockmap: kmsg: records lost", arg);
		k->lost = false;
	}
	k->have_seq = true;
	k->next_seq = seq + 1;
	kmsg_emit(k, usec, text, cb, arg);
	return 1;
}

/* Process every complete line in the buffer; keep an incomplete tail. */
static int kmsg_drain(struct kmsg *k, kmsg_line_cb cb, void *arg)
{
	size_t start = 0;
	int records = 0;

	for (size_t i = 0; i < k->len; i++) {
		if (k->buf[i] != '\n')
			continue;
		k->buf[i] = '\0';
		records += kmsg_line(k, k->buf + start, cb, arg);
		start = i + 1;
	}
	if (start == 0 && k->len == sizeof(k->buf) - 1) {
		/* a line longer than any record: take it as it is */
		k->buf[k->len] = '\0';
		records += kmsg_line(k, k->buf, cb, arg);
		start = k->len;
	}
	memmove(k->buf, k->buf + start, k->len - start);
	k->len -= start;
	return records;
}

int kmsg_read(struct kmsg *k, kmsg_line_cb cb, void *arg)
{
	int records = 0;

	for (;;) {
		ssize_t n = read(k->fd, k->buf + k->len, sizeof(k->buf) - 1 - k->len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			if (errno == EPIPE) {
				/* The ring buffer overwrote records we had not read;
				 * the next read continues at the oldest one left. */
				k->lost = true;
				continue;
			}
			return -errno;
		}
		if (n == 0)
			break;	/* end of a file or pipe */
		k->len += (size_t)n;
		records += kmsg_drain(k, cb, arg);
	}
	return records;
}

void kmsg_close(struct kmsg *k)
{
	if (!k)
		return;
	close(k->fd);
	free(k);
}

static int kmsg_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t kmsg_unescape(char *dst, size_t len, const char *src)
{
	size_t n = 0;

	while (*src && n + 1 < len) {
		int hi, lo;

		if (src[0] == '\\' && src[1] == 'x' && (hi = kmsg_hex(src[2])) >= 0 &&
		    (lo = kmsg_hex(src[3])) >= 0) {
			char c = (char)(hi << 4 | lo);

			src += 4;
			/* a NUL would cut the line short; drop it */
			if (c)
				dst[n++] = c;
			continue;
		}
		dst[n++] = *src++;
	}
	dst[n] = '\0';
	return n;
}
