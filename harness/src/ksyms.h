/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel text addresses to "function+0xoff" from a System.map or a copy of
 * /proc/kallsyms, for telling where the cpus of a hung lab host are. */
#ifndef LOCKMAP_KSYMS_H
#define LOCKMAP_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksyms;
/* Load the text symbols of a System.map or kallsyms copy; -errno when unreadable. */
int ksyms_load(const char *path, struct ksyms **out);
/* "name+0xoff", or the bare hex address when it is outside the kernel text. */
void ksyms_name(const struct ksyms *k, uint64_t addr, char *buf, size_t len);
void ksyms_free(struct ksyms *k);
/* The address of the text symbol name in a System.map or /proc/kallsyms:
 * -ENOENT when it is not there, -EPERM when the file shows it as 0
 * (kernel.kptr_restrict, or not root). */
int ksyms_lookup(const char *path, const char *name, uint64_t *addr);

#endif
