/*
 * test_zipout.c - pack's parallel deflate (pack/zipout.c, issue 11).
 *
 * The same members written with 1, 2 and 4 threads (and twice with 4)
 * must give the same bytes; each member read back (common/zipin.c
 * inflates and checks the CRC-32 and size) must equal the bytes the test
 * generated, and unzip -t and Python's zipfile must accept the zip.
 * Shapes: a member of several blocks, one of exactly two blocks, one of
 * exactly one block, one byte, empty (entities.xml is always deflated), a
 * member that needs the manifest CRC check, and, with the block size
 * lowered to 1000 bytes, a member of hundreds of blocks shorter than the
 * 32 KiB dictionary.  A member of one block must be exactly what plain
 * zlib deflate (level 6, raw) makes of it: the oracle for "the blocks are
 * ordinary deflate".
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include "diag.h"
#include "io.h"
#include "strbuf.h"
#include "zipin.h"
#include "pack.h"
#include "tap.h"

#define BLK	((size_t)256 << 10)

/* Compressible, not trivially: XML-like lines with pseudo-random ids. */
static unsigned char *
gen_text(size_t n, uint32_t seed)
{
	unsigned char *b = xmalloc(n ? n : 1);
	char line[96];
	size_t i = 0, k;
	int len;

	while (i < n) {
		seed = seed * 1103515245u + 12345u;
		len = snprintf(line, sizeof(line), "<property name=\"p%u\">"
		    "<![CDATA[value %u]]></property>\n", (seed >> 20) % 97,
		    seed >> 8);
		k = (size_t)len < n - i ? (size_t)len : n - i;
		memcpy(b + i, line, k);
		i += k;
	}
	return b;
}

struct member {
	const char	*name;
	unsigned char	*data;
	size_t		 n;
	int		 give_crc;
	int		 stream;	/* 1: pack_zip_begin_stream, 2: with zip64 */
};

static void
write_zip(const char *path, const struct member *m, size_t nm, int threads,
    size_t piece)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct pack_zip *z;
	size_t i, off, k;

	z = pack_zip_open(fd, path);
	pack_zip_threads(z, threads);
	for (i = 0; i < nm; i++) {
		if (m[i].stream)
			pack_zip_begin_stream(z, m[i].name, m[i].stream == 2);
		else
			pack_zip_begin(z, m[i].name, m[i].n, m[i].give_crc ?
			    (int64_t)io_crc32(0, m[i].data, m[i].n) :
			    PACK_CRC_UNKNOWN);
		for (off = 0; off < m[i].n; off += k) {
			k = m[i].n - off < piece ? m[i].n - off : piece;
			pack_zip_write(z, m[i].data + off, k);
		}
		pack_zip_end(z);
	}
	pack_zip_close(z);
	pack_zip_free(z);
	if (close(fd) != 0)
		perror(path);
}

static char *
slurp(const char *path, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		sb_add(&sb, buf, (size_t)n);
	if (fd >= 0)
		close(fd);
	*len = sb.len;
	return sb_detach(&sb);
}

/* Every member read back through zipin equals what was written. */
static int
read_back(const char *path, const struct member *m, size_t nm)
{
	struct zipin_limits lim;
	struct zipin *zi;
	const char *name;
	uint64_t size;
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t i, n, good = 0;

	zipin_default_limits(&lim);
	zi = zipin_open(path, &lim);
	zipin_rewind(zi);
	while (zipin_next(zi, &name, &size)) {
		sb_reset(&sb);
		while ((n = zipin_read(zi, buf, sizeof(buf))) > 0)
			sb_add(&sb, buf, n);
		for (i = 0; i < nm; i++)
			if (strcmp(m[i].name, name) == 0 && sb.len == m[i].n &&
			    (m[i].n == 0 || memcmp(sb.buf, m[i].data, m[i].n) == 0))
				good++;
	}
	zipin_close(zi);
	sb_free(&sb);
	return good == nm;
}

static int
sh(const char *fmt, const char *path)
{
	char cmd[512];
	int st;

	snprintf(cmd, sizeof(cmd), fmt, path);
	st = system(cmd);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int
have(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/* Write with 1, 2, 4, 4 threads; same bytes, readable, as generated. */
static void
check_set(const char *what, const struct member *m, size_t nm)
{
	static const int th[] = { 1, 2, 4, 4 };
	char p[] = "/tmp/test_zipout.XXXXXX";
	char *ref = NULL, *b;
	size_t rl = 0, l, i;
	int fd = mkstemp(p), same = 1;

	close(fd);
	for (i = 0; i < sizeof(th) / sizeof(th[0]); i++) {
		/* odd write sizes for the first, block-sized for the others */
		write_zip(p, m, nm, th[i], i == 0 ? 7777 : BLK);
		b = slurp(p, &l);
		if (ref == NULL) {
			ref = b;
			rl = l;
			continue;
		}
		if (l != rl || memcmp(b, ref, l) != 0)
			same = 0;
		free(b);
	}
	ok(same, "%s: same bytes with -j 1, 2, 4 and again 4", what);
	ok(read_back(p, m, nm), "%s: every member reads back as written "
	    "(inflate, CRC-32, size)", what);
	if (have("unzip"))
		ok(sh("unzip -tqq %s >/dev/null 2>&1", p), "%s: unzip -t", what);
	else
		tap_skip("%s: unzip not installed", what);
	if (have("python3"))
		ok(sh("python3 -c 'import sys, zipfile; z = zipfile.ZipFile("
		    "sys.argv[1]); sys.exit(z.testzip() is not None)' %s", p),
		    "%s: Python zipfile testzip", what);
	else
		tap_skip("%s: python3 not installed", what);
	free(ref);
	unlink(p);
}

/* A member of unknown size (pack_zip_begin_stream, what pack writes while
 * it rewrites entities.xml) gives the same bytes as the same member
 * announced with its size, below the zip64 limit; with zip64 it reads
 * back too. */
static void
test_stream(const struct member *m, size_t nm)
{
	char p[] = "/tmp/test_zipout.XXXXXX";
	struct member *s = xreallocarray(NULL, nm, sizeof(*s));
	char *a, *b;
	size_t la, lb, i;
	int fd = mkstemp(p);

	close(fd);
	write_zip(p, m, nm, 2, 7777);
	a = slurp(p, &la);
	memcpy(s, m, nm * sizeof(*s));
	for (i = 0; i < nm; i++)
		if (strcmp(s[i].name, "entities.xml") == 0 ||
		    strcmp(s[i].name, "exportDescriptor.properties") == 0)
			s[i].stream = 1;
	write_zip(p, s, nm, 2, 7777);
	b = slurp(p, &lb);
	ok(la == lb && memcmp(a, b, la) == 0, "streamed members: the same "
	    "bytes as announced with their sizes");
	free(b);
	for (i = 0; i < nm; i++)
		if (s[i].stream)
			s[i].stream = 2;
	write_zip(p, s, nm, 2, 7777);
	ok(read_back(p, s, nm), "streamed with zip64: every member reads back");
	if (have("python3"))
		ok(sh("python3 -c 'import sys, zipfile; z = zipfile.ZipFile("
		    "sys.argv[1]); sys.exit(z.testzip() is not None)' %s", p),
		    "streamed with zip64: Python zipfile testzip");
	else
		tap_skip("python3 not installed");
	free(a);
	free(s);
	unlink(p);
}

/* Raw deflate level 6 of the whole buffer in one call (the oracle). */
static size_t
plain_deflate(const unsigned char *in, size_t n, unsigned char **outp)
{
	z_stream s;
	size_t cap = n + n / 100 + 1024;
	unsigned char *o = xmalloc(cap);

	memset(&s, 0, sizeof(s));
	deflateInit2(&s, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	s.next_in = (unsigned char *)(uintptr_t)in;
	s.avail_in = (uInt)n;
	s.next_out = o;
	s.avail_out = (uInt)cap;
	deflate(&s, Z_FINISH);
	deflateEnd(&s);
	*outp = o;
	return s.total_out;
}

/* A one-block member is plain deflate: its data in the zip (after the
 * 30-byte local header and the name) is zlib's output byte for byte. */
static void
test_one_block_is_plain(void)
{
	char p[] = "/tmp/test_zipout1.XXXXXX";
	unsigned char *t = gen_text(BLK, 5), *d;
	struct member m = { "entities.xml", t, BLK, 1, 0 };
	size_t dl, l;
	char *b;
	int fd = mkstemp(p);

	close(fd);
	write_zip(p, &m, 1, 2, 1000);
	b = slurp(p, &l);
	dl = plain_deflate(t, BLK, &d);
	ok(l > 30 + 12 + dl && memcmp(b + 30 + 12, d, dl) == 0 &&
	    memcmp(b + 30 + 12 + dl, "PK\x07\x08", 4) == 0,
	    "a member of exactly one block is plain zlib deflate (%zu bytes)",
	    dl);
	free(b);
	free(d);
	free(t);
	unlink(p);
}

/* Blocks must really overlap through the dictionary: a member made of
 * one 200 KiB random chunk repeated compresses to about one copy. */
static void
test_dictionary_used(void)
{
	char p[] = "/tmp/test_zipout2.XXXXXX";
	size_t n = 4 * BLK, i, l;
	unsigned char *t = xmalloc(n);
	uint32_t seed = 9;
	struct member m = { "entities.xml", t, n, 0, 0 };
	char *b;
	int fd = mkstemp(p);

	close(fd);
	/* a 16 KiB random pattern repeated: matches only within 32 KiB */
	for (i = 0; i < 16384; i++) {
		seed = seed * 1103515245u + 12345u;
		t[i] = (unsigned char)(seed >> 16);
	}
	for (i = 16384; i < n; i++)
		t[i] = t[i - 16384];
	write_zip(p, &m, 1, 4, BLK);
	b = slurp(p, &l);
	/* without the dictionary each of the 4 blocks costs >= 16 KiB */
	ok(l < 16384 + 16384, "blocks primed with the previous 32 KiB: "
	    "1 MiB of a repeated 16 KiB random pattern takes %zu bytes", l);
	free(b);
	free(t);
	unlink(p);
}

int
main(void)
{
	unsigned char *big = gen_text(3 * BLK + 12345, 1);
	unsigned char *two = gen_text(2 * BLK, 2);
	unsigned char *one = gen_text(BLK, 3);
	unsigned char *many = gen_text(300000, 4);
	unsigned char byte[1] = { 'x' };
	struct member set1[] = {
		{ "exportDescriptor.properties", byte, 1, 0, 0 },	/* 1 byte, deflated */
		{ "entities.xml", big, 3 * BLK + 12345, 1, 0 },	/* 4 blocks */
		{ "attachments/1/2/1", two, 2 * BLK, 0, 0 },	/* exactly 2 blocks */
		{ "attachments/1/3/1", one, BLK, 1, 0 },		/* exactly 1 block */
		{ "attachments/1/4/1", big + 5, BLK + 1, 1, 0 },	/* 1 block + 1 byte */
		{ "attachments/1/5/1", byte, 0, 1, 0 },		/* empty (stored) */
	};
	struct member set2[] = {
		{ "entities.xml", byte, 0, 1, 0 },			/* empty, deflated */
		{ "exportDescriptor.properties", byte, 1, 1, 0 },
	};
	struct member set3[] = {
		{ "entities.xml", many, 300000, 1, 0 },		/* 300 blocks < 32 KiB */
		{ "attachments/9/9/9", many + 1000, 1000, 0, 0 },	/* exactly 1 small block */
	};

	diag_setprog("test_zipout");
	check_set("mixed sizes", set1, sizeof(set1) / sizeof(set1[0]));
	check_set("empty entities.xml", set2, sizeof(set2) / sizeof(set2[0]));
	test_stream(set1, sizeof(set1) / sizeof(set1[0]));
	test_stream(set2, sizeof(set2) / sizeof(set2[0]));
	pack_zip_test_block(1000);
	check_set("1000-byte blocks", set3, sizeof(set3) / sizeof(set3[0]));
	pack_zip_test_block(0);
	test_one_block_is_plain();
	test_dictionary_used();
	ok(pack_zip_ncpu() >= 1, "pack_zip_ncpu() = %d", pack_zip_ncpu());
	free(big);
	free(two);
	free(one);
	free(many);
	return tap_done();
}
