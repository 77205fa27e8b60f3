// SPDX-License-Identifier: GPL-2.0
/* The KVM fitness decision on QEMU's own output: a recorded log of a
 * paravirtual KVM that ran tickguest up to its banner and then stopped it
 * with "KVM internal error" (tests/data/qemu/kvm-internal-error.log). */
#include "testutil.h"

#include <string.h>

#include "accel.h"

static void test_recorded_internal_error(void **state)
{
	char path[512], why[256];

	(void)state;
	test_data_path(path, sizeof(path), "qemu/kvm-internal-error.log");
	assert_true(qemu_log_kvm_error(path, why, sizeof(why)));
	assert_string_equal(why, "QEMU: KVM internal error. Suberror: 1 (emulation failure) at EIP=0010012e");
}

static void test_clean_logs(void **state)
{
	char path[512], why[256] = "";

	(void)state;
	/* an empty log, a missing one, and QEMU's usual warnings */
	assert_false(qemu_text_kvm_error("", why, sizeof(why)));
	test_data_path(path, sizeof(path), "qemu/no-such.log");
	assert_false(qemu_log_kvm_error(path, why, sizeof(why)));
	assert_false(qemu_text_kvm_error(
		"qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.80000001H:ECX.svm [bit 2]\n"
		"qemu-system-x86_64: terminating on signal 15 from pid 42\n", why, sizeof(why)));
	assert_string_equal(why, "");
}

static void test_other_forms(void **state)
{
	char why[256];

	(void)state;
	/* a 64-bit guest, with CRLF line ends, no "emulation failure" line */
	assert_true(qemu_text_kvm_error(
		"KVM internal error. Suberror: 3\r\nextra data[0]: 0x80000b0e\r\n"
		"RAX=0000000000000000 RBX=0000000000000000\r\n"
		"RIP=ffffffff81000000 RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0\r\n",
		why, sizeof(why)));
	assert_string_equal(why, "QEMU: KVM internal error. Suberror: 3 at RIP=ffffffff81000000");
	/* no register dump at all */
	assert_true(qemu_text_kvm_error("KVM internal error. Suberror: 1\n", why, sizeof(why)));
	assert_string_equal(why, "QEMU: KVM internal error. Suberror: 1");
	/* a small buffer is cut, never overrun */
	assert_true(qemu_text_kvm_error("KVM internal error. Suberror: 1\n", why, 10));
	assert_int_equal(strlen(why), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_internal_error),
		cmocka_unit_test(test_clean_logs),
		cmocka_unit_test(test_other_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
