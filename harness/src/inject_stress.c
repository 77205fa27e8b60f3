// SPDX-License-Identifier: GPL-2.0
/* Injector "stress": stress-ng on chosen host cpus, optionally SCHED_FIFO, so
 * the guests' vCPU threads and the host's timer interrupts compete with it. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cell.h"
#include "inject.h"
#include "lockmap.h"
#include "spawn.h"
#include "text.h"

/* The stressors a profile may name: those that load what delays a host's
 * timers (cpu, caches and memory bandwidth, scheduler and context switches,
 * timers, interrupts and IPIs, bus locks, SMIs). A fixed list lets the profile
 * be checked at load, before anything runs; start() also checks that the
 * installed stress-ng knows each one, since older versions lack some. */
#define STRESS_CHOICES                                                          \
	"cpu|matrix|vecmath|fp|cache|l1cache|icache|memcpy|memrate|stream|vm|vm-rw|" \
	"malloc|mmap|tlb-shootdown|switch|pipe|futex|yield|resched|schedpolicy|"   \
	"fork|clone|timer|hrtimers|itimer|clock|nanosleep|cyclic|sock|udp|io|"     \
	"hdd|iomix|lockbus|smi|tsc|x86syscall|kvm"

static const struct pspec stress_keys[] = {
	{ "stressors", PT_LIST, 1, 0, "cpu", STRESS_CHOICES,
	  "stress-ng stressors to run, each with `workers` instances per cpu" },
	{ "workers", PT_INT, 0, 64, "1", NULL,
	  "instances of each stressor per cpu of `cpus`; 0 turns the injector off" },
	{ "cpus", PT_CPULIST, 1, 0, "0", NULL,
	  "host cpus stress-ng is bound to (--taskset)" },
	{ "fifo", PT_INT, 0, 99, "0", NULL,
	  "SCHED_FIFO priority of the stressors; 0 keeps normal scheduling" },
};

/* The safety limit given to stress-ng beyond the cell's own length, so a
 * stress-ng that lockmap lost track of still ends by itself. */
#define STRESS_TIMEOUT_MARGIN_S 600
#define STRESS_GRACE_MS 3000

/* One flat allocation: argv points into argbuf. */
struct stress_state {
	pid_t pid;		/* stress-ng (its own process group), 0 once reaped */
	pid_t pgid;		/* its pid, kept for describe() */
	bool exited;
	bool exited_early;	/* before stop() asked it to */
	int status;		/* wait status once exited */
	int64_t started_at, stopped_at;
	char log[512];
	int argc;
	char *argv[64];
	char argbuf[2048];
};

static int stress_supported(char *why, size_t len)
{
	char path[256];

	if (!spawn_which("stress-ng", path, sizeof(path))) {
		snprintf(why, len, "stress-ng not found on PATH: install it: apt-get install stress-ng");
		return -ENOENT;
	}
	snprintf(why, len, "stress-ng at %s", path);
	return 0;
}

/* Append one argument to st->argv, copying it into st->argbuf. */
static int stress_arg(struct stress_state *st, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int stress_arg(struct stress_state *st, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (st->argc >= (int)ARRAY_SIZE(st->argv) - 1)
		return -E2BIG;
	va_start(ap, fmt);
	n = vsnprintf(st->argbuf + *used, sizeof(st->argbuf) - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(st->argbuf) - *used)
		return -E2BIG;
	st->argv[st->argc++] = st->argbuf + *used;
	st->argv[st->argc] = NULL;
	*used += (size_t)n + 1;
	return 0;
}

/* Does the installed stress-ng know every stressor of the list? Names the
 * first one it does not into bad. */
static int stress_check_names(const char *dir, const char *list, char *bad, size_t len)
{
	char *argv[] = { "stress-ng", "--stressors", NULL };
	char *out = xasprintf("%s/stress-ng.stressors", dir);
	struct spawn_opts o = { .stdout_path = out, .stdout_fd = -1 };
	char *names = NULL, *copy = NULL, *save = NULL, *w;
	FILE *f = NULL;
	long sz;
	int rc;

	(void)unlink(out);
	rc = spawn_run(argv, &o, 10000);
	if (rc != 0) {
		snprintf(bad, len, "`stress-ng --stressors` failed (%d)", rc);
		rc = -EIO;
		goto out;
	}
	f = fopen(out, "re");
	if (!f || fseek(f, 0, SEEK_END) < 0 || (sz = ftell(f)) < 0) {
		rc = -errno;
		goto out;
	}
	rewind(f);
	names = calloc(1, (size_t)sz + 3);
	if (!names) {
		rc = -ENOMEM;
		goto out;
	}
	/* " a b c " so a name matches only as a whole word. */
	names[0] = ' ';
	if (fread(names + 1, 1, (size_t)sz, f) != (size_t)sz) {
		rc = -EIO;
		goto out;
	}
	for (char *p = names; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	strcat(names, " ");
	copy = strdup(list);
	if (!copy) {
		rc = -ENOMEM;
		goto out;
	}
	for (w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
		char word[80];

		snprintf(word, sizeof(word), " %s ", w);
		if (!strstr(names, word)) {
			snprintf(bad, len, "this stress-ng does not know the stressor '%s' (see `stress-ng --stressors`)", w);
			rc = -EINVAL;
			goto out;
		}
	}
out:
	if (f)
		fclose(f);
	(void)unlink(out);
	free(out);
	free(names);
	free(copy);
	return rc;
}

/* Build stress-ng's argv from the cell's parameters. */
static int stress_build_argv(struct inject_ctx *ic, struct stress_state *st, const char *list,
			     int workers, const char *cpus, int ncpus, int fifo)
{
	const struct cell *c = ic->cell->cell;
	int64_t cell_s = (cell_num(c, "run", "cell_seconds") + NSEC_PER_SEC - 1) / NSEC_PER_SEC;
	char *copy = strdup(list), *save = NULL, *w;
	size_t used = 0;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	rc |= stress_arg(st, &used, "stress-ng");
	for (w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
		rc |= stress_arg(st, &used, "--%s", w);
		rc |= stress_arg(st, &used, "%d", workers * ncpus);
	}
	free(copy);
	rc |= stress_arg(st, &used, "--taskset");
	rc |= stress_arg(st, &used, "%s", cpus);
	if (fifo > 0) {
		rc |= stress_arg(st, &used, "--sched");
		rc |= stress_arg(st, &used, "fifo");
		rc |= stress_arg(st, &used, "--sched-prio");
		rc |= stress_arg(st, &used, "%d", fifo);
	}
	rc |= stress_arg(st, &used, "--timeout");
	rc |= stress_arg(st, &used, "%llds", (long long)(cell_s + STRESS_TIMEOUT_MARGIN_S));
	/* Stressors that write files (io, hdd) do it in the cell's directory. */
	rc |= stress_arg(st, &used, "--temp-path");
	rc |= stress_arg(st, &used, "%s", ic->cell->dir);
	rc |= stress_arg(st, &used, "--metrics-brief");
	return rc ? -E2BIG : 0;
}

/* Check cpus and stressor names, then start stress-ng in its own process group. */
static int stress_start(struct inject_ctx *ic)
{
	const struct cell *c = ic->cell->cell;
	const char *list = cell_str(c, ic->section, "stressors");
	int workers = (int)cell_num(c, ic->section, "workers");
	int fifo = (int)cell_num(c, ic->section, "fifo");
	const struct pval *cpus = cell_val(c, ic->section, "cpus");
	uint64_t online = cpus_online() >= 64 ? ~0ULL : (1ULL << cpus_online()) - 1;
	struct spawn_opts o = { .stdout_fd = -1, .new_pgrp = true };
	struct stress_state *st;
	char why[512];
	int rc;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	free(ic->priv);
	ic->priv = st;
	if (workers == 0)
		return 0;
	rc = stress_supported(why, sizeof(why));
	if (rc) {
		lm_err("stress: %s", why);
		return rc;
	}
	if (cpus->mask & ~online) {
		lm_err("stress: [%s] cpus = %s names cpus this host does not have (online: 0-%d)",
		       ic->section, cpus->text, cpus_online() - 1);
		return -EINVAL;
	}
	rc = stress_check_names(ic->cell->dir, list, why, sizeof(why));
	if (rc) {
		lm_err("stress: [%s] stressors = %s: %s", ic->section, list, why);
		return rc;
	}
	rc = stress_build_argv(ic, st, list, workers, cpus->text,
			       __builtin_popcountll(cpus->mask), fifo);
	if (rc) {
		lm_err("stress: [%s] too many stressors for one stress-ng command line", ic->section);
		return rc;
	}
	snprintf(st->log, sizeof(st->log), "%s/stress-ng.log", ic->cell->dir);
	(void)unlink(st->log);	/* a repeated cell reuses its directory */
	o.stdout_path = st->log;
	rc = spawn_start(st->argv, &o, &st->pid);
	if (rc) {
		lm_err("stress: cannot start stress-ng: %s", strerror(-rc));
		st->pid = 0;
		return rc;
	}
	st->pgid = st->pid;
	st->started_at = now_ns();
	lm_debug("stress: started stress-ng (pid %d), log %s", (int)st->pid, st->log);
	return 0;
}

/* Notice a stress-ng that ended by itself: a bad option, or killed by OOM. */
static int64_t stress_step(struct inject_ctx *ic, int64_t now)
{
	struct stress_state *st = ic->priv;

	if (!st || !st->pid || st->exited)
		return INT64_MAX;
	if (spawn_poll(st->pid, &st->status) == 1) {
		st->exited = true;
		st->exited_early = true;
		st->stopped_at = now;
		if (WIFSIGNALED(st->status))
			lm_err("stress: stress-ng was killed by signal %d before the window ended; see %s",
			       WTERMSIG(st->status), st->log);
		else
			lm_err("stress: stress-ng exited with status %d before the window ended; see %s",
			       WEXITSTATUS(st->status), st->log);
		return INT64_MAX;
	}
	return now + NSEC_PER_SEC;
}

/* Wait up to ms for the group leader to exit; true when it did. */
static bool stress_wait(struct stress_state *st, int ms)
{
	int64_t end = now_ns() + (int64_t)ms * NSEC_PER_MSEC;

	for (;;) {
		struct timespec ts = { 0, 10 * NSEC_PER_MSEC };

		if (spawn_poll(st->pid, &st->status) != 0)
			return true;
		if (now_ns() >= end)
			return false;
		nanosleep(&ts, NULL);
	}
}

/* Stop stress-ng and every worker of its group, and reap it. */
static int stress_stop(struct inject_ctx *ic)
{
	struct stress_state *st = ic->priv;
	int64_t end;

	if (!st || !st->pid)
		return 0;
	if (!st->exited) {
		/* SIGINT first: stress-ng then stops and prints its metrics.
		 * To the whole group: a SCHED_FIFO worker spinning on the
		 * parent's cpu would leave the parent too little time to
		 * pass it on. */
		(void)killpg(st->pid, SIGINT);
		if (!stress_wait(st, STRESS_GRACE_MS)) {
			(void)killpg(st->pid, SIGTERM);
			if (!stress_wait(st, STRESS_GRACE_MS)) {
				(void)killpg(st->pid, SIGKILL);
				while (waitpid(st->pid, &st->status, 0) < 0 && errno == EINTR)
					;
			}
		}
		st->exited = true;
		st->stopped_at = now_ns();
	}
	/* Workers outliving their parent are still in its process group. */
	end = now_ns() + STRESS_GRACE_MS * NSEC_PER_MSEC;
	while (killpg(st->pid, 0) == 0) {
		struct timespec ts = { 0, 10 * NSEC_PER_MSEC };

		if (now_ns() >= end) {
			(void)killpg(st->pid, SIGKILL);
			break;
		}
		nanosleep(&ts, NULL);
	}
	st->pid = 0;
	/* The window did not get the stress it asked for. */
	return st->exited_early ? -ECHILD : 0;
}

/* Bogo ops per stressor from stress-ng's --metrics-brief table:
 * "stress-ng: metrc: [pid] cpu   1883   1.98 ...". The table ends where the
 * "miscellaneous metrics" (floating point rates) begin. */
static void stress_metrics(const struct stress_state *st, json_t *out)
{
	FILE *f = fopen(st->log, "re");
	json_t *ops = json_object();
	char line[512];
	bool table = false;

	if (!f) {
		json_decref(ops);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "] "), name[64], bogo[32];

		if (!p)
			continue;
		p += 2;
		if (strstr(p, "bogo ops")) {
			table = true;
			continue;
		}
		if (strstr(p, "miscellaneous metrics"))
			table = false;
		if (!table || sscanf(p, "%63s %31s", name, bogo) != 2 ||
		    strspn(bogo, "0123456789") != strlen(bogo))
			continue;
		json_object_set_new(ops, name, json_integer(strtoll(bogo, NULL, 10)));
	}
	fclose(f);
	if (json_object_size(ops))
		json_object_set_new(out, "bogo_ops", ops);
	else
		json_decref(ops);
}

static void stress_describe(struct inject_ctx *ic, json_t *out)
{
	struct stress_state *st = ic->priv;
	json_t *argv;

	if (!st || !st->argc) {
		json_object_set_new(out, "off", json_true());
		return;
	}
	argv = json_array();
	for (int i = 0; i < st->argc; i++)
		json_array_append_new(argv, text_json(st->argv[i]));
	json_object_set_new(out, "argv", argv);
	json_object_set_new(out, "log", text_json(st->log));
	json_object_set_new(out, "pid", json_integer(st->pgid));
	if (st->exited) {
		if (WIFEXITED(st->status))
			json_object_set_new(out, "exit_status", json_integer(WEXITSTATUS(st->status)));
		else if (WIFSIGNALED(st->status))
			json_object_set_new(out, "signal", json_integer(WTERMSIG(st->status)));
		json_object_set_new(out, "exited_early", json_boolean(st->exited_early));
		json_object_set_new(out, "ran_ns", json_integer(st->stopped_at - st->started_at));
	}
	stress_metrics(st, out);
}

/* Its injection runs: stress-ng is alive (0 workers is off). */
static bool stress_active(const struct inject_ctx *ic)
{
	const struct stress_state *st = ic->priv;

	return ic->started && st && st->pid > 0 && !st->exited;
}

const struct injector_ops inject_stress_ops = {
	.name = "stress",
	.help = "run stress-ng stressors on chosen host cpus, optionally at a SCHED_FIFO priority",
	.keys = stress_keys,
	.nkeys = ARRAY_SIZE(stress_keys),
	.supported = stress_supported,
	.start = stress_start,
	.step = stress_step,
	.stop = stress_stop,
	.describe = stress_describe,
	.active = stress_active,
};
