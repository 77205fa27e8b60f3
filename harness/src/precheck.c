// SPDX-License-Identifier: GPL-2.0
/* Everything checked before anything starts: no guest is booted, no knob set
 * and no run directory made for a profile that a cell would refuse later. The
 * profile checks are the payload's (payload.c) and each injector's validate();
 * the host checks are generic: every cpu a profile names (PT_CPULIST and
 * PT_CPU keys) must be one the host has online, and every [host] knob must
 * exist there, writable. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostknobs.h"
#include "inject.h"
#include "lockmap.h"
#include "payload.h"
#include "precheck.h"

/* A kernel cpu list ("0-3,8-11") as a mask of the cpus under 64: the cpus a
 * profile can name. 0 when it cannot be read. */
static uint64_t cpus_from_list(const char *s)
{
	uint64_t m = 0;

	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b;

		if (end == s || a < 0)
			return 0;
		b = a;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			if (end == s + 1 || b < a)
				return 0;
			s = end;
		}
		for (long i = a; i <= b && i < 64; i++)
			m |= 1ULL << i;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return 0;
		else
			break;
	}
	return m;
}

void host_facts_local(struct host_facts *hf)
{
	const char *root = hostknobs_sysroot();
	char *path, buf[256], list[64];
	int n;

	memset(hf, 0, sizeof(*hf));
	path = xasprintf("%s/sys/devices/system/cpu/online", root);
	if (read_file_str(path, buf, sizeof(buf)) == 0)
		hf->cpus = cpus_from_list(buf);
	free(path);
	if (!hf->cpus) {
		/* No sysfs: the first cpus, as many as are online. */
		n = cpus_online();
		hf->cpus = n >= 64 ? ~0ULL : (1ULL << n) - 1;
	}
	cpulist_fmt(hf->cpus, list, sizeof(list));
	snprintf(hf->what, sizeof(hf->what), "online on this host, whose online cpus are %s",
		 list);
	hf->knobs = true;
	hf->kvm_min_timer_period_us = -1;
	path = xasprintf("%s/sys/module/kvm/parameters/min_timer_period_us", root);
	if (read_file_str(path, buf, sizeof(buf)) == 0 && atoi(buf) > 0)
		hf->kvm_min_timer_period_us = atoi(buf);
	free(path);
}

void host_facts_lab(struct host_facts *hf, int ncpus)
{
	char list[64];

	memset(hf, 0, sizeof(*hf));
	hf->cpus = ncpus >= 64 ? ~0ULL : (1ULL << ncpus) - 1;
	cpulist_fmt(hf->cpus, list, sizeof(list));
	snprintf(hf->what, sizeof(hf->what), "a cpu of the lab host, whose cpus are %s", list);
	snprintf(hf->fix, sizeof(hf->fix), "; or give the lab host more with `lockmap lab "
		 "--cpus N` (now %d)", ncpus);
	hf->kvm_min_timer_period_us = -1;
}

/* The injectors the profile turns on, each with its section. */
static size_t profile_injectors(const struct profile *p, const struct injector_ops **in,
				const char **section, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nsections && n < max; i++) {
		if (strncmp(p->sections[i], "inject.", 7))
			continue;
		in[n] = injector_find(p->sections[i] + 7);
		section[n] = p->sections[i];
		n += in[n] != NULL;
	}
	return n;
}

int precheck_profile(const struct grid *g, char *err, size_t len)
{
	const struct injector_ops *in[64];
	const char *section[64];
	size_t nin;

	if (!g->ncells)
		return 0;
	nin = profile_injectors(g->cells[0].prof, in, section, ARRAY_SIZE(in));
	for (size_t i = 0; i < g->ncells; i++) {
		const struct cell *c = &g->cells[i];
		int rc;

		/* Repetitions have the same parameters. */
		if (c->rep)
			continue;
		rc = payload_check(c, err, len);
		for (size_t k = 0; !rc && k < nin; k++)
			if (in[k]->validate)
				rc = in[k]->validate(c, section[k], err, len);
		if (rc)
			return rc;
	}
	return 0;
}

/* Every value of every key that names host cpus names cpus the host has. */
static int precheck_cpus(const struct profile *p, const struct host_facts *hf, char *err,
			 size_t len)
{
	for (size_t i = 0; i < p->nkeys; i++) {
		const struct pkey *k = &p->keys[i];

		if (k->spec->type != PT_CPULIST && k->spec->type != PT_CPU)
			continue;
		for (size_t v = 0; v < k->nvals; v++) {
			uint64_t missing = k->vals[v].mask & ~hf->cpus;
			char where[600], in[160] = "";

			if (!missing)
				continue;
			profile_where(p, k, where, sizeof(where));
			if (__builtin_popcountll(k->vals[v].mask) > 1)
				snprintf(in, sizeof(in), " (in %s)", k->vals[v].text);
			snprintf(err, len, "%s: cpu %d%s is not %s; use those%s", where,
				 __builtin_ctzll(missing), in, hf->what, hf->fix);
			return -ENODEV;
		}
	}
	return 0;
}

/* Every [host] knob the profile changes exists here and takes writes. */
static int precheck_knobs(const struct profile *p, char *err, size_t len)
{
	for (size_t i = 0; i < p->nkeys; i++) {
		const struct pkey *k = &p->keys[i];
		char why[768], prefix[128], where[600];
		size_t pl;

		if (strcmp(k->section, "host") || hostknobs_check_key(k, why, sizeof(why)) == 0)
			continue;
		/* why starts "[host] KEY: ", as where ends. */
		pl = (size_t)snprintf(prefix, sizeof(prefix), "[host] %s: ", k->key);
		profile_where(p, k, where, sizeof(where));
		snprintf(err, len, "%s: %s", where, strncmp(why, prefix, pl) ? why : why + pl);
		return -ENODEV;
	}
	return 0;
}

/* A periodic timer's period under kvm's min_timer_period_us is a legitimate
 * experiment (KVM clamps it: arch/x86/kvm/lapic.c,
 * limit_periodic_timer_frequency()); the user hears once per period what the
 * guests will really get. The profile may set the parameter itself. */
static void precheck_clamp_notes(const struct grid *g, const struct host_facts *hf)
{
	const struct pkey *own = g->ncells ? profile_key(g->cells[0].prof, "host",
							  "kvm.min_timer_period_us") : NULL;
	int64_t said[32];
	size_t nsaid = 0;

	for (size_t i = 0; i < g->ncells && nsaid < ARRAY_SIZE(said); i++) {
		const struct cell *c = &g->cells[i];
		const struct pval *period = cell_val(c, "guests", "period");
		const char *set = own ? cell_str(c, "host", "kvm.min_timer_period_us") : "";
		int64_t min_us = *set ? atoll(set) : hf->kvm_min_timer_period_us;
		char where[600], clamp[32];
		bool dup = false;

		if (min_us <= 0 || strcmp(cell_str(c, "guests", "timer"), "periodic") ||
		    period->num >= min_us * NSEC_PER_USEC)
			continue;
		for (size_t s = 0; s < nsaid; s++)
			dup |= said[s] == period->num;
		if (dup)
			continue;
		said[nsaid++] = period->num;
		cell_where(c, "guests", "period", where, sizeof(where));
		fmt_duration(min_us * NSEC_PER_USEC, clamp, sizeof(clamp));
		lm_info("%s: %s is below kvm's min_timer_period_us (%lld%s): KVM clamps a periodic "
			"LAPIC timer to %s, so guests running under KVM tick every %s; the cells run "
			"as asked", where, period->text, (long long)min_us,
			*set ? ", set by [host]" : " on this host", clamp, clamp);
	}
}

int precheck_host(const struct grid *g, const struct host_facts *hf, char *err, size_t len)
{
	const struct profile *p;
	int rc;

	if (!g->ncells)
		return 0;
	p = g->cells[0].prof;
	rc = precheck_cpus(p, hf, err, len);
	if (!rc && hf->knobs)
		rc = precheck_knobs(p, err, len);
	if (rc)
		return rc;
	if (hf->kvm_min_timer_period_us > 0 || profile_key(p, "host", "kvm.min_timer_period_us"))
		precheck_clamp_notes(g, hf);
	return 0;
}

int precheck_all(const struct grid *g, const struct host_facts *hf)
{
	char err[2048];

	if (precheck_profile(g, err, sizeof(err)) < 0) {
		fprintf(stderr, "lockmap: %s\n", err);
		return EXIT_USAGE;
	}
	if (precheck_host(g, hf, err, sizeof(err)) < 0) {
		fprintf(stderr, "lockmap: %s\n", err);
		return EXIT_NOTREADY;
	}
	return EXIT_CLEAN;
}
