/* SPDX-License-Identifier: GPL-2.0 */
/* A directory tree copied to another place, to stand alone there. */
#ifndef LOCKMAP_TREECOPY_H
#define LOCKMAP_TREECOPY_H

/* src (a directory, a file or a symlink) as dst: directories made (an
 * existing one is filled), files copied (a reflink where the filesystem can:
 * shared blocks, copied on write; an existing file is -EEXIST), symlinks
 * recreated, other kinds left out. Never a hard link: a resumed run rewrites
 * the logs of a cell it runs again, and must not rewrite another run's. 0 or
 * -errno. */
int tree_copy(const char *src, const char *dst);

#endif
