// SPDX-License-Identifier: GPL-2.0
/* tree_copy (treecopy.h): `lockmap merge` copies the cell directories of every
 * shard's run into the merged run with it. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockmap.h"
#include "treecopy.h"

/* The bytes of in into out: a reflink (btrfs, xfs) or, else, a copy. */
static int fd_copy(int in, int out)
{
	char buf[65536];
	ssize_t n;

	if (ioctl(out, FICLONE, in) == 0)
		return 0;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return errno ? -errno : -EIO;
	return n < 0 ? -errno : 0;
}

/* src into a new file dst, with mode. */
static int file_copy(const char *src, const char *dst, mode_t mode)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out, rc;

	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	rc = fd_copy(in, out);
	if (close(out) < 0 && !rc)
		rc = -errno;
	if (rc)
		(void)unlink(dst);
	close(in);
	return rc;
}

/* Every entry of the directory src into dst (made if missing). */
static int dir_copy(const char *src, const char *dst, mode_t mode)
{
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (mkdir(dst, mode & 07777) < 0 && errno != EEXIST)
		return -errno;
	d = opendir(src);
	if (!d)
		return -errno;
	while (!rc && (e = readdir(d))) {
		char *s, *t;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		s = xasprintf("%s/%s", src, e->d_name);
		t = xasprintf("%s/%s", dst, e->d_name);
		rc = tree_copy(s, t);
		free(s);
		free(t);
	}
	closedir(d);
	return rc;
}

int tree_copy(const char *src, const char *dst)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (lstat(src, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return dir_copy(src, dst, st.st_mode);
	if (S_ISLNK(st.st_mode)) {
		n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		return symlink(target, dst) < 0 ? -errno : 0;
	}
	return S_ISREG(st.st_mode) ? file_copy(src, dst, st.st_mode) : 0;
}
