/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's persistent store (/sys/fs/pstore): the dmesg records a crashed
 * boot left behind, as ramoops (persistent RAM) or efi-pstore (EFI variables)
 * wrote them. The kernel writes each record as a header line "REASON#N PartP"
 * (kmsg_dump_reason_str: Panic, Oops, Emergency, ...) and then the tail of the
 * kernel log in syslog form ("<N>[   12.345678] text"), and sets the file's
 * mtime to the time of the crash. */
#ifndef LOCKMAP_PSTORE_H
#define LOCKMAP_PSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PSTORE_DIR "/sys/fs/pstore"
/* systemd-pstore.service (Storage=external, the default) moves the records
 * out of PSTORE_DIR at boot, into a directory per dump under this one. */
#define PSTORE_ARCHIVE_DIR "/var/lib/systemd/pstore"

struct pstore_record {
	char name[256];		/* file name: dmesg-ramoops-0, dmesg-efi-167..., ... */
	char backend[32];	/* ramoops, efi, efi_pstore */
	char reason[32];	/* Panic, Oops, ...; "" when the header is not there */
	int count, part;	/* the dump's number and this part of it (0: unknown) */
	bool compressed;	/* .enc.z: the kernel could not decompress it */
	int64_t mtime;		/* seconds since the epoch: when the record was written */
	char *text;		/* the contents, NUL-terminated (header included) */
	size_t len;
};

/* The dmesg records of dir (PSTORE_DIR; tests give their own), oldest first
 * (by time, then dump number, then the higher part first: part 1 holds the
 * newest lines). *n may be 0. Returns 0 or -errno (-ENOENT: no such dir). */
int pstore_read_dir(const char *dir, struct pstore_record **out, size_t *n);
void pstore_free(struct pstore_record *r, size_t n);
/* A file (name under dfd, or AT_FDCWD and a path) whole, up to 4 MiB, in a
 * malloc'd NUL-terminated *text; its length and mtime when asked (NULL:
 * not). Returns 0 or -errno. */
int pstore_read_text(int dfd, const char *name, char **text, size_t *len, int64_t *mtime);
/* Parse a record header ("Panic#1 Part1") into r; false when text has none. */
bool pstore_parse_header(const char *text, struct pstore_record *r);

/* Is pstore usable here: mounted, a backend registered, ramoops or efi-pstore
 * set up? One line each for msg and, when something is missing, fix.
 * Returns 1 usable, 0 not. */
int pstore_usable(char *msg, size_t len, char *fix, size_t flen);

#endif
