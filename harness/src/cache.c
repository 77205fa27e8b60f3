// SPDX-License-Identifier: GPL-2.0
/* The cache directory: keyed entries built once, renamed into place whole,
 * pruned least recently used first (cache.h has the layout). */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "lockmap.h"

#define CACHE_DEFAULT "/var/cache/lockmap"
#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

const char *cache_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("LOCKMAP_CACHE");
	char cwd[PATH_MAX];

	dir[0] = '\0';
	if (!env || !*env)
		env = CACHE_DEFAULT;
	/* make -C <sources> O=<cache>/... and QEMU -initrd need it absolute. */
	if (env[0] != '/' && getcwd(cwd, sizeof(cwd))) {
		if (snprintf(dir, sizeof(dir), "%s/%s", cwd, env) >= (int)sizeof(dir))
			dir[0] = '\0';
	}
	if (!dir[0])
		snprintf(dir, sizeof(dir), "%s", env);
	return dir;
}

int cache_prepare(const char *kind, char *why, size_t wlen)
{
	char *dir = xasprintf("%s/%s", cache_dir(), kind);
	int rc = mkdir_p(dir, 0755);

	if (!rc && access(dir, W_OK | X_OK) < 0)
		rc = -errno;
	if (rc)
		snprintf(why, wlen, "cannot use the cache directory %s: %s; set LOCKMAP_CACHE to a writable directory (default %s)",
			 dir, strerror(-rc), CACHE_DEFAULT);
	free(dir);
	return rc;
}

void cache_key_init(struct cache_key *k)
{
	k->h = FNV64_OFFSET;
}

void cache_key_bytes(struct cache_key *k, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		k->h ^= b[i];
		k->h *= FNV64_PRIME;
	}
}

void cache_key_str(struct cache_key *k, const char *s)
{
	cache_key_bytes(k, s, strlen(s) + 1);
}

int cache_key_file(struct cache_key *k, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[1 << 16];
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	cache_key_bytes(k, &st.st_size, sizeof(st.st_size));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		cache_key_bytes(k, buf, (size_t)n);
	if (n < 0)
		n = -errno;
	close(fd);
	return (int)n;
}

char *cache_entry_path(const char *kind, const char *name, const struct cache_key *k)
{
	return xasprintf("%s/%s/%s-%016llx", cache_dir(), kind, name, (unsigned long long)k->h);
}

char *cache_entry_begin(const char *entry, char *why, size_t wlen)
{
	char *tmp = xasprintf("%s.tmp.%d", entry, (int)getpid());
	int rc = rm_rf(tmp);

	if (!rc)
		rc = mkdir_p(tmp, 0755);
	if (rc) {
		snprintf(why, wlen, "cannot create %s: %s", tmp, strerror(-rc));
		free(tmp);
		return NULL;
	}
	return tmp;
}

int cache_entry_commit(const char *tmp, const char *entry)
{
	if (rename(tmp, entry) == 0)
		return 0;
	if (errno != EEXIST && errno != ENOTEMPTY)
		return -errno;
	/* Another lockmap finished the same inputs first: same contents. */
	(void)rm_rf(tmp);
	return 0;
}

void cache_entry_touch(const char *entry)
{
	(void)utimensat(AT_FDCWD, entry, NULL, 0);
}

/* "<entry>.tmp.<pid>": the pid of its builder, or 0 when name is no build
 * directory. */
static pid_t cache_tmp_owner(const char *name)
{
	const char *t = strstr(name, ".tmp.");
	char *end;
	long pid;

	if (!t)
		return 0;
	pid = strtol(t + 5, &end, 10);
	return *end || pid <= 0 ? 0 : (pid_t)pid;
}

struct cache_old {
	char *path;
	struct timespec used;
};

static int cache_old_cmp(const void *a, const void *b)
{
	const struct cache_old *x = a, *y = b;

	/* Most recently used first. */
	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? 1 : -1;
	if (x->used.tv_nsec != y->used.tv_nsec)
		return x->used.tv_nsec < y->used.tv_nsec ? 1 : -1;
	return 0;
}

void cache_prune(const char *kind, const char *keep)
{
	char *dir = xasprintf("%s/%s", cache_dir(), kind);
	struct cache_old *old = NULL;
	size_t n = 0, cap = 0, kept = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		char *p;
		struct stat st;
		pid_t owner;

		if (e->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		owner = cache_tmp_owner(e->d_name);
		if (owner) {
			/* A build of a lockmap that died mid-way. */
			if (kill(owner, 0) < 0 && errno == ESRCH)
				(void)rm_rf(p);
			free(p);
			continue;
		}
		if ((keep && !strcmp(p, keep)) || lstat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
			kept += keep && !strcmp(p, keep);
			free(p);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			old = realloc(old, cap * sizeof(*old));
			if (!old)
				abort();
		}
		old[n].path = p;
		old[n++].used = st.st_mtim;
	}
	if (d)
		closedir(d);
	if (n)
		qsort(old, n, sizeof(*old), cache_old_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i + kept >= CACHE_KEEP) {
			lm_debug("cache: removing %s (least recently used)", old[i].path);
			(void)rm_rf(old[i].path);
		}
		free(old[i].path);
	}
	free(old);
	free(dir);
}
