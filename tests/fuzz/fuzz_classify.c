// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target for classify_line() and the streaming classifier.
 *
 * `make fuzz` builds it with clang as build/fuzz/fuzz_classify; `make check`
 * runs it for a bounded time on tests/fuzz/corpus/classify (tests/fuzz/run.sh). By hand:
 *   mkdir -p build/fuzz/new
 *   build/fuzz/fuzz_classify -max_total_time=600 -max_len=4096 build/fuzz/new tests/fuzz/corpus/classify
 * New inputs land in the first directory; add the ones worth keeping to the
 * corpus (see tests/fuzz/README.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

/* Every event must turn into JSON that serialises. */
static void fuzz_event(const struct event *ev, void *arg)
{
	json_t *o = event_to_json(ev);
	char *s;

	(void)arg;
	if (!o)
		abort();
	s = json_dumps(o, JSON_COMPACT);
	if (!s)
		abort();
	free(s);
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct classifier *cl = classifier_new(fuzz_event, NULL);
	char *buf = malloc(size + 1), *line, *save = NULL;
	struct event ev;

	if (!cl || !buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* the whole input as one line (with any NULs cutting it short) */
	if (classify_line(buf, &ev))
		fuzz_event(&ev, NULL);
	/* and as a log, line by line */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		classifier_feed(cl, line);
	classifier_flush(cl);
	classifier_free(cl);
	free(buf);
	return 0;
}
