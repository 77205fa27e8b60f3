// SPDX-License-Identifier: GPL-2.0
/* The lab target from outside: boot the lab host under QEMU, follow its serial
 * console, heartbeat, QMP events and the journal the inner lockmap writes, and
 * decide panic and host_hang for the cell that was running when the lab host
 * died; then boot it again to go on with the next cell. The inner run skips
 * every cell that has a cell_end, so the journal is the only hand-over.
 * This file: the run, the paths it hands over, and the boot loop and its
 * policy; the concerns of one boot live in lab_*.c (lab_int.h). */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel.h"
#include "lab_int.h"
#include "lockmap.h"
#include "report_html.h"
#include "precheck.h"
#include "profile.h"
#include "runfiles.h"
#include "runlock.h"
#include "search_plan.h"
#include "search_run.h"
#include "spawn.h"

/* Deaths of the lab host while no cell ran (between cells, while the inner
 * lockmap starts): beyond this many the remaining cells are errors. */
#define LAB_MAX_IDLE_DEATHS 2

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

/* The status line shows a new phase, of len ns (0: open-ended). */
void lab_progress(struct lab *L, const char *phase, int64_t len)
{
	L->pg.phase = phase;
	L->pg.phase_start = now_ns();
	L->pg.phase_len = len;
	progress_draw(&L->pg, 1);
}

/* One boot of the lab host, from spawn to teardown. */
static enum lab_end lab_boot_once(struct lab *L, struct lab_boot *b)
{
	enum lab_end end;
	struct stat st;

	b->cur = -1;
	b->cl = classifier_new(lab_console_on_event, b);
	if (!b->cl)
		return LAB_END_NOBOOT;
	b->hb_size = stat(L->hb_path, &st) == 0 ? st.st_size : 0;
	if (lab_qemu_start(L, b)) {
		end = LAB_END_NOBOOT;
		goto out;
	}
	end = lab_watch(L, b);
	if (b->qmp && !b->exited) {
		end = lab_watch_status(b, end);
		if (end == LAB_END_HANG || end == LAB_END_OVERDUE)
			b->hang_cpus = lab_hang_sample(L, b, b->hang_where, sizeof(b->hang_where));
	}
	/* A kernel that dies before its first heartbeat did not boot, whatever
	 * killed it: its cells are errors, not panics of a cell. */
	if (!b->up && (end == LAB_END_PANIC || end == LAB_END_DIED))
		end = LAB_END_NOBOOT;
out:
	lab_qemu_stop(b);
	/* The last words of the host, and the inner run's last records. */
	lab_console_read(L, b);
	lab_journal_read(L, b);
	classifier_flush(b->cl);
	return end;
}

/* What one boot holds, let go of after its lab_down. */
static void lab_boot_free(struct lab_boot *b)
{
	lab_journal_cell_close(b);
	classifier_free(b->cl);
	b->cl = NULL;
	json_decref(b->hang_cpus);
	b->hang_cpus = NULL;
}

/* Why this boot failed, for the error text of the cells it leaves. */
static void lab_noboot_reason(const struct lab *L, const struct lab_boot *b, char *buf, size_t len)
{
	char tail[200], qlog[200];

	lab_console_tail_join(L, 2, tail, sizeof(tail));
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

	/* With a [search] the cells wanted are those its probes ask for. */
	while (results_wanted(&L->run, NULL, 0) && boots < max_boots) {
		struct lab_boot b = { .n = ++boots, .cur = -1 };
		enum lab_end end = lab_boot_once(L, &b);
		/* Room for every part of a reason (the hang samples, the console
		 * line): a cell_end keeps the first 255 bytes as its error. */
		char why[704], tail[160];

		lab_journal_down(L, &b, end);
		lab_console_tail_join(L, 1, tail, sizeof(tail));
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
			lab_journal_error_rest(L, why);
			break;
		case LAB_END_PANIC:
		case LAB_END_HANG:
		case LAB_END_OVERDUE:
		case LAB_END_DIED:
			if (end == LAB_END_PANIC)
				snprintf(why, sizeof(why), "lab host panicked (%.200s)", b.panic_how);
			else if (end == LAB_END_HANG || end == LAB_END_OVERDUE)
				snprintf(why, sizeof(why), "%.70s%s%s; last console line: %s", b.end_why,
					 b.hang_where[0] ? "; " : "", b.hang_where, tail);
			else
				snprintf(why, sizeof(why), "lab host went away (QEMU exited, status %d) without a panic report; last console line: %s",
					 WIFEXITED(b.status) ? WEXITSTATUS(b.status) : 128 + WTERMSIG(b.status),
					 tail);
			progress_clear(&L->pg);
			lm_warn("lab: %s", why);
			/* --pstore: as on a real host, the run that resumes inside
			 * decides the cell from what survived (resume_crash.h); from
			 * the console only when the host dies in it again. An overdue
			 * cell did not die: lockmap reboots the host, and the
			 * console is what there is. */
			if (b.cur >= 0 && L->o->pstore && L->left_cell != b.cur &&
			    end != LAB_END_OVERDUE) {
				L->left_cell = b.cur;
				lab_journal_cell_left(L, &b, why);
			} else if (b.cur >= 0) {
				lab_journal_cell_died(L, &b, end != LAB_END_PANIC ? OUT_HOST_HANG :
						      b.panic_outcome ? b.panic_outcome : OUT_PANIC, why);
			} else if (++idle_deaths > LAB_MAX_IDLE_DEATHS) {
				lab_journal_error_rest(L, why);
			}
			break;
		}
		lab_boot_free(&b);
	}
	if (results_wanted(&L->run, NULL, 0))
		lab_journal_error_rest(L, "the lab host was rebooted too often; see lab-console.log");
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
	char *p;
	int rc;

	if (!realpath(L->run.dir, L->rundir))
		return -errno;
	rc = lab_copy_profile(L);
	if (rc)
		return rc;
	if (!lab_cmdline_safe(L->rundir) || !lab_cmdline_safe(L->profile_copy)) {
		lm_err("lab: paths passed to the lab host must not contain blanks, quotes or backslashes: %s, %s",
		       L->rundir, L->profile_copy);
		return -EINVAL;
	}
	L->console_path = xasprintf("%s/lab-console.log", L->rundir);
	L->hb_path = xasprintf("%s/lab-heartbeat.log", L->rundir);
	L->qemu_log = xasprintf("%s/lab-qemu.log", L->rundir);
	L->inner_log = xasprintf("%s/lab-inner.log", L->rundir);
	if (L->o->pstore) {
		L->ram_fd = runfiles_ram_open(RUNFILES_RAM_DIR, L->run.id, &L->ram_path);
		if (L->ram_fd < 0)
			return L->ram_fd;
	}
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
	return json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i}}",
			 "target", "lab", "lab",
			 "kernel", L->li.kernel, "kernel_release", L->li.version,
			 "module", L->li.module, "initramfs", L->li.initramfs,
			 "accel", L->accel, "accel_reason", L->accel_why,
			 "cpus", L->cpus, "memory_mb", L->mem_mb,
			 "boot_timeout_s", L->boot_timeout_s, "hang_timeout_s", L->hang_timeout_s,
			 "end_timeout_s", L->end_timeout_s);
}

static void lab_free(struct lab *L)
{
	if (L->have_run)
		results_close(&L->run);
	if (L->qmp_path)
		(void)unlink(L->qmp_path);
	/* Two gigabytes of RAM held in /dev/shm until removed; removed before
	 * its flock goes, so that no sweep takes it for a killed lab's. */
	if (L->ram_path)
		(void)unlink(L->ram_path);
	if (L->ram_fd >= 0)
		close(L->ram_fd);
	free(L->ram_path);
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

/* The grid, the profile's checks and the cpus it names against the lab
 * host's, before anything is locked, built or booted (-n too); the inner run
 * checks the rest inside. Returns 0 or the exit code. */
static int lab_check(struct lab *L)
{
	struct host_facts hf;
	int rc = grid_build(L->prof, &L->grid);

	if (rc) {
		lm_err("%s: cannot build the grid: %s", L->prof->path, strerror(-rc));
		return EXIT_USAGE;
	}
	L->cpus = L->o->cpus > 0 ? L->o->cpus : 2;
	L->mem_mb = L->o->mem_mb > 0 ? L->o->mem_mb : 2048;
	host_facts_lab(&hf, L->cpus);
	return precheck_all(&L->grid, &hf);
}

/* The RAM files of --pstore labs whose lockmap was killed (runfiles.h): two
 * gigabytes each in /dev/shm, and no later lab reads them (each lab makes a
 * run of its own, and its RAM file is named for it). Any lab removes them. */
static void lab_sweep_ram(void)
{
	char names[1024];
	int n = runfiles_ram_sweep(RUNFILES_RAM_DIR, names, sizeof(names));

	if (names[0])
		lm_info("lab: removed %s: the RAM of a --pstore lab whose lockmap was killed",
			names);
	if (n < 0)
		lm_warn("lab: cannot remove a killed lab's %s/lockmap-lab-*.ram: %s; remove it by hand",
			RUNFILES_RAM_DIR, strerror(-n));
}

/* Everything else lab_run needs before it can make the run directory: QEMU,
 * the kernel image, the accelerator, the limits, the signal handlers. Returns
 * 0 or the exit code. */
static int lab_prepare(struct lab *L, const char *kernel)
{
	char err[1024], qemu[PATH_MAX];
	int rc;

	lab_sweep_ram();
	if (!spawn_which(QEMU_BIN, qemu, sizeof(qemu))) {
		lm_err("lab: %s not found; install it: apt-get install qemu-system-x86", QEMU_BIN);
		return EXIT_NOTREADY;
	}
	rc = labimage_prepare(kernel, &L->li, err, sizeof(err));
	if (rc) {
		lm_err("lab: %s", err);
		return rc == -EINVAL ? EXIT_USAGE : EXIT_NOTREADY;
	}
	L->accel = lab_qemu_accel(L->o->accel, L->accel_why, sizeof(L->accel_why));
	if (!L->accel) {
		lm_err("lab: %s", L->accel_why);
		return EXIT_NOTREADY;
	}
	lm_info("lab: %s", L->accel_why);
	/* Command line first, then the profile's [run], then the defaults. */
	L->hang_timeout_s = L->o->hang_timeout_s > 0 ? L->o->hang_timeout_s :
			    (int)(profile_key(L->prof, "run", "hang_timeout")->vals[0].num / NSEC_PER_SEC);
	L->end_timeout_s = L->o->end_timeout_s > 0 ? L->o->end_timeout_s : LAB_END_TIMEOUT;
	L->boot_timeout_s = L->o->boot_timeout_s > 0 ? L->o->boot_timeout_s :
			    (int)(profile_key(L->prof, "run", "boot_timeout")->vals[0].num / NSEC_PER_SEC);
	if (L->boot_timeout_s <= 0)
		L->boot_timeout_s = !strcmp(L->accel, "kvm") ? LAB_BOOT_TIMEOUT_KVM
							     : LAB_BOOT_TIMEOUT_TCG;
	if (sig_install() < 0) {
		lm_err("cannot install signal handlers");
		return EXIT_NOTREADY;
	}
	/* Not in the run directory: a socket path is short, and the runtime
	 * files of a killed lab are found and removed by `lockmap check`. */
	L->qmp_path = runfiles_qmp_path("lab", err, sizeof(err));
	if (!L->qmp_path) {
		lm_err("lab: %s", err);
		return EXIT_NOTREADY;
	}
	return 0;
}

/* The run directory under base, and what the lab host finds there. Returns 0
 * or the exit code. */
static int lab_open_run(struct lab *L, const char *base)
{
	json_t *extra = lab_facts(L);
	int rc = results_create(base, L->prof, &L->grid, extra, &L->run);

	json_decref(extra);
	if (rc) {
		lm_err("cannot create the run directory under %s: %s", base, strerror(-rc));
		return EXIT_NOTREADY;
	}
	L->have_run = true;
	rc = lab_paths(L);
	if (rc) {
		lm_err("lab: cannot prepare %s for the lab host: %s", L->run.dir, strerror(-rc));
		return EXIT_NOTREADY;
	}
	lm_info("run %s: %zu cells in a lab host, results in %s", L->run.id, L->grid.ncells,
		L->run.dir);
	L->pg.ncells = L->run.search ? search_plan_max_cells(L->run.search) : L->grid.ncells;
	L->pg.run_start = now_ns();
	L->cell_ns = cell_num(&L->grid.cells[0], "run", "cell_seconds") +
		     cell_num(&L->grid.cells[0], "run", "warmup") +
		     cell_num(&L->grid.cells[0], "run", "cooldown");
	L->pg.cell_ns = L->cell_ns;
	L->pg.cell = 1;
	return 0;
}

/* The cells are over: tables and summary from the journal. Returns the exit
 * code. */
static int lab_finish(struct lab *L, int exit_code)
{
	progress_clear(&L->pg);
	/* The journal is the truth: the inner run's records and ours. */
	if (results_load_journal(&L->run) < 0)
		lm_warn("lab: cannot read back %s/journal.jsonl", L->run.dir);
	/* A cell that killed the lab host ended the search with no inner run
	 * left to say so. */
	if (search_journal_sync(&L->run) < 0)
		lm_warn("lab: cannot journal the search's records in %s", L->run.dir);
	if (results_write_tables(&L->run) < 0)
		lm_warn("cannot write cells.csv/rates.csv/junit.xml in %s", L->run.dir);
	results_print_summary(&L->run);
	if (report_html_write_dir(L->run.dir) == 0)
		printf("report: %s/report.html\n", L->run.dir);
	if (lm_stop_requested) {
		lm_info("interrupted by signal %d", lm_stop_requested);
		return EXIT_SIGNAL_BASE + lm_stop_requested;
	}
	if (exit_code == EXIT_CLEAN && results_failed(&L->run))
		exit_code = EXIT_FAILED;
	return exit_code;
}

int lab_run(const char *kernel, const char *profile_path, const char *results_base,
	    const struct lab_opts *opts)
{
	static const struct lab_opts defaults = { 0 };
	struct lab L = { .o = opts ? opts : &defaults, .con_fd = -1, .jr_fd = -1, .ram_fd = -1,
			 .left_cell = -1 };
	struct runlock *lk = NULL;
	char err[1024];
	int exit_code;

	if (profile_load(profile_path, &L.prof, err, sizeof(err)) < 0) {
		fprintf(stderr, "lockmap: %s\n", err);
		return EXIT_USAGE;
	}
	exit_code = lab_check(&L);
	/* --dry-run: the cells, as `lockmap run -n` prints them. */
	if (exit_code || L.o->dry_run) {
		if (!exit_code)
			search_plan_print(&L.grid, stdout);
		lab_free(&L);
		return exit_code;
	}
	/* One lab at a time, and never beside a run: both load the machine. */
	if (runlock_take("lab", L.o->wait, &lk, err, sizeof(err)) < 0) {
		lm_err("%s", err);
		lab_free(&L);
		return EXIT_NOTREADY;
	}
	exit_code = lab_prepare(&L, kernel);
	if (!exit_code)
		exit_code = lab_open_run(&L, results_base ? results_base : "results");
	if (!exit_code)
		runlock_describe(lk, L.run.id, profile_path);
	if (!exit_code)
		exit_code = lab_finish(&L, lab_cells(&L));
	lab_free(&L);
	runlock_release(lk);
	return exit_code;
}
