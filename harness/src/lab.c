// SPDX-License-Identifier: GPL-2.0
/* The lab target from outside: boot the lab host under QEMU, follow its serial
 * console, heartbeat, QMP events and the journal the inner lockmap writes, and
 * decide panic and host_hang for the cell that was running when the lab host
 * died; then boot it again to go on with the next cell. The inner run skips
 * every cell that has a cell_end, so the journal is the only hand-over. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel.h"
#include "classify.h"
#include "grid.h"
#include "journal.h"
#include "ksyms.h"
#include "lab.h"
#include "labimage.h"
#include "lockmap.h"
#include "outcome.h"
#include "profile.h"
#include "progress.h"
#include "qmp.h"
#include "results.h"
#include "spawn.h"

#define QEMU_BIN "qemu-system-x86_64"
#define LAB_TAIL_LINES 20
#define LAB_LINE_MAX 1024
/* After the inner run said it is done, the lab host powers off by itself. */
#define LAB_POWEROFF_MS 30000
/* A panic report keeps printing for a moment after its first line. */
#define LAB_PANIC_GRACE_NS (2 * NSEC_PER_SEC)
#define TRACE_QUIET_NS (500 * NSEC_PER_MSEC)
/* Deaths of the lab host while no cell ran (between cells, while the inner
 * lockmap starts): beyond this many the remaining cells are errors. */
#define LAB_MAX_IDLE_DEATHS 2
/* vCPU RIP samples taken from a silent lab host before it is killed. */
#define LAB_HANG_SAMPLES 3

enum lab_end {
	LAB_END_INNER,		/* the inner run finished and the host powered off */
	LAB_END_PANIC,		/* GUEST_PANICKED or a console panic */
	LAB_END_HANG,		/* console and heartbeat silent past the limit */
	LAB_END_DIED,		/* QEMU exited without a word from the inner run */
	LAB_END_NOBOOT,		/* no heartbeat within the boot limit, or init failed */
	LAB_END_STOP,		/* a signal asked lockmap to stop */
};

static const char *const lab_end_names[] = {
	[LAB_END_INNER] = "inner_exit", [LAB_END_PANIC] = "panic",
	[LAB_END_HANG] = "host_hang", [LAB_END_DIED] = "died",
	[LAB_END_NOBOOT] = "no_boot", [LAB_END_STOP] = "interrupted",
};

struct lab {
	const struct lab_opts *o;
	struct labimage li;
	const char *accel;
	char accel_why[768];
	int boot_timeout_s, hang_timeout_s, cpus, mem_mb;
	struct profile *prof;
	struct grid grid;
	struct run run;
	bool have_run;
	char rundir[PATH_MAX];		/* absolute: the same path inside the lab */
	char bin[PATH_MAX];		/* this lockmap, run inside too */
	char *profile_copy;		/* the profile, inside the run directory */
	char *console_path, *hb_path, *qemu_log, *qmp_path, *inner_log;
	int con_fd, jr_fd;
	char con_line[LAB_LINE_MAX];
	size_t con_len;
	char *jr_buf;
	size_t jr_len, jr_cap;
	char tail[LAB_TAIL_LINES][256];	/* last console lines, for error texts */
	int ntail;
	struct progress pg;
	int64_t cell_ns;
};

/* State of one boot of the lab host. */
struct lab_boot {
	int n;
	pid_t pid;
	struct qmp *qmp;
	struct classifier *cl;
	int64_t t0, up_at, last_hb, last_con, panic_at, inner_at;
	off_t hb_size;
	bool up, inner_done, exited;
	bool died;			/* QEMU exited on its own (not stopped by us) */
	int inner_rc, status;
	char fatal[256];		/* init's "fatal:" line */
	char panic_how[300];
	char vm_status[32];		/* QEMU's query-status when the watch ended */
	json_t *hang_cpus;		/* host_hang: sampled vCPU RIPs, by cpu */
	char hang_where[400];		/* host_hang: "cpu0 at f+0x1, cpu1 at ..." */
	/* the cell the inner lockmap is running: the last cell_start without
	 * a cell_end */
	int cur;
	int64_t cur_t0;
	FILE *cur_con;
	json_t *cur_events;
	unsigned cur_nevents[EV__COUNT];
	enum outcome cur_worst;
};

/* QEMU splits option values on commas; a literal comma is doubled. */
static char *lab_opt_escape(const char *s)
{
	char *out = malloc(2 * strlen(s) + 1), *o = out;

	if (!out)
		abort();
	for (; *s; s++) {
		*o++ = *s;
		if (*s == ',')
			*o++ = ',';
	}
	*o = '\0';
	return out;
}

/* init.sh splits the kernel command line on blanks: paths handed over there
 * must not contain any, nor quotes or control characters. */
static bool lab_cmdline_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '"' || *s == '\'' || *s == '\\' ||
		    (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* Paths the lab host covers with its own tmpfs and kernel filesystems: a file
 * there is not visible inside. */
static bool lab_path_hidden(const char *p)
{
	static const char *const covered[] = { "/tmp/", "/run/", "/var/tmp/", "/dev/", "/proc/", "/sys/" };

	for (size_t i = 0; i < ARRAY_SIZE(covered); i++)
		if (!strncmp(p, covered[i], strlen(covered[i])))
			return true;
	return false;
}

static bool lab_nested_enabled(void)
{
	static const char *const params[] = {
		"/sys/module/kvm_intel/parameters/nested", "/sys/module/kvm_amd/parameters/nested",
	};
	char v[16];

	for (size_t i = 0; i < ARRAY_SIZE(params); i++)
		if (read_file_str(params[i], v, sizeof(v)) == 0 && (v[0] == 'Y' || v[0] == '1'))
			return true;
	return false;
}

/* KVM for the lab host only when it runs a guest here and offers nested
 * virtualization (the cells run guests inside); else TCG with -cpu max, whose
 * SVM with nested paging lets the lab host run its own KVM. */
static const char *lab_accel(const char *req, char *why, size_t len)
{
	const char *a;

	a = accel_choose(req ? req : "auto", why, len);
	if (!a || strcmp(a, "kvm") || lab_nested_enabled())
		return a;
	if (req && !strcmp(req, "kvm")) {
		snprintf(why, len, "KVM runs guests here but nested virtualization is off, and the lab host runs guests of its own; enable it (modprobe -r kvm_intel && modprobe kvm_intel nested=1, or kvm_amd) or use --accel tcg");
		return NULL;
	}
	snprintf(why, len, "KVM runs guests here but nested virtualization is off: the lab host runs under TCG (-cpu max: SVM with nested paging)");
	return "tcg";
}

/* Remember a console line for error texts. */
static void lab_tail_add(struct lab *L, const char *line)
{
	if (!line[0])
		return;
	if (L->ntail == LAB_TAIL_LINES) {
		memmove(L->tail[0], L->tail[1], sizeof(L->tail[0]) * (LAB_TAIL_LINES - 1));
		L->ntail--;
	}
	snprintf(L->tail[L->ntail++], sizeof(L->tail[0]), "%s", line);
}

/* The last n console lines joined by " | ". */
static void lab_tail_join(const struct lab *L, int n, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = L->ntail > n ? L->ntail - n : 0; i < L->ntail; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "%s%s", used ? " | " : "", L->tail[i]);
	}
}

static json_t *lab_tail_json(const struct lab *L)
{
	json_t *a = json_array();

	for (int i = 0; i < L->ntail; i++)
		json_array_append_new(a, json_string(L->tail[i]));
	return a;
}

static void lab_progress(struct lab *L, const char *phase, int64_t len)
{
	L->pg.phase = phase;
	L->pg.phase_start = now_ns();
	L->pg.phase_len = len;
	progress_draw(&L->pg, 1);
}

static size_t lab_cells_done(const struct lab *L)
{
	size_t n = 0;

	for (size_t i = 0; i < L->grid.ncells; i++)
		n += L->run.done[i];
	return n;
}

/* A cell's result is known: show it and count it. */
static void lab_cell_done(struct lab *L, size_t idx, const struct cell_result *res)
{
	L->run.res[idx] = *res;
	L->run.done[idx] = true;
	L->pg.counts[res->outcome]++;
	progress_clear(&L->pg);
	results_print_cell(&L->run, idx);
}

static void lab_cell_close(struct lab_boot *b)
{
	if (b->cur_con)
		fclose(b->cur_con);
	b->cur_con = NULL;
	json_decref(b->cur_events);
	b->cur_events = NULL;
	b->cur = -1;
}

/* A complete kernel event on the console: kept for the running cell, in case
 * the lab host dies in it (the inner kmsg monitor journals it otherwise). */
static void lab_on_event(const struct event *ev, void *arg)
{
	struct lab_boot *b = arg;

	if (ev->kind == EV_PANIC && !b->panic_at) {
		b->panic_at = now_ns();
		snprintf(b->panic_how, sizeof(b->panic_how), "console: %.250s", ev->line);
	}
	if (b->cur < 0) {
		lm_debug("lab: console event outside a cell: %s: %s",
			 event_kind_name(ev->kind), ev->line);
		return;
	}
	json_array_append_new(b->cur_events, event_to_json(ev));
	b->cur_nevents[ev->kind]++;
	b->cur_worst = outcome_worst(b->cur_worst, outcome_of_event(ev->kind));
}

static void lab_console_line(struct lab *L, struct lab_boot *b, char *line)
{
	const char *p;
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		line[--n] = '\0';
	b->last_con = now_ns();
	lab_tail_add(L, line);
	if (b->cur_con)
		fprintf(b->cur_con, "%s\n", line);
	lm_debug("lab console: %s", line);
	if ((p = strstr(line, "lockmap-lab: inner exit "))) {
		b->inner_done = true;
		b->inner_at = now_ns();
		b->inner_rc = atoi(p + strlen("lockmap-lab: inner exit "));
		return;
	}
	if ((p = strstr(line, "lockmap-lab: fatal: "))) {
		snprintf(b->fatal, sizeof(b->fatal), "%s", p + strlen("lockmap-lab: "));
		return;
	}
	if (strstr(line, "lockmap-lab: "))
		return;
	classifier_feed(b->cl, line);
}

/* Whatever QEMU appended to the console file since the last call. */
static void lab_read_console(struct lab *L, struct lab_boot *b)
{
	char buf[8192];
	ssize_t n;

	while ((n = read(L->con_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || L->con_len == sizeof(L->con_line) - 1) {
				L->con_line[L->con_len] = '\0';
				lab_console_line(L, b, L->con_line);
				L->con_len = 0;
				if (buf[i] == '\n')
					continue;
			}
			if (buf[i])
				L->con_line[L->con_len++] = buf[i];
		}
	}
	if (classifier_pending_age(b->cl, now_ns()) >= TRACE_QUIET_NS)
		classifier_flush(b->cl);
}

static void lab_on_cell_start(struct lab *L, struct lab_boot *b, size_t idx)
{
	char *dir = results_cell_dir(&L->run, &L->grid.cells[idx]), *path;

	lab_cell_close(b);
	b->cur = (int)idx;
	b->cur_t0 = now_ns();
	b->cur_events = json_array();
	memset(b->cur_nevents, 0, sizeof(b->cur_nevents));
	b->cur_worst = OUT_CLEAN;
	(void)mkdir_p(dir, 0755);
	path = xasprintf("%s/console.log", dir);
	b->cur_con = fopen(path, "ae");
	if (!b->cur_con)
		lm_warn("lab: cannot write %s: %s", path, strerror(errno));
	free(path);
	free(dir);
	L->pg.cell = idx + 1;
	lab_progress(L, "cell", L->cell_ns);
}

/* One journal record written by the inner lockmap (or by us, read back). */
static void lab_journal_record(struct lab *L, struct lab_boot *b, json_t *rec)
{
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *id = json_string_value(json_object_get(rec, "cell"));
	json_int_t idx = json_integer_value(json_object_get(rec, "index"));
	struct cell_result res;

	if (!type || !id || idx < 0 || (size_t)idx >= L->grid.ncells ||
	    strcmp(L->grid.cells[idx].id, id))
		return;
	if (!strcmp(type, "cell_start") && !L->run.done[idx]) {
		lab_on_cell_start(L, b, (size_t)idx);
	} else if (!strcmp(type, "cell_end")) {
		if (b->cur == (int)idx)
			lab_cell_close(b);
		if (!L->run.done[idx] && cell_result_from_json(rec, &res) == 0 &&
		    !res.interrupted)
			lab_cell_done(L, (size_t)idx, &res);
	}
}

/* New complete lines of journal.jsonl. */
static void lab_read_journal(struct lab *L, struct lab_boot *b)
{
	ssize_t n;
	char *nl;

	for (;;) {
		if (L->jr_cap - L->jr_len < 65536) {
			size_t ncap = L->jr_cap ? L->jr_cap * 2 : 131072;
			char *nb = realloc(L->jr_buf, ncap);

			if (!nb)
				return;
			L->jr_buf = nb;
			L->jr_cap = ncap;
		}
		n = read(L->jr_fd, L->jr_buf + L->jr_len, L->jr_cap - L->jr_len - 1);
		if (n <= 0)
			break;
		L->jr_len += (size_t)n;
	}
	while (L->jr_len && (nl = memchr(L->jr_buf, '\n', L->jr_len))) {
		size_t len = (size_t)(nl - L->jr_buf);
		json_t *rec = json_loadb(L->jr_buf, len, 0, NULL);

		if (json_is_object(rec))
			lab_journal_record(L, b, rec);
		json_decref(rec);
		memmove(L->jr_buf, nl + 1, L->jr_len - len - 1);
		L->jr_len -= len + 1;
	}
}

/* The heartbeat file grew since the last look: the lab host is alive. */
static void lab_read_heartbeat(struct lab *L, struct lab_boot *b)
{
	struct stat st;

	if (stat(L->hb_path, &st) < 0 || st.st_size <= b->hb_size)
		return;
	b->hb_size = st.st_size;
	b->last_hb = now_ns();
	if (!b->up) {
		b->up = true;
		b->up_at = b->last_hb;
		lm_info("lab: host up after %.1f s (boot %d)",
			(double)(b->up_at - b->t0) / NSEC_PER_SEC, b->n);
		lab_progress(L, "lab: inner lockmap starting", 0);
	}
}

static void lab_pump_qmp(struct lab_boot *b)
{
	json_t *ev;

	if (!b->qmp)
		return;
	(void)qmp_pump(b->qmp, 0);
	while ((ev = qmp_event_next(b->qmp))) {
		const char *name = json_string_value(json_object_get(ev, "event"));

		lm_debug("lab: QMP event %s", name ? name : "?");
		if (name && !strcmp(name, "GUEST_PANICKED") && !b->panic_at) {
			b->panic_at = now_ns();
			snprintf(b->panic_how, sizeof(b->panic_how),
				 "pvpanic: QEMU reported GUEST_PANICKED");
		}
		json_decref(ev);
	}
}

/* The lab host's QEMU command line. */
static void lab_build_argv(struct lab *L, struct spawn_argv *a)
{
	bool kvm = !strcmp(L->accel, "kvm");
	char *con = lab_opt_escape(L->console_path), *hb = lab_opt_escape(L->hb_path);
	char *run = lab_opt_escape(L->rundir), *qmp = lab_opt_escape(L->qmp_path);

	spawn_argv_add(a, QEMU_BIN);
	spawn_argv_add(a, "-name");
	spawn_argv_add(a, "lockmap-lab");
	spawn_argv_add(a, "-accel");
	spawn_argv_add(a, "%s", kvm ? "kvm" : "tcg");
	spawn_argv_add(a, "-cpu");
	spawn_argv_add(a, "%s", kvm ? "host" : "max");
	spawn_argv_add(a, "-smp");
	spawn_argv_add(a, "%d", L->cpus);
	spawn_argv_add(a, "-m");
	spawn_argv_add(a, "%d", L->mem_mb);
	spawn_argv_add(a, "-nodefaults");
	spawn_argv_add(a, "-no-user-config");
	spawn_argv_add(a, "-display");
	spawn_argv_add(a, "none");
	spawn_argv_add(a, "-no-reboot");
	/* Keep a panicked host as it is (its console is complete) until
	 * lockmap has read everything and quits QEMU. */
	spawn_argv_add(a, "-action");
	spawn_argv_add(a, "panic=pause");
	spawn_argv_add(a, "-kernel");
	spawn_argv_add(a, "%s", L->li.kernel);
	spawn_argv_add(a, "-initrd");
	spawn_argv_add(a, "%s", L->li.initramfs);
	/* loglevel=7: nmi_slow and the KVM timer clamp are KERN_INFO. */
	spawn_argv_add(a, "-append");
	spawn_argv_add(a, "console=ttyS0,115200 panic=-1 loglevel=7 nmi_watchdog=1 lockmap.run=%s lockmap.profile=%s lockmap.bin=%s%s%s",
		 L->rundir, L->profile_copy, L->bin, L->o->append ? " " : "",
		 L->o->append ? L->o->append : "");
	spawn_argv_add(a, "-chardev");
	spawn_argv_add(a, "file,id=con,path=%s,append=on", con);
	spawn_argv_add(a, "-serial");
	spawn_argv_add(a, "chardev:con");
	spawn_argv_add(a, "-device");
	spawn_argv_add(a, "virtio-serial-pci");
	spawn_argv_add(a, "-chardev");
	spawn_argv_add(a, "file,id=hb,path=%s,append=on", hb);
	spawn_argv_add(a, "-device");
	spawn_argv_add(a, "virtserialport,chardev=hb,name=lockmap.heartbeat");
	spawn_argv_add(a, "-device");
	spawn_argv_add(a, "pvpanic");
	spawn_argv_add(a, "-virtfs");
	spawn_argv_add(a, "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap");
	spawn_argv_add(a, "-virtfs");
	spawn_argv_add(a, "local,path=%s,mount_tag=results,security_model=none,multidevs=remap", run);
	spawn_argv_add(a, "-qmp");
	spawn_argv_add(a, "unix:%s,server=on,wait=off", qmp);
	free(con);
	free(hb);
	free(run);
	free(qmp);
}

static void lab_journal_boot(struct lab *L, struct lab_boot *b, const struct spawn_argv *a)
{
	json_t *rec = json_object(), *argv = json_array();

	for (int i = 0; i < a->n; i++)
		json_array_append_new(argv, json_string(a->v[i]));
	json_object_set_new(rec, "type", json_string("lab_boot"));
	json_object_set_new(rec, "boot", json_integer(b->n));
	json_object_set_new(rec, "kernel", json_string(L->li.kernel));
	json_object_set_new(rec, "kernel_release", json_string(L->li.version));
	json_object_set_new(rec, "accel", json_string(L->accel));
	json_object_set_new(rec, "argv", argv);
	(void)journal_append(L->run.journal, rec, true);
}

static void lab_journal_down(struct lab *L, struct lab_boot *b, enum lab_end end)
{
	json_t *rec = json_object();

	json_object_set_new(rec, "type", json_string("lab_down"));
	json_object_set_new(rec, "boot", json_integer(b->n));
	json_object_set_new(rec, "end", json_string(lab_end_names[end]));
	json_object_set_new(rec, "boot_seconds", b->up ?
			    json_real((double)(b->up_at - b->t0) / NSEC_PER_SEC) : json_null());
	json_object_set_new(rec, "seconds", json_real((double)(now_ns() - b->t0) / NSEC_PER_SEC));
	if (b->inner_done)
		json_object_set_new(rec, "inner_exit", json_integer(b->inner_rc));
	if (b->panic_how[0])
		json_object_set_new(rec, "panic", json_string(b->panic_how));
	if (b->fatal[0])
		json_object_set_new(rec, "init", json_string(b->fatal));
	if (b->vm_status[0])
		json_object_set_new(rec, "qemu_status", json_string(b->vm_status));
	if (b->hang_cpus)
		json_object_set_new(rec, "hang_cpus", json_incref(b->hang_cpus));
	(void)journal_append(L->run.journal, rec, true);
}

/* quit over QMP, then SIGTERM and SIGKILL; QEMU is always reaped. */
static void lab_qemu_stop(struct lab_boot *b)
{
	if (b->pid > 0 && !b->exited) {
		if (b->qmp)
			(void)qmp_cmd(b->qmp, "quit", NULL, NULL, 500);
		b->status = spawn_stop(b->pid, 3000);
		b->exited = true;
	}
	b->pid = 0;
	qmp_close(b->qmp);
	b->qmp = NULL;
}

/* Watch one boot until the lab host is done, dead or silent. */
static enum lab_end lab_watch(struct lab *L, struct lab_boot *b)
{
	int64_t boot_ns = (int64_t)L->boot_timeout_s * NSEC_PER_SEC;
	int64_t hang_ns = (int64_t)L->hang_timeout_s * NSEC_PER_SEC;

	for (;;) {
		struct pollfd pfd = { .fd = sig_fd(), .events = POLLIN };
		int64_t now, quiet;

		if (lm_stop_requested)
			return LAB_END_STOP;
		lab_read_console(L, b);
		lab_read_heartbeat(L, b);
		lab_read_journal(L, b);
		lab_pump_qmp(b);
		if (spawn_poll(b->pid, &b->status) != 0) {
			b->exited = true;
			b->died = true;
			b->pid = 0;
			lab_read_console(L, b);
			lab_read_journal(L, b);
			if (b->inner_done)
				return LAB_END_INNER;
			if (b->panic_at)
				return LAB_END_PANIC;
			if (!b->up || b->fatal[0])
				return LAB_END_NOBOOT;
			return LAB_END_DIED;
		}
		now = now_ns();
		if (b->panic_at && now - b->panic_at >= LAB_PANIC_GRACE_NS)
			return LAB_END_PANIC;
		if (b->inner_done && now - b->inner_at >= LAB_POWEROFF_MS * NSEC_PER_MSEC) {
			lm_warn("lab: the host did not power off %d s after the inner run ended; stopping it",
				LAB_POWEROFF_MS / 1000);
			return LAB_END_INNER;
		}
		if (!b->up && now - b->t0 >= boot_ns)
			return LAB_END_NOBOOT;
		quiet = now - (b->last_hb > b->last_con ? b->last_hb : b->last_con);
		if (b->up && !b->inner_done && quiet >= hang_ns)
			return LAB_END_HANG;
		progress_draw(&L->pg, 0);
		(void)poll(&pfd, 1, 100);
	}
}

/* Where the cpus of a silent lab host are: a few samples of every vCPU's RIP
 * (QMP human-monitor-command "info registers -a"), named from the lab's
 * /proc/kallsyms, which the inner run copied to lab-kallsyms (modules included;
 * a System.map would miss them, and Debian's is a stub). A cpu spinning in
 * hard-irq shows apic_timer_fn or hrtimer_interrupt; an idle one is halted. */
static json_t *lab_hang_where(const struct lab *L, struct lab_boot *b, char *brief, size_t len)
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

/* The lab host died in cell cur: its cell_end is ours to write, with what the
 * console showed (the inner lockmap never got to write one). */
static void lab_end_cell(struct lab *L, struct lab_boot *b, enum outcome o, const char *why)
{
	size_t idx = (size_t)b->cur;
	const struct cell *c = &L->grid.cells[idx];
	json_t *rec = json_object(), *ev = json_object();
	struct cell_result res = { 0 };

	classifier_flush(b->cl);
	res.outcome = outcome_worst(o, b->cur_worst);
	memcpy(res.nevents, b->cur_nevents, sizeof(b->cur_nevents));
	res.seconds = (now_ns() - b->cur_t0) / NSEC_PER_SEC;
	snprintf(res.error, sizeof(res.error), "%s", why);
	for (int k = 0; k < EV__COUNT; k++)
		json_object_set_new(ev, event_kind_name((enum event_kind)k),
				    json_integer(res.nevents[k]));
	json_object_set_new(rec, "type", json_string("cell_end"));
	json_object_set_new(rec, "cell", json_string(c->id));
	json_object_set_new(rec, "index", json_integer((json_int_t)idx));
	json_object_set_new(rec, "rep", json_integer(c->rep));
	json_object_set_new(rec, "outcome", json_string(outcome_name(res.outcome)));
	json_object_set_new(rec, "error", json_string(res.error));
	json_object_set_new(rec, "interrupted", json_false());
	json_object_set_new(rec, "seconds", json_integer(res.seconds));
	json_object_set_new(rec, "events", ev);
	json_object_set_new(rec, "summary", cell_result_to_json(&res));
	json_object_set_new(rec, "source", json_string("lab"));
	json_object_set_new(rec, "boot", json_integer(b->n));
	json_object_set_new(rec, "console_events", json_incref(b->cur_events));
	json_object_set_new(rec, "console_tail", lab_tail_json(L));
	if (b->hang_cpus)
		json_object_set_new(rec, "hang_cpus", json_incref(b->hang_cpus));
	(void)journal_append(L->run.journal, rec, true);
	lab_cell_close(b);
	lab_cell_done(L, idx, &res);
}

/* Every cell without a result becomes an error with why (the lab host could
 * not run them). */
static void lab_error_rest(struct lab *L, const char *why)
{
	for (size_t i = 0; i < L->grid.ncells; i++) {
		const struct cell *c = &L->grid.cells[i];
		struct cell_result res = { .outcome = OUT_ERROR };
		json_t *rec;

		if (L->run.done[i])
			continue;
		snprintf(res.error, sizeof(res.error), "%s", why);
		rec = json_pack("{s:s, s:s, s:I, s:i, s:s, s:s, s:b, s:i, s:o, s:s, s:o}",
				"type", "cell_end", "cell", c->id, "index", (json_int_t)i,
				"rep", c->rep, "outcome", "error", "error", res.error,
				"interrupted", 0, "seconds", 0, "summary",
				cell_result_to_json(&res), "source", "lab",
				"console_tail", lab_tail_json(L));
		(void)journal_append(L->run.journal, rec, true);
		lab_cell_done(L, i, &res);
	}
}

/* One boot of the lab host, from spawn to teardown. */
static enum lab_end lab_boot_once(struct lab *L, struct lab_boot *b)
{
	struct spawn_opts so = { .stdout_path = L->qemu_log, .stdout_fd = -1, .new_pgrp = true };
	struct spawn_argv a = { 0 };
	enum lab_end end;
	struct stat st;
	int rc;

	b->cur = -1;
	b->cl = classifier_new(lab_on_event, b);
	if (!b->cl)
		return LAB_END_NOBOOT;
	b->hb_size = stat(L->hb_path, &st) == 0 ? st.st_size : 0;
	(void)unlink(L->qmp_path);
	lab_build_argv(L, &a);
	lab_journal_boot(L, b, &a);
	lm_info("lab: booting %s (%s) under %s, boot %d", L->li.kernel, L->li.version,
		L->accel, b->n);
	b->t0 = now_ns();
	lab_progress(L, "lab boot", (int64_t)L->boot_timeout_s * NSEC_PER_SEC);
	rc = spawn_start(a.v, &so, &b->pid);
	spawn_argv_free(&a);
	if (rc) {
		snprintf(b->fatal, sizeof(b->fatal), "cannot start %s: %s", QEMU_BIN, strerror(-rc));
		b->exited = true;
		end = LAB_END_NOBOOT;
		goto out;
	}
	rc = qmp_connect(L->qmp_path, 10000, &b->qmp);
	if (rc)
		lm_warn("lab: no QMP session with the lab's QEMU (%s): panics are seen on the console only",
			strerror(-rc));
	end = lab_watch(L, b);
	/* What QEMU thinks of its guest: a panic whose event was missed (QMP
	 * not yet connected) still shows as guest-panicked. */
	if (b->qmp && !b->exited) {
		json_t *st = NULL;

		if (qmp_cmd(b->qmp, "query-status", NULL, &st, 1000) == 0)
			snprintf(b->vm_status, sizeof(b->vm_status), "%s",
				 json_string_value(json_object_get(st, "status")) ?: "");
		json_decref(st);
		if (!strcmp(b->vm_status, "guest-panicked") && end != LAB_END_PANIC &&
		    end != LAB_END_STOP) {
			end = LAB_END_PANIC;
			snprintf(b->panic_how, sizeof(b->panic_how),
				 "pvpanic: QEMU status guest-panicked");
		}
		if (end == LAB_END_HANG)
			b->hang_cpus = lab_hang_where(L, b, b->hang_where, sizeof(b->hang_where));
	}
	/* A kernel that dies before its first heartbeat did not boot, whatever
	 * killed it: its cells are errors, not panics of a cell. */
	if (!b->up && (end == LAB_END_PANIC || end == LAB_END_DIED))
		end = LAB_END_NOBOOT;
out:
	lab_qemu_stop(b);
	/* The last words of the host, and the inner run's last records. */
	lab_read_console(L, b);
	lab_read_journal(L, b);
	classifier_flush(b->cl);
	return end;
}

static void lab_boot_free(struct lab_boot *b)
{
	lab_cell_close(b);
	classifier_free(b->cl);
	b->cl = NULL;
	json_decref(b->hang_cpus);
	b->hang_cpus = NULL;
}

/* Why this boot failed, for the error text of the cells it leaves. */
static void lab_noboot_reason(struct lab *L, struct lab_boot *b, char *buf, size_t len)
{
	char tail[200], qlog[200];

	lab_tail_join(L, 2, tail, sizeof(tail));
	qemu_log_tail(L->qemu_log, qlog, sizeof(qlog));
	if (b->fatal[0])
		snprintf(buf, len, "lab host init: %.110s; console: %.110s", b->fatal, tail);
	else if (b->panic_how[0])
		snprintf(buf, len, "lab host did not boot: it panicked (%.60s); console: %.140s",
			 b->panic_how, tail);
	else if (b->died)
		snprintf(buf, len, "lab host did not boot (QEMU exited%s%.100s); console: %.100s",
			 qlog[0] ? ": " : "", qlog, tail[0] ? tail : "(empty)");
	else
		snprintf(buf, len, "lab host did not boot within %d s; console: %.180s",
			 L->boot_timeout_s, tail[0] ? tail : "(empty)");
}

/* Boot the lab host until every cell has a result, rebooting after a cell
 * killed it. Returns the exit code. */
static int lab_cells(struct lab *L)
{
	int idle_deaths = 0, boots = 0, exit_code = EXIT_CLEAN;
	/* Each death costs the running cell its turn, so there are at most
	 * ncells reboots of that kind; deaths outside a cell are bounded too. */
	int max_boots = (int)L->grid.ncells + LAB_MAX_IDLE_DEATHS + 1;

	while (lab_cells_done(L) < L->grid.ncells && boots < max_boots) {
		struct lab_boot b = { .n = ++boots, .cur = -1 };
		enum lab_end end = lab_boot_once(L, &b);
		char why[256], tail[160];

		lab_journal_down(L, &b, end);
		lab_tail_join(L, 1, tail, sizeof(tail));
		switch (end) {
		case LAB_END_STOP:
			lab_boot_free(&b);
			return exit_code;
		case LAB_END_INNER:
			if (b.inner_rc != EXIT_CLEAN && b.inner_rc != EXIT_FAILED) {
				char itail[512];

				qemu_log_tail(L->inner_log, itail, sizeof(itail));
				progress_clear(&L->pg);
				lm_err("lab: the lockmap inside the lab host exited %d: %s (see %s)",
				       b.inner_rc, itail, L->inner_log);
				lab_boot_free(&b);
				return b.inner_rc;
			}
			break;
		case LAB_END_NOBOOT:
			lab_noboot_reason(L, &b, why, sizeof(why));
			progress_clear(&L->pg);
			lm_err("lab: %s (console: %s)", why, L->console_path);
			lab_error_rest(L, why);
			break;
		case LAB_END_PANIC:
		case LAB_END_HANG:
		case LAB_END_DIED:
			if (end == LAB_END_PANIC)
				snprintf(why, sizeof(why), "lab host panicked (%.200s)", b.panic_how);
			else if (end == LAB_END_HANG)
				snprintf(why, sizeof(why), "lab host silent for %d s (console and heartbeat)%s%s; last console line: %s",
					 L->hang_timeout_s, b.hang_where[0] ? "; " : "", b.hang_where, tail);
			else
				snprintf(why, sizeof(why), "lab host went away (QEMU exited, status %d) without a panic report; last console line: %s",
					 WIFEXITED(b.status) ? WEXITSTATUS(b.status) : 128 + WTERMSIG(b.status),
					 tail);
			progress_clear(&L->pg);
			lm_warn("lab: %s", why);
			if (b.cur >= 0) {
				lab_end_cell(L, &b, end == LAB_END_PANIC ? OUT_PANIC : OUT_HOST_HANG, why);
			} else if (++idle_deaths > LAB_MAX_IDLE_DEATHS) {
				lab_error_rest(L, why);
			}
			break;
		}
		lab_boot_free(&b);
	}
	if (lab_cells_done(L) < L->grid.ncells)
		lab_error_rest(L, "the lab host was rebooted too often; see lab-console.log");
	return exit_code;
}

/* The profile goes into the run directory: the lab host sees the machine's
 * /tmp as its own tmpfs, and a profile made there would be invisible. The
 * base name stays, so [run] name defaults the same way inside. */
static int lab_copy_profile(struct lab *L)
{
	const char *base = strrchr(L->prof->path, '/');
	char *dir = xasprintf("%s/lab-profile", L->rundir);
	int rc = mkdir_p(dir, 0755);

	L->profile_copy = xasprintf("%s/%s", dir, base ? base + 1 : L->prof->path);
	free(dir);
	if (!rc)
		rc = labimage_write_file(L->profile_copy, L->prof->text ? L->prof->text : "");
	return rc;
}

/* Absolute paths the lab host needs, and the files lockmap reads. */
static int lab_paths(struct lab *L)
{
	ssize_t n = readlink("/proc/self/exe", L->bin, sizeof(L->bin) - 1);
	char *p;
	int rc;

	if (n < 0)
		return -errno;
	L->bin[n] = '\0';
	if (!realpath(L->run.dir, L->rundir))
		return -errno;
	if (lab_path_hidden(L->bin) || strstr(L->bin, " (deleted)")) {
		lm_err("lab: this lockmap (%s) would not be visible inside the lab host: run one installed outside /tmp, /run and /var/tmp",
		       L->bin);
		return -ENOENT;
	}
	rc = lab_copy_profile(L);
	if (rc)
		return rc;
	if (!lab_cmdline_safe(L->rundir) || !lab_cmdline_safe(L->profile_copy) ||
	    !lab_cmdline_safe(L->bin)) {
		lm_err("lab: paths passed to the lab host must not contain blanks, quotes or backslashes: %s, %s, %s",
		       L->rundir, L->profile_copy, L->bin);
		return -EINVAL;
	}
	L->console_path = xasprintf("%s/lab-console.log", L->rundir);
	L->hb_path = xasprintf("%s/lab-heartbeat.log", L->rundir);
	L->qemu_log = xasprintf("%s/lab-qemu.log", L->rundir);
	L->inner_log = xasprintf("%s/lab-inner.log", L->rundir);
	p = xasprintf("%s/lab-qmp.sock", L->rundir);
	if (strlen(p) >= 100) {
		free(p);
		p = xasprintf("/tmp/lockmap-lab-%d.sock", (int)getpid());
	}
	L->qmp_path = p;
	/* QEMU appends to these; lockmap reads from where it stopped. */
	if (labimage_write_file(L->console_path, "") < 0 || labimage_write_file(L->hb_path, "") < 0)
		return -EIO;
	L->con_fd = open(L->console_path, O_RDONLY | O_CLOEXEC);
	p = xasprintf("%s/journal.jsonl", L->rundir);
	L->jr_fd = open(p, O_RDONLY | O_CLOEXEC);
	free(p);
	return L->con_fd < 0 || L->jr_fd < 0 ? -errno : 0;
}

/* run.json's record of the lab host: what boots and how. */
static json_t *lab_facts(const struct lab *L)
{
	return json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i}}",
			 "target", "lab", "lab",
			 "kernel", L->li.kernel, "kernel_release", L->li.version,
			 "module", L->li.module, "initramfs", L->li.initramfs,
			 "accel", L->accel, "accel_reason", L->accel_why,
			 "cpus", L->cpus, "memory_mb", L->mem_mb,
			 "boot_timeout_s", L->boot_timeout_s, "hang_timeout_s", L->hang_timeout_s);
}

static void lab_free(struct lab *L)
{
	if (L->have_run)
		results_close(&L->run);
	if (L->qmp_path)
		(void)unlink(L->qmp_path);
	if (L->con_fd > 0)
		close(L->con_fd);
	if (L->jr_fd > 0)
		close(L->jr_fd);
	free(L->console_path);
	free(L->hb_path);
	free(L->qemu_log);
	free(L->inner_log);
	free(L->qmp_path);
	free(L->profile_copy);
	free(L->jr_buf);
	grid_free(&L->grid);
	profile_free(L->prof);
}

int lab_run(const char *kernel, const char *profile_path, const char *results_base,
	    const struct lab_opts *opts)
{
	static const struct lab_opts defaults = { 0 };
	struct lab L = { .o = opts ? opts : &defaults, .con_fd = -1, .jr_fd = -1 };
	char err[1024], qemu[PATH_MAX];
	int rc, exit_code;

	if (profile_load(profile_path, &L.prof, err, sizeof(err)) < 0) {
		fprintf(stderr, "lockmap: %s\n", err);
		return EXIT_USAGE;
	}
	rc = grid_build(L.prof, &L.grid);
	if (rc) {
		lm_err("%s: cannot build the grid: %s", L.prof->path, strerror(-rc));
		exit_code = EXIT_USAGE;
		goto out;
	}
	if (!spawn_which(QEMU_BIN, qemu, sizeof(qemu))) {
		lm_err("lab: %s not found; install it: apt-get install qemu-system-x86", QEMU_BIN);
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	rc = labimage_prepare(kernel, &L.li, err, sizeof(err));
	if (rc) {
		lm_err("lab: %s", err);
		exit_code = rc == -EINVAL ? EXIT_USAGE : EXIT_NOTREADY;
		goto out;
	}
	L.accel = lab_accel(L.o->accel, L.accel_why, sizeof(L.accel_why));
	if (!L.accel) {
		lm_err("lab: %s", L.accel_why);
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	lm_info("lab: %s", L.accel_why);
	L.cpus = L.o->cpus > 0 ? L.o->cpus : 2;
	L.mem_mb = L.o->mem_mb > 0 ? L.o->mem_mb : 2048;
	/* Command line first, then the profile's [run], then the defaults. */
	L.hang_timeout_s = L.o->hang_timeout_s > 0 ? L.o->hang_timeout_s :
			   (int)(profile_key(L.prof, "run", "hang_timeout")->vals[0].num / NSEC_PER_SEC);
	L.boot_timeout_s = L.o->boot_timeout_s > 0 ? L.o->boot_timeout_s :
			   (int)(profile_key(L.prof, "run", "boot_timeout")->vals[0].num / NSEC_PER_SEC);
	if (L.boot_timeout_s <= 0)
		L.boot_timeout_s = !strcmp(L.accel, "kvm") ? LAB_BOOT_TIMEOUT_KVM
							   : LAB_BOOT_TIMEOUT_TCG;
	if (sig_install() < 0) {
		lm_err("cannot install signal handlers");
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	{
		json_t *extra = lab_facts(&L);

		rc = results_create(results_base ? results_base : "results", L.prof, &L.grid,
				    extra, &L.run);
		json_decref(extra);
	}
	if (rc) {
		lm_err("cannot create the run directory under %s: %s",
		       results_base ? results_base : "results", strerror(-rc));
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	L.have_run = true;
	rc = lab_paths(&L);
	if (rc) {
		lm_err("lab: cannot prepare %s for the lab host: %s", L.run.dir, strerror(-rc));
		exit_code = EXIT_NOTREADY;
		goto out;
	}
	lm_info("run %s: %zu cells in a lab host, results in %s", L.run.id, L.grid.ncells,
		L.run.dir);
	L.pg.ncells = L.grid.ncells;
	L.pg.run_start = now_ns();
	L.cell_ns = cell_num(&L.grid.cells[0], "run", "cell_seconds") +
		    cell_num(&L.grid.cells[0], "run", "warmup") +
		    cell_num(&L.grid.cells[0], "run", "cooldown");
	L.pg.cell_ns = L.cell_ns;
	L.pg.cell = 1;

	exit_code = lab_cells(&L);
	progress_clear(&L.pg);
	/* The journal is the truth: the inner run's records and ours. */
	if (results_load_journal(&L.run) < 0)
		lm_warn("lab: cannot read back %s/journal.jsonl", L.run.dir);
	if (results_write_tables(&L.run) < 0)
		lm_warn("cannot write cells.csv/junit.xml in %s", L.run.dir);
	results_print_summary(&L.run);
	if (lm_stop_requested)
		lm_info("interrupted by signal %d", lm_stop_requested);
	if (exit_code == EXIT_CLEAN && results_failed(&L.run))
		exit_code = EXIT_FAILED;
out:
	lab_free(&L);
	return exit_code;
}
