// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target for classify_line() and the streaming classifier.
 *
 * Built and run from the top of the tree with:
 *   clang -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *     -iquote harness/src tests/fuzz/fuzz_classify.c harness/src/classify.c \
 *     harness/src/util.c -ljansson -lpthread -o build/fuzz_classify
 *   mkdir -p build/fuzz-corpus
 *   build/fuzz_classify -max_total_time=60 -max_len=4096 build/fuzz-corpus tests/data/logs
 * (new inputs land in the first directory; tests/data/logs only seeds it).
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
