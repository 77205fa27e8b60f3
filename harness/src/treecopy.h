/* SPDX-License-Identifier: GPL-2.0 */
/* A directory tree put in another place that stands alone: files hard-linked
 * where the filesystem allows it (nothing copied, and deleting the source
 * leaves them), copied where it does not. */
#ifndef LOCKMAP_TREECOPY_H
#define LOCKMAP_TREECOPY_H

/* src (a directory, a file or a symlink) as dst: directories made (an
 * existing one is filled), files linked or copied (an existing file is
 * -EEXIST), symlinks recreated, other kinds left out. 0 or -errno. */
int tree_link_copy(const char *src, const char *dst);

#endif
