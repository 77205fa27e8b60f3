// SPDX-License-Identifier: GPL-2.0
/* What every launcher's start shares, so that the same cell starts the same
 * way whatever starts its guests: where each vCPU is pinned, and the wait for
 * the guests' banners. */
#include <time.h>

#include "cell.h"
#include "launch.h"
#include "lockmap.h"

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

int launch_wait_banners(struct cell_ctx *ctx, int64_t deadline,
			int (*failed)(struct cell_ctx *ctx, struct guest *g, char *why, size_t len), size_t *ready,
			char *why, size_t len)
{
	for (;;) {
		struct timespec ts = { 0, 20 * NSEC_PER_MSEC };
		int rc;

		*ready = 0;
		for (size_t i = 0; i < ctx->nguests; i++) {
			struct guest *g = &ctx->guests[i];

			guest_read_output(g, NULL, NULL);
			rc = failed(ctx, g, why, len);
			if (rc)
				return rc;
			*ready += g->metrics.banner_seen;
		}
		if (*ready == ctx->nguests)
			return 0;
		if (lm_stop_requested)
			return -EINTR;
		if (now_ns() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
}
