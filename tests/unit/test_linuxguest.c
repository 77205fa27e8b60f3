// SPDX-License-Identifier: GPL-2.0
/* The "linux" payload (linuxguest.c, payload.c): the guest kernel's tick rate
 * from its config, found beside the image or in its build tree; the profile
 * checks that hold period to that tick and memory to what a Linux boot
 * needs, with file:line; and the kernel command line the guests get. The
 * kernel images are stand-ins: a bzImage setup header with a release. */
#include <fcntl.h>

#include "testutil.h"

#include "grid.h"
#include "linuxguest.h"
#include "lockmap.h"
#include "payload.h"
#include "precheck.h"
#include "profile.h"

static char dir[128];

/* A file that labimage_kernel_version() reads as a bzImage of release rel:
 * "HdrS" at 0x202, the version string's offset (from 0x200) at 0x20e. */
static void put_bzimage(const char *rel, const char *release)
{
	char buf[0x400] = { 0 }, p[256];
	FILE *f;

	memcpy(buf + 0x202, "HdrS", 4);
	buf[0x20e] = 0x00;
	buf[0x20f] = 0x01;
	snprintf(buf + 0x300, 0x100, "%s (builder@lockmap) #1 SMP", release);
	test_put_file(dir, rel, "", 0644);
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
	fclose(f);
}

/* dir/distro: a bzImage with config-<release> beside it (HZ=250); dir/tree:
 * a kernel tree's arch/x86/boot/bzImage and its .config (HZ=1000); dir/bare:
 * an image without a config. */
static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lockmap-test-linux-%d", (int)getpid());
	test_rm_tree(dir);
	put_bzimage("distro/vmlinuz", "6.1.0-lmtest");
	test_put_file(dir, "distro/config-6.1.0-lmtest",
		      "CONFIG_HZ_250=y\n# CONFIG_HZ_1000 is not set\nCONFIG_HZ=250\nCONFIG_X=y", 0644);
	put_bzimage("tree/arch/x86/boot/bzImage", "6.19.0-rc1-lmtest+");
	test_put_file(dir, "tree/.config", "CONFIG_HZ=1000", 0644);
	put_bzimage("bare/vmlinuz", "6.1.0-lmtest-bare");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_rm_tree(dir);
	return 0;
}

static void test_config_hz(void **state)
{
	static const struct {
		const char *text;
		int hz;
	} cases[] = {
		{ "CONFIG_HZ_300=y\nCONFIG_HZ=300", 300 },
		{ "CONFIG_HZ=100", 100 },
		{ "# CONFIG_HZ is not set", -EINVAL },
		{ "CONFIG_HZ=", -EINVAL },
		{ "CONFIG_HZ=25O", -EINVAL },
		{ "CONFIG_HZ=-250", -EINVAL },
		{ "CONFIG_HZ_PERIODIC=y", -EINVAL },
	};
	char p[256];

	(void)state;
	snprintf(p, sizeof(p), "%s/c", dir);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		test_put_file(dir, "c", cases[i].text, 0644);
		if (linuxguest_config_hz(p) != cases[i].hz)
			fail_msg("'%s': got %d, want %d", cases[i].text, linuxguest_config_hz(p),
				 cases[i].hz);
	}
	snprintf(p, sizeof(p), "%s/none", dir);
	assert_int_equal(linuxguest_config_hz(p), -ENOENT);
}

struct pg {
	struct profile *p;
	struct grid g;
};

/* A linux profile naming the image dir/img, then more lines. */
static void pg_load(struct pg *pg, const char *img, const char *more)
{
	char text[1024], err[1024];

	snprintf(text, sizeof(text), "[guests]\ncount = 1\npayload = linux\nlinux_kernel = %s/%s\n%s",
		 dir, img, more);
	if (profile_parse("t.profile", text, &pg->p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(grid_build(pg->p, &pg->g), 0);
}

static void pg_free(struct pg *pg)
{
	grid_free(&pg->g);
	profile_free(pg->p);
}

static void test_find(void **state)
{
	struct linuxguest lg;
	char why[1024] = "", want[256];
	struct pg pg;

	(void)state;
	pg_load(&pg, "distro/vmlinuz", "period = 4ms\n");
	assert_int_equal(linuxguest_find(&pg.g.cells[0], &lg, why, sizeof(why)), 0);
	assert_string_equal(lg.release, "6.1.0-lmtest");
	snprintf(want, sizeof(want), "%s/distro/config-6.1.0-lmtest", dir);
	assert_string_equal(lg.config, want);
	assert_int_equal(lg.hz, 250);
	pg_free(&pg);

	pg_load(&pg, "tree/arch/x86/boot/bzImage", "period = 1ms\n");
	assert_int_equal(linuxguest_find(&pg.g.cells[0], &lg, why, sizeof(why)), 0);
	assert_string_equal(lg.release, "6.19.0-rc1-lmtest+");
	assert_int_equal(lg.hz, 1000);
	pg_free(&pg);

	pg_load(&pg, "bare/vmlinuz", "period = 4ms\n");
	assert_int_equal(linuxguest_find(&pg.g.cells[0], &lg, why, sizeof(why)), -ENOENT);
	if (!strstr(why, "no config for the guest kernel") || !strstr(why, "config-6.1.0-lmtest-bare"))
		fail_msg("why: %s", why);
	pg_free(&pg);
}

/* precheck_profile() of a linux profile: 0, or the message starting with
 * where and holding want. */
static void check_profile(const char *img, const char *more, const char *where, const char *want)
{
	char err[2048] = "";
	struct pg pg;
	int rc;

	pg_load(&pg, img, more);
	rc = precheck_profile(&pg.g, err, sizeof(err));
	if (!where && rc)
		fail_msg("refused: %s", err);
	if (where && (rc != -EINVAL || strncmp(err, where, strlen(where)) || !strstr(err, want)))
		fail_msg("rc %d, '%s'; want -EINVAL, '%s...' and '%s'", rc, err, where, want);
	pg_free(&pg);
}

static void test_check(void **state)
{
	(void)state;
	check_profile("distro/vmlinuz", "period = 4ms\nmemory = 128M\n", NULL, NULL);
	check_profile("distro/vmlinuz", "period = 4000us\nmemory = 96M\n", NULL, NULL);
	/* period is the kernel's tick and nothing else, in every cell. */
	check_profile("distro/vmlinuz", "period = 4ms, 1ms\nmemory = 128M\n",
		      "t.profile:5: [guests] period: 1ms is not the tick of the payload linux",
		      "CONFIG_HZ=250");
	check_profile("distro/vmlinuz", "period = 1ms\nmemory = 128M\n", "t.profile:5:",
		      "set period = 4000us");
	check_profile("tree/arch/x86/boot/bzImage", "period = 1ms\nmemory = 128M\n", NULL, NULL);
	check_profile("distro/vmlinuz", "period = 4ms\nmemory = 64M\n",
		      "t.profile:6: [guests] memory: 64M is too little for the payload linux",
		      "at least 96M");
	/* The default memory (32M) is too little. */
	check_profile("distro/vmlinuz", "period = 4ms\n", "t.profile:", "set memory = 96M");
	check_profile("bare/vmlinuz", "period = 4ms\nmemory = 128M\n",
		      "t.profile:3: [guests] payload: linux: no config", "CONFIG_HZ");
	check_profile("nothing", "period = 4ms\nmemory = 128M\n",
		      "t.profile:3: [guests] payload: linux: cannot open kernel image", "nothing");
	/* timer and idle are tickguest's. */
	check_profile("distro/vmlinuz", "period = 4ms\nmemory = 128M\ntimer = periodic, oneshot\n",
		      "t.profile:7: [guests] timer: oneshot is not for the payload linux", "remove the line");
	check_profile("distro/vmlinuz", "period = 4ms\nmemory = 128M\nidle = busy\n",
		      "t.profile:7: [guests] idle: busy is not for the payload linux", "hlt");
	/* The report interval goes to the guest's init in ms. */
	check_profile("distro/vmlinuz", "period = 4ms\nmemory = 128M\nreport = 1500500us\n",
		      "t.profile:7: [guests] report: 1500500us is not a whole number of ms",
		      "lockmap.report_ms");
}

static void test_cmdline(void **state)
{
	char buf[512];
	struct pg pg;

	(void)state;
	pg_load(&pg, "distro/vmlinuz", "period = 4ms\nmemory = 128M\nreport = 500ms\n");
	assert_int_equal(payload_cmdline(&pg.g.cells[0], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "console=ttyS0 nohz=off highres=off panic=-1 "
				 "lockmap.report_ms=500 quiet");
	/* Too small a buffer is an error, never a cut command line. */
	assert_int_equal(payload_cmdline(&pg.g.cells[0], buf, 40), -ENOSPC);
	pg_free(&pg);
	pg_load(&pg, "distro/vmlinuz", "period = 4ms\nlinux_append = highres=on nohz=on\n");
	assert_int_equal(payload_cmdline(&pg.g.cells[0], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "console=ttyS0 nohz=off highres=off panic=-1 "
				 "lockmap.report_ms=1000 highres=on nohz=on");
	pg_free(&pg);
}

/* tickguest's command line is as it was. */
static void test_cmdline_tickguest(void **state)
{
	char buf[512], err[1024];
	struct profile *p;
	struct grid g;

	(void)state;
	if (profile_parse("t.profile", "[guests]\ncount = 1\nperiod = 1ms\n", &p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(grid_build(p, &g), 0);
	assert_int_equal(payload_cmdline(&g.cells[0], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "period_us=1000 report_ms=1000 timer=periodic idle=hlt");
	grid_free(&g);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_hz),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_cmdline_tickguest),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
