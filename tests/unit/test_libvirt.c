// SPDX-License-Identifier: GPL-2.0
/* The libvirt launcher's pure parts (launch_libvirt_xml.c): domain names,
 * templates filled through libxml2 (values escaped, unknown placeholders
 * refused), vCPU pins and lockmap's metadata in the XML, the metadata read
 * back, and whether a pid is a live lockmap. The shipped tickguest template
 * is filled too. No libvirtd is needed: tests/e2e/libvirt_cells.sh runs
 * domains. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "testutil.h"

#include "launch_libvirt_int.h"
#include "lockmap.h"

static char dir[128];

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof(dir), "/tmp/lockmap-test-libvirt-%d", (int)getpid());
	assert_int_equal(rm_rf(dir), 0);
	assert_int_equal(mkdir_p(dir, 0755), 0);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	(void)rm_rf(dir);
	return 0;
}

/* The text of the first node an XPath (lockmap's namespace bound to "lm")
 * finds in xml, or "" (static buffer). */
static const char *xpath_text(const char *xml, const char *expr)
{
	static char out[512];
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NONET);
	xmlXPathContextPtr cx;
	xmlXPathObjectPtr r;

	out[0] = '\0';
	assert_non_null(doc);
	cx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(cx, BAD_CAST "lm", BAD_CAST LIBVIRT_META_NS);
	r = xmlXPathEvalExpression(BAD_CAST expr, cx);
	if (r && r->nodesetval && r->nodesetval->nodeNr > 0) {
		xmlChar *t = xmlNodeGetContent(r->nodesetval->nodeTab[0]);

		snprintf(out, sizeof(out), "%s", (char *)t);
		xmlFree(t);
	}
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(cx);
	xmlFreeDoc(doc);
	return out;
}

static void write_template(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const struct libvirt_meta meta = { .run = "20261201-run", .cell = "abc", .pid = 4242,
					  .guest = 3 };

static void test_name(void **st)
{
	char name[LIBVIRT_NAME_MAX], longrun[300];

	(void)st;
	assert_int_equal(libvirt_domain_name(name, sizeof(name), "20261201-025417-smoke",
					     "2121f3f240b79e5f", 1), 0);
	assert_string_equal(name, "lockmap-20261201-025417-smoke-2121f3f240b79e5f-g1");
	assert_true(libvirt_name_ours(name));
	assert_false(libvirt_name_ours("lockmapx-1"));
	assert_false(libvirt_name_ours(NULL));
	/* What libvirt or a shell would choke on becomes '_'. */
	assert_int_equal(libvirt_domain_name(name, sizeof(name), "a/b c'd<e>", "c1", 0), 0);
	assert_string_equal(name, "lockmap-a_b_c_d_e_-c1-g0");
	/* A long run id is cut; the cell and the guest stay. */
	memset(longrun, 'r', sizeof(longrun) - 1);
	longrun[sizeof(longrun) - 1] = '\0';
	assert_int_equal(libvirt_domain_name(name, sizeof(name), longrun, "cafe", 12), 0);
	assert_true(strlen(name) < LIBVIRT_NAME_MAX);
	assert_non_null(strstr(name, "-cafe-g12"));
	assert_int_equal(libvirt_domain_name(name, 10, "run", "cafe", 1), -ENAMETOOLONG);
}

/* Values with XML's special characters land as text, escaped: read back
 * through a parser they are exactly what was given, and no markup came in. */
static void test_fill_escapes(void **st)
{
	const char *evil = "a&b<c>\"d'e</name><x/>";
	const struct libvirt_var vars[] = {
		{ "NAME", evil }, { "OUTPUT", "/tmp/o&<'\".log" }, { "N", "2" },
	};
	char path[256], why[256] = "", *xml = NULL;
	int pins[1] = { -1 };

	(void)st;
	write_template("t.xml", "<domain type='qemu'><name>@NAME@</name>"
		       "<vcpu>@N@</vcpu><devices><serial type='file'>"
		       "<source path='@OUTPUT@'/></serial></devices>"
		       "<description>mail@host.org @lower@ @@</description></domain>\n");
	snprintf(path, sizeof(path), "%s/t.xml", dir);
	assert_int_equal(libvirt_xml_build(path, vars, ARRAY_SIZE(vars), pins, 1, &meta, &xml, why,
					   sizeof(why)), 0);
	assert_string_equal(xpath_text(xml, "/domain/name"), evil);
	assert_string_equal(xpath_text(xml, "/domain/devices/serial/source/@path"),
			    "/tmp/o&<'\".log");
	assert_string_equal(xpath_text(xml, "/domain/vcpu"), "2");
	assert_null(strstr(xml, "<x"));
	/* An '@' that starts no @KEY@ is text. */
	assert_string_equal(xpath_text(xml, "/domain/description"), "mail@host.org @lower@ @@");
	/* No pin asked: no <cputune>. */
	assert_string_equal(xpath_text(xml, "/domain/cputune"), "");
	free(xml);
}

static void test_fill_unknown(void **st)
{
	const struct libvirt_var vars[] = { { "NAME", "n" } };
	char path[256], why[256] = "", *xml = (char *)1;
	int pins[1] = { 0 };

	(void)st;
	write_template("u.xml", "<domain><name>@NAME@</name><os><kernel>@KERNEL@</kernel></os></domain>");
	snprintf(path, sizeof(path), "%s/u.xml", dir);
	assert_int_equal(libvirt_xml_build(path, vars, ARRAY_SIZE(vars), pins, 1, &meta, &xml, why,
					   sizeof(why)), -EINVAL);
	assert_null(xml);
	assert_non_null(strstr(why, "@KERNEL@"));
	assert_non_null(strstr(why, "u.xml"));

	write_template("bad.xml", "<domain><name>x</domain>");
	snprintf(path, sizeof(path), "%s/bad.xml", dir);
	assert_int_equal(libvirt_xml_build(path, vars, ARRAY_SIZE(vars), pins, 1, &meta, &xml, why,
					   sizeof(why)), -EINVAL);
	/* libxml2's own words, with the line. */
	assert_non_null(strstr(why, "bad.xml:1: "));
	assert_non_null(strstr(why, "tag"));
	write_template("root.xml", "<network/>");
	snprintf(path, sizeof(path), "%s/root.xml", dir);
	assert_int_equal(libvirt_xml_build(path, vars, ARRAY_SIZE(vars), pins, 1, &meta, &xml, why,
					   sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not <domain>"));
}

/* guests.pin's cpus become <vcpupin>s, replacing a template's pin of the
 * same vCPU; lockmap's metadata carries run, cell, pid and guest. */
static void test_pins_and_meta(void **st)
{
	const struct libvirt_var vars[] = { { "NAME", "n" } };
	char path[256], why[256] = "", *xml = NULL;
	int pins[3] = { 2, -1, 5 };
	struct libvirt_meta back;
	const char *p, *q;

	(void)st;
	write_template("p.xml", "<domain><name>@NAME@</name><cputune>"
		       "<vcpupin vcpu='0' cpuset='7'/><emulatorpin cpuset='1'/></cputune>"
		       "<metadata><other:x xmlns:other='urn:other'/></metadata></domain>");
	snprintf(path, sizeof(path), "%s/p.xml", dir);
	assert_int_equal(libvirt_xml_build(path, vars, ARRAY_SIZE(vars), pins, 3, &meta, &xml, why,
					   sizeof(why)), 0);
	/* One per pinned vCPU: the template's vCPU 0 pin gave way. */
	p = strstr(xml, "<vcpupin");
	assert_non_null(p);
	p = strstr(p + 1, "<vcpupin");
	assert_non_null(p);
	assert_null(strstr(p + 1, "<vcpupin"));
	assert_string_equal(xpath_text(xml, "/domain/cputune/vcpupin[@vcpu='0']/@cpuset"), "2");
	assert_string_equal(xpath_text(xml, "/domain/cputune/vcpupin[@vcpu='1']/@cpuset"), "");
	assert_string_equal(xpath_text(xml, "/domain/cputune/vcpupin[@vcpu='2']/@cpuset"), "5");
	assert_string_equal(xpath_text(xml, "/domain/cputune/emulatorpin/@cpuset"), "1");
	p = strstr(xml, "cpuset=\"7\"");
	assert_null(p);
	assert_string_equal(xpath_text(xml, "/domain/metadata/lm:guest/@run"), "20261201-run");
	assert_string_equal(xpath_text(xml, "/domain/metadata/lm:guest/@pid"), "4242");
	assert_string_equal(xpath_text(xml, "/domain/metadata/lm:guest/@cell"), "abc");
	assert_string_equal(xpath_text(xml, "/domain/metadata/lm:guest/@guest"), "3");
	/* The template's own metadata stays. */
	assert_non_null(strstr(xml, "urn:other"));
	/* The element as virDomainGetMetadata gives it back. */
	p = strstr(xml, "<lockmap:guest");
	assert_non_null(p);
	q = strstr(p, "/>");
	assert_non_null(q);
	{
		char el[512];

		snprintf(el, sizeof(el), "%.*s", (int)(q + 2 - p), p);
		assert_int_equal(libvirt_meta_parse(el, &back), 0);
	}
	assert_int_equal(back.pid, 4242);
	assert_string_equal(back.run, "20261201-run");
	assert_string_equal(back.cell, "abc");
	assert_int_equal(back.guest, 3);
	free(xml);
}

static void test_meta_parse(void **st)
{
	struct libvirt_meta m;

	(void)st;
	assert_int_equal(libvirt_meta_parse("<guest run=\"r&amp;1\" pid=\"77\"/>", &m), 0);
	assert_int_equal(m.pid, 77);
	assert_string_equal(m.run, "r&1");
	assert_int_equal(libvirt_meta_parse("<guest run=\"r\"/>", &m), -EINVAL);
	assert_int_equal(libvirt_meta_parse("<guest pid=\"12x\"/>", &m), -EINVAL);
	assert_int_equal(libvirt_meta_parse("<guest pid=\"-3\"/>", &m), -EINVAL);
	assert_int_equal(libvirt_meta_parse("<other pid=\"5\"/>", &m), -EINVAL);
	assert_int_equal(libvirt_meta_parse("not xml", &m), -EINVAL);
	assert_int_equal(libvirt_meta_parse(NULL, &m), -EINVAL);
}

/* This test is no lockmap (its comm is test_libvirt) unless it is itself:
 * the pid of the process asking counts as live. A reaped child is gone. */
static void test_pid_is_lockmap(void **st)
{
	pid_t child;

	(void)st;
	assert_true(libvirt_pid_is_lockmap(getpid()));
	assert_false(libvirt_pid_is_lockmap(0));
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		pause();
		_exit(0);
	}
	/* Alive, but not a lockmap. */
	assert_false(libvirt_pid_is_lockmap(child));
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_false(libvirt_pid_is_lockmap(child));
}

/* The shipped template takes every value the launcher gives and yields a
 * domain libvirt can take: type, name, kernel, the serial file. */
static void test_tickguest_template(void **st)
{
	const struct libvirt_var vars[] = {
		{ "NAME", "lockmap-r-c-g0" }, { "DOMAIN_TYPE", "qemu" }, { "CPU_MODE", "maximum" },
		{ "VCPUS", "2" }, { "MEMORY_MIB", "32" }, { "KERNEL", "/x/tickguest.elf" },
		{ "CMDLINE", "period_us=1000 report_ms=1000 timer=periodic idle=hlt" },
		{ "OUTPUT", "/r/cells/c/guest-0.log" },
	};
	char path[512], why[256] = "", *xml = NULL;
	int pins[2] = { 0, 1 };

	(void)st;
	snprintf(path, sizeof(path), "%s/../../guests/libvirt/tickguest.xml", test_data_dir());
	assert_int_equal(libvirt_xml_build(path, vars, ARRAY_SIZE(vars), pins, 2, &meta, &xml, why,
					   sizeof(why)), 0);
	assert_string_equal(xpath_text(xml, "/domain/@type"), "qemu");
	assert_string_equal(xpath_text(xml, "/domain/name"), "lockmap-r-c-g0");
	assert_string_equal(xpath_text(xml, "/domain/vcpu"), "2");
	assert_string_equal(xpath_text(xml, "/domain/os/kernel"), "/x/tickguest.elf");
	assert_string_equal(xpath_text(xml, "/domain/cpu/@mode"), "maximum");
	assert_string_equal(xpath_text(xml, "/domain/devices/serial/source/@path"),
			    "/r/cells/c/guest-0.log");
	assert_string_equal(xpath_text(xml, "/domain/cputune/vcpupin[@vcpu='1']/@cpuset"), "1");
	/* Every placeholder filled (the template's comment names them). */
	assert_null(strstr(xml, ">@"));
	assert_null(strstr(xml, "\"@"));
	free(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_fill_escapes),
		cmocka_unit_test(test_fill_unknown),
		cmocka_unit_test(test_pins_and_meta),
		cmocka_unit_test(test_meta_parse),
		cmocka_unit_test(test_pid_is_lockmap),
		cmocka_unit_test(test_tickguest_template),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
