/* SPDX-License-Identifier: GPL-2.0 */
/* TSC frequency: from a CPUID leaf when one states it, else measured. */
#ifndef TICKGUEST_TSC_H
#define TICKGUEST_TSC_H

#include <stdint.h>

/* Fill *khz and *method ("kvm", "vmware", "hyperv", "cpuid15", "cpuid16",
 * "pit"); 0, or -1 when nothing gave a usable frequency. */
int tsc_calibrate(uint64_t *khz, const char **method);

#endif
