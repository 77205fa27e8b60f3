// SPDX-License-Identifier: GPL-2.0
/* The launchers and injectors lockmap knows: adding one is one file and one line. */
#include <string.h>

#include "inject.h"
#include "launch.h"
#include "lockmap.h"

extern const struct launcher_ops launch_qemu_ops;
extern const struct injector_ops inject_pause_ops;
extern const struct injector_ops inject_stress_ops;
extern const struct injector_ops inject_throttle_ops;
extern const struct injector_ops inject_irqoff_ops;
extern const struct injector_ops inject_nmi_ops;

const struct launcher_ops *const launchers[] = {
	&launch_qemu_ops,
};
const size_t nr_launchers = ARRAY_SIZE(launchers);

const struct injector_ops *const injectors[] = {
	&inject_pause_ops,
	&inject_stress_ops,
	&inject_throttle_ops,
	&inject_irqoff_ops,
	&inject_nmi_ops,
};
const size_t nr_injectors = ARRAY_SIZE(injectors);

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
