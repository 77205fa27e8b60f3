// SPDX-License-Identifier: GPL-2.0
/* The launchers and injectors lockmap knows: adding one is one file and one line. */
#include <string.h>

#include "inject.h"
#include "launch.h"
#include "lockmap.h"

extern const struct launcher_ops launch_qemu_ops;
extern const struct launcher_ops launch_libvirt_ops;

const struct launcher_ops *const launchers[] = {
	&launch_qemu_ops,
	&launch_libvirt_ops,
};
const size_t nr_launchers = ARRAY_SIZE(launchers);

/* One line per injector: its ops and its INJ_* flags. INJ_BY_HAND when it acts
 * on the host alone, so `lockmap inject` can run it without a cell; pause and
 * throttle act on the cell's guests. */
#define INJECTORS(X)				\
	X(inject_pause_ops, 0)			\
	X(inject_stress_ops, INJ_BY_HAND)	\
	X(inject_throttle_ops, 0)		\
	X(inject_irqoff_ops, INJ_BY_HAND)	\
	X(inject_nmi_ops, INJ_BY_HAND)

#define INJ_DECLARE(ops, flags) extern const struct injector_ops ops;
#define INJ_OPS(ops, flags) &ops,
#define INJ_FLAGS(ops, flags) flags,
INJECTORS(INJ_DECLARE)

const struct injector_ops *const injectors[] = { INJECTORS(INJ_OPS) };
const size_t nr_injectors = ARRAY_SIZE(injectors);
static const unsigned injector_flags[] = { INJECTORS(INJ_FLAGS) };

const struct launcher_ops *launcher_find(const char *name)
{
	for (size_t i = 0; i < nr_launchers; i++)
		if (!strcmp(launchers[i]->name, name))
			return launchers[i];
	return NULL;
}

const struct injector_ops *injector_find(const char *name)
{
	for (size_t i = 0; i < nr_injectors; i++)
		if (!strcmp(injectors[i]->name, name))
			return injectors[i];
	return NULL;
}

bool injector_by_hand(const struct injector_ops *in)
{
	for (size_t i = 0; i < nr_injectors; i++)
		if (injectors[i] == in)
			return injector_flags[i] & INJ_BY_HAND;
	return false;
}
