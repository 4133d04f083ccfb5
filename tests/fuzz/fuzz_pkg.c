/*
 * fuzz_pkg.c - libFuzzer harness for the package reader, common/pkg.c
 * (tar form and directory form) with common/manifest.c.
 *
 * Input: a package as a tar stream (seeds: small packages made by
 * spaceport-extract from the fixtures, format 1 and, "v2-", format 2 with
 * streamed members in pieces, check, facts and end records).  The bytes are written to a
 * temporary file and read with pkg_open/pkg_next/pkg_read; a refusal
 * (diag_die) is caught (fuzz_util.h FUZZ_TRY).  Checks:
 *  - pkg_next hands over the manifest's members in the manifest's order,
 *    every name passes pkg_name_ok, each member reads back in
 *    random-sized reads to exactly its manifest size (pkg_read checks
 *    size and CRC-32 at the end), and nothing is missing at the end;
 *  - directory form: the members just read, written under a temporary
 *    directory with the manifest re-formatted, read back through
 *    pkg_open(dir) to the same members, sizes and bytes.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pkg.h"
#include "strbuf.h"
#include "fuzz_util.h"

static char path[64], dir[64];

static void
write_file(const char *p, const void *data, size_t size)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	FUZZ_CHECK(fd != -1 && write(fd, data, size) == (ssize_t)size &&
	    close(fd) == 0, "cannot write %s", p);
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* Make the parent directories of dir/name. */
static void
mkparents(const char *name)
{
	char p[4200];
	char *s;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	for (s = p + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		(void)mkdir(p, 0700);
		*s = '/';
	}
}

/* Read every member; contents appended to all (member after member). */
static size_t
read_all(struct pkg_in *p, uint64_t *seed, struct strbuf *all,
    const char *ondisk)
{
	const struct manifest *mf = pkg_manifest(p);
	const struct pkg_member *m;
	static char buf[70000];
	size_t i = 0, r, want;
	uint64_t got;

	while (pkg_next(p, &m)) {
		FUZZ_CHECK(i < mf->nmem && strcmp(m->name, mf->mem[i].name) == 0,
		    "member %zu is %s, not the manifest's", i, m->name);
		FUZZ_CHECK(pkg_name_ok(m->name), "unsafe name %s", m->name);
		got = 0;
		for (;;) {
			want = fuzz_step(seed);
			if (want > sizeof(buf))
				want = sizeof(buf);
			if ((r = pkg_read(p, buf, want)) == 0)
				break;
			FUZZ_CHECK(r <= want, "read more than asked");
			got += r;
			sb_add(all, buf, r);
		}
		FUZZ_CHECK(got == m->size, "%s: read %llu of %llu", m->name,
		    (unsigned long long)got, (unsigned long long)m->size);
		if (ondisk != NULL) {
			char fp[4200];

			mkparents(m->name);
			snprintf(fp, sizeof(fp), "%s/%s", dir, m->name);
			write_file(fp, all->buf + all->len - got, got);
		}
		i++;
	}
	FUZZ_CHECK(i == mf->nmem, "%zu of %zu members handed over", i,
	    mf->nmem);
	return i;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkg_in *volatile p = NULL;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, mfs = STRBUF_INIT;
	uint64_t seed = fuzz_hash(data, size);
	volatile size_t n = 0;
	volatile int ok = 0;
	char mp[200];

	if (size > (1u << 20))
		return 0;
	if (path[0] == '\0') {
		int fd;

		snprintf(path, sizeof(path), "/tmp/fuzz_pkg.XXXXXX");
		FUZZ_CHECK((fd = mkstemp(path)) != -1, "mkstemp");
		close(fd);
		snprintf(dir, sizeof(dir), "/tmp/fuzz_pkgd.XXXXXX");
		FUZZ_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	}
	write_file(path, data, size);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	FUZZ_CHECK(mkdir(dir, 0700) == 0, "mkdir %s", dir);
	if (FUZZ_TRY()) {
		p = pkg_open(path);
		n = read_all(p, &seed, &a, dir);
		manifest_format(pkg_manifest(p), &mfs);
		pkg_close(p);
		fuzz_try_end();
		ok = 1;
	} else {
		/* freed by fuzz_try_died() */
		memset(&a, 0, sizeof(a));
		memset(&mfs, 0, sizeof(mfs));
	}
	if (ok) {
		mkparents(PKG_MANIFEST);
		snprintf(mp, sizeof(mp), "%s/%s", dir, PKG_MANIFEST);
		write_file(mp, mfs.buf, mfs.len);
		if (FUZZ_TRY()) {
			p = pkg_open(dir);
			FUZZ_CHECK(read_all(p, &seed, &b, NULL) == n,
			    "directory form: another member count");
			pkg_close(p);
			fuzz_try_end();
		} else {
			memset(&b, 0, sizeof(b));
			FUZZ_CHECK(0, "directory form refused what the tar "
			    "form read");
		}
		FUZZ_CHECK(a.len == b.len && (a.len == 0 ||
		    memcmp(a.buf, b.buf, a.len) == 0),
		    "directory form: other bytes");
	}
	sb_free(&a);
	sb_free(&b);
	sb_free(&mfs);
	return 0;
}
