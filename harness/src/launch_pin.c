// SPDX-License-Identifier: GPL-2.0
/* Which host cpu a vCPU is pinned to, shared by every launcher so that the
 * same cell pins the same way whatever starts its guests. */
#include "launch.h"

/* Each vCPU gets one cpu of the mask, round-robin over all vCPUs of all
 * guests: KVM arms a vCPU's LAPIC timer hrtimer on the cpu the vCPU runs on,
 * so a vCPU that stays on one cpu makes "which host cpu carries which guest
 * timers" fixed and even, and a lockup report's cpu maps back to guests. */
int launch_pin_cpu(uint64_t mask, int slot)
{
	int n = __builtin_popcountll(mask), k;

	if (!n)
		return -1;
	k = slot % n;
	for (int cpu = 0; cpu < 64; cpu++)
		if ((mask >> cpu & 1) && k-- == 0)
			return cpu;
	return -1;
}
