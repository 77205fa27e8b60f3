// SPDX-License-Identifier: GPL-2.0
/* The soaks of one profile in a results directory: which to resume, which
 * to compare with, which --keep removes. A soak is known by its run.json
 * ("soak", soak.h), never by its name: nothing else is ever removed. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "lockmap.h"
#include "soak.h"

/* The entry of base/name when it is a soak of profile: 1, 0 when it is not
 * one, -ENOMEM. */
static int soak_info_read(const char *base, const char *name, const char *profile,
			  struct soak_info *si)
{
	char *path = xasprintf("%s/%s/run.json", base, name);
	json_t *rj = json_load_file(path, 0, NULL);
	json_t *soak = json_object_get(rj, "soak");
	const char *prof = json_string_value(json_object_get(soak, "profile"));
	int found = 0;

	free(path);
	if (json_is_object(soak) && prof && !strcmp(prof, profile)) {
		memset(si, 0, sizeof(*si));
		si->dir = xasprintf("%s/%s", base, name);
		snprintf(si->id, sizeof(si->id), "%s", name);
		si->started = json_integer_value(json_object_get(rj, "started"));
		si->ended = json_object_get(soak, "ended") != NULL;
		found = 1;
	}
	json_decref(rj);
	return found;
}

static int soak_info_cmp(const void *a, const void *b)
{
	const struct soak_info *x = a, *y = b;

	if (x->started != y->started)
		return x->started < y->started ? -1 : 1;
	return strcmp(x->id, y->id);
}

int soak_list(const char *base, const char *profile, struct soak_info **out, size_t *n)
{
	DIR *d = opendir(base);
	struct soak_info *v = NULL;
	struct dirent *e;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		struct stat st;

		/* latest is a link to one of them. */
		if (e->d_name[0] == '.' ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (*n == cap) {
			struct soak_info *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv) {
				closedir(d);
				soak_list_free(v, *n);
				*n = 0;
				return -ENOMEM;
			}
			v = nv;
		}
		*n += (size_t)soak_info_read(base, e->d_name, profile, &v[*n]);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), soak_info_cmp);
	*out = v;
	return 0;
}

void soak_list_free(struct soak_info *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].dir);
	free(s);
}

int soak_prune(struct soak_info *s, size_t n, size_t keep, const char *mine)
{
	int removed = 0;

	for (size_t i = 0; i + keep < n; i++) {
		int rc;

		if (!strcmp(s[i].id, mine))
			continue;
		rc = rm_rf(s[i].dir);
		if (rc < 0)
			return rc;
		lm_info("soak: --keep %zu: removed the older soak %s", keep, s[i].dir);
		removed++;
	}
	return removed;
}
