/* SPDX-License-Identifier: GPL-2.0 */
/* lockmap's cache: what it builds once and reuses (the helper module per
 * kernel, the lab host's initramfs), in one directory, $LOCKMAP_CACHE or
 * /var/cache/lockmap, never next to the binary. Layout:
 *
 *   <cache>/<kind>/<name>-<key>/...     e.g. kmod/6.1.0-50-amd64-1f2e.../
 *
 * <key> is a 64-bit FNV-1a hash of the entry's inputs (their contents, not
 * their dates), so changed inputs get a new entry and a stale one is never
 * used. An entry is built in <entry>.tmp.<pid> and renamed into place when
 * complete: an entry that exists is whole. Each use touches it; the least
 * recently used beyond CACHE_KEEP per kind are removed. Deleting the whole
 * cache is always safe. */
#ifndef LOCKMAP_CACHE_H
#define LOCKMAP_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* Entries kept per kind (kmod, lab) after a new one is made. */
#define CACHE_KEEP 4

/* The cache directory, absolute: $LOCKMAP_CACHE (read at each call), else
 * /var/cache/lockmap. Static buffer. */
const char *cache_dir(void);

/* Make <cache>/<kind> and check it is writable. 0, or -errno with why naming
 * the directory and LOCKMAP_CACHE. */
int cache_prepare(const char *kind, char *why, size_t wlen);

/* An entry's key, built from its inputs in a fixed order. */
struct cache_key {
	uint64_t h;
};

void cache_key_init(struct cache_key *k);
void cache_key_bytes(struct cache_key *k, const void *p, size_t n);
/* A string, with its terminating NUL (so "ab","c" differs from "a","bc"). */
void cache_key_str(struct cache_key *k, const char *s);
/* A file's whole contents, after its length. 0 or -errno. */
int cache_key_file(struct cache_key *k, const char *path);

/* <cache>/<kind>/<name>-<16 hex digits of key>, malloc'd. */
char *cache_entry_path(const char *kind, const char *name, const struct cache_key *k);

/* Build directory of an entry, <entry>.tmp.<pid>, emptied and created.
 * malloc'd, or NULL with why. */
char *cache_entry_begin(const char *entry, char *why, size_t wlen);
/* Rename the finished build directory tmp to entry. When another lockmap
 * made the same entry meanwhile, tmp is removed and theirs is used. 0 or
 * -errno. */
int cache_entry_commit(const char *tmp, const char *entry);
/* Mark an entry used now (its mtime orders the pruning). */
void cache_entry_touch(const char *entry);
/* Remove the entries of kind beyond the CACHE_KEEP most recently used
 * (never keep itself), and build directories of lockmaps that are gone. */
void cache_prune(const char *kind, const char *keep);

#endif
