// SPDX-License-Identifier: GPL-2.0
/* The profile's section and key tables put together: the built-in sections
 * (profile_keys.c), [host] (hostknobs.c), and one table per launcher and
 * injector, found by name; [guests] differs with the launcher. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hostknobs.h"
#include "inject.h"
#include "launch.h"
#include "lockmap.h"
#include "profile_int.h"

/* run, host, guests (default launcher), expect, monitor, search, report, then
 * inject.* */
static struct section_spec *all_specs;
static size_t nall_specs;
/* [guests] for each launcher, in the order of launchers[]. */
static struct section_spec *guests_specs;
static struct section_spec guests_plain;

/* The [guests] table for one launcher: built-in keys, with the launcher
 * names as the choices of launcher=, followed by the launcher's keys. */
static struct pspec *guests_merge(const struct launcher_ops *lo, const char *choices,
				  size_t *n)
{
	size_t extra = lo ? lo->nkeys : 0;
	struct pspec *k = calloc(profile_guests_nkeys + extra, sizeof(*k));

	if (!k)
		abort();
	memcpy(k, profile_guests_keys, profile_guests_nkeys * sizeof(*k));
	for (size_t i = 0; i < profile_guests_nkeys; i++)
		if (!strcmp(k[i].key, "launcher"))
			k[i].choices = choices;
	if (extra)
		memcpy(k + profile_guests_nkeys, lo->keys, extra * sizeof(*k));
	*n = profile_guests_nkeys + extra;
	return k;
}

/* The tables of [host], launchers and injectors are only known at run time
 * (their sizes are not constant expressions), so they are put together once. */
static void specs_init(void)
{
	const char *def_launcher = NULL;
	struct section_spec *def_guests = &guests_plain;
	size_t len = 1, i, n = 0;
	char *choices;

	for (i = 0; i < nr_launchers; i++)
		len += strlen(launchers[i]->name) + 1;
	choices = calloc(1, len);
	all_specs = calloc(7 + nr_injectors, sizeof(*all_specs));
	guests_specs = calloc(nr_launchers + 1, sizeof(*guests_specs));
	if (!choices || !all_specs || !guests_specs)
		abort();
	for (i = 0; i < nr_launchers; i++) {
		if (i)
			strcat(choices, "|");
		strcat(choices, launchers[i]->name);
	}
	for (i = 0; i < profile_guests_nkeys; i++)
		if (!strcmp(profile_guests_keys[i].key, "launcher"))
			def_launcher = profile_guests_keys[i].def;
	guests_plain.name = "guests";
	guests_plain.keys = guests_merge(NULL, choices, &guests_plain.nkeys);
	for (i = 0; i < nr_launchers; i++) {
		guests_specs[i].name = "guests";
		guests_specs[i].keys = guests_merge(launchers[i], choices, &guests_specs[i].nkeys);
		if (def_launcher && !strcmp(launchers[i]->name, def_launcher))
			def_guests = &guests_specs[i];
	}

	all_specs[n++] = (struct section_spec){ "run", profile_run_keys, profile_run_nkeys,
						NULL };
	all_specs[n++] = (struct section_spec){ "host", hostknobs_keys, hostknobs_nkeys,
						hostknobs_key_check };
	all_specs[n++] = *def_guests;
	all_specs[n++] = (struct section_spec){ "expect", profile_expect_keys,
						profile_expect_nkeys, NULL };
	all_specs[n++] = (struct section_spec){ "monitor", profile_monitor_keys,
						profile_monitor_nkeys, NULL };
	all_specs[n++] = (struct section_spec){ "search", profile_search_keys,
						profile_search_nkeys, NULL };
	all_specs[n++] = (struct section_spec){ "report", profile_report_keys,
						profile_report_nkeys, NULL };
	for (i = 0; i < nr_injectors; i++)
		all_specs[n++] = (struct section_spec){
			xasprintf("inject.%s", injectors[i]->name), injectors[i]->keys,
			injectors[i]->nkeys, NULL };
	nall_specs = n;
}

static pthread_once_t specs_once = PTHREAD_ONCE_INIT;

const struct section_spec *section_spec_at(size_t i)
{
	pthread_once(&specs_once, specs_init);
	return i < nall_specs ? &all_specs[i] : NULL;
}

const struct section_spec *section_spec_find(const char *name)
{
	pthread_once(&specs_once, specs_init);
	for (size_t i = 0; i < nall_specs; i++)
		if (!strcmp(all_specs[i].name, name))
			return &all_specs[i];
	return NULL;
}

const struct section_spec *section_spec_guests(const struct launcher_ops *lo)
{
	pthread_once(&specs_once, specs_init);
	for (size_t i = 0; i < nr_launchers; i++)
		if (launchers[i] == lo)
			return &guests_specs[i];
	return NULL;
}

bool pspec_is_wildcard(const struct pspec *k)
{
	size_t l = strlen(k->key);

	return l && k->key[l - 1] == '*';
}

/* Exact names first, then "prefix.*" patterns (what follows the prefix is the
 * section's key_check's to judge). */
const struct pspec *section_spec_key(const struct section_spec *ss, const char *key)
{
	for (size_t i = 0; i < ss->nkeys; i++)
		if (!pspec_is_wildcard(&ss->keys[i]) && !strcmp(ss->keys[i].key, key))
			return &ss->keys[i];
	for (size_t i = 0; i < ss->nkeys; i++) {
		const struct pspec *k = &ss->keys[i];
		size_t l = strlen(k->key) - 1;

		if (pspec_is_wildcard(k) && !strncmp(k->key, key, l) && key[l])
			return k;
	}
	return NULL;
}

