// SPDX-License-Identifier: GPL-2.0
/* tree_link_copy (treecopy.h): `lockmap merge` puts the cell directories of
 * every shard's run into the merged run with it. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockmap.h"
#include "treecopy.h"

/* The bytes of src into a new file dst, with mode. */
static int file_copy(const char *src, const char *dst, mode_t mode)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC), out, rc = 0;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			rc = errno ? -errno : -EIO;
			break;
		}
	}
	if (n < 0)
		rc = -errno;
	if (close(out) < 0 && !rc)
		rc = -errno;
	if (rc)
		(void)unlink(dst);
	close(in);
	return rc;
}

/* Every entry of the directory src into dst (made if missing). */
static int dir_link_copy(const char *src, const char *dst, mode_t mode)
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
		rc = tree_link_copy(s, t);
		free(s);
		free(t);
	}
	closedir(d);
	return rc;
}

int tree_link_copy(const char *src, const char *dst)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (lstat(src, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return dir_link_copy(src, dst, st.st_mode);
	if (S_ISLNK(st.st_mode)) {
		n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		return symlink(target, dst) < 0 ? -errno : 0;
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	if (link(src, dst) == 0)
		return 0;
	/* Another filesystem, or one (or a policy) without hard links. */
	if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != EACCES &&
	    errno != ENOTSUP)
		return -errno;
	return file_copy(src, dst, st.st_mode);
}
