/* SPDX-License-Identifier: GPL-2.0 */
/* tickguest's numeric command-line keys and the range each takes. One table,
 * read by the guest's parser (main.c) and by the harness, whose profile checks
 * hold the profile's [guests] values to it before anything starts
 * (harness/src/payload.c): what a profile accepts is what tickguest takes.
 * Macros only: the guest is freestanding.
 *
 * X(key, min, max): key as on the command line, also the name of the guest's
 * config field; min and max inclusive. */
#ifndef TICKGUEST_PARAMS_H
#define TICKGUEST_PARAMS_H

/* The 8259 sits at 0x20-0x2f (desc.c) and 0xff is the spurious vector: the
 * timer's vector goes between them. */
#define TICKGUEST_NUM_PARAMS(X)			\
	X(period_us, 10, 10000000)		\
	X(report_ms, 1, 3600000)		\
	X(vector, 0x30, 0xfe)			\
	X(duration_s, 0, 1000000000)

#endif
