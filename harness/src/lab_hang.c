// SPDX-License-Identifier: GPL-2.0
/* A lab host that fell silent is sampled before it is killed: where its vCPUs
 * are, named from the lab kernel's own symbols. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms.h"
#include "lab_int.h"
#include "lockmap.h"
#include "qmp.h"

/* vCPU RIP samples taken from a silent lab host before it is killed. */
#define LAB_HANG_SAMPLES 3

/* Where the cpus of a silent lab host are: a few samples of every vCPU's RIP
 * (QMP human-monitor-command "info registers -a"), named from the lab's
 * /proc/kallsyms, which the inner run copied to lab-kallsyms (modules included;
 * a System.map would miss them, and Debian's is a stub). A cpu spinning in
 * hard-irq shows apic_timer_fn or hrtimer_interrupt; an idle one is halted. */
json_t *lab_hang_sample(const struct lab *L, struct lab_boot *b, char *brief, size_t len)
{
	json_t *cpus = json_object(), *args = json_pack("{s:s}", "command-line",
							 "info registers -a");
	char *map = xasprintf("%s/lab-kallsyms", L->rundir);
	struct ksyms *ks = NULL;
	size_t off = 0;

	brief[0] = '\0';
	if (!b->qmp || ksyms_load(map, &ks) < 0)
		lm_debug("lab: no %s: RIPs stay unnamed", map);
	free(map);
	for (int s = 0; s < LAB_HANG_SAMPLES && b->qmp; s++) {
		json_t *reply = NULL;
		const char *text, *p;
		int cpu = -1;

		if (qmp_cmd(b->qmp, "human-monitor-command", args, &reply, 2000) < 0)
			break;
		text = json_string_value(reply);
		for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			unsigned long long rip;
			const char *r;
			char name[160], key[16];
			json_t *arr;

			if (sscanf(p, "CPU#%d", &cpu) == 1)
				continue;
			if (strncmp(p, "RIP=", 4) || cpu < 0 || sscanf(p + 4, "%llx", &rip) != 1)
				continue;
			ksyms_name(ks, rip, name, sizeof(name));
			r = strstr(p, "HLT=1");
			if (r && r < strchrnul(p, '\n'))
				strncat(name, " (halted)", sizeof(name) - strlen(name) - 1);
			snprintf(key, sizeof(key), "%d", cpu);
			arr = json_object_get(cpus, key);
			if (!arr) {
				arr = json_array();
				json_object_set_new(cpus, key, arr);
			}
			json_array_append_new(arr, json_string(name));
			if (s == 0 && off < len)
				off += (size_t)snprintf(brief + off, len - off, "%scpu%d at %s",
							off ? ", " : "", cpu, name);
		}
		json_decref(reply);
		(void)sleep_ns(200 * NSEC_PER_MSEC);
	}
	json_decref(args);
	ksyms_free(ks);
	return cpus;
}
