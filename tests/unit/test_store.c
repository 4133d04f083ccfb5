/*
 * test_store.c - unit tests for extract/store.c (TAP output).
 *
 * The expected paths are the worked examples of the attachment-store
 * notes (../shared/docs/attachment-store.md §2.2, §2.3, from Atlassian's
 * documentation and public scripts), not spaceport's output:
 *   v4:     327689 version 1 -> v4/14/0/327689/327689.1
 *   ver003: space 3473409, page 8061283, attachment 8061284, version 1
 *           -> ver003/159/223/3473409/33/61/8061283/8061284/1
 * A file is put at exactly that path in a temporary store and must be
 * found there; then the moved-file index, text extracts, sizes and
 * symbolic links.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "tap.h"
#include "extract.h"
#include "io.h"

static char root[256];

static void
put(const char *rel, const char *data)
{
	char path[1024], *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		(void)mkdir(path, 0700);
		*p = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, data, strlen(data)) != (ssize_t)strlen(data)) {
		printf("# cannot write %s: %s\n", path, strerror(errno));
		tap_fail();
	}
	if (fd != -1)
		close(fd);
}

/* store_find, returning the path found (or "-" and the tried list). */
static char *
find(struct store *s, const char *space, const char *page, const char *att,
    const char *ver, long long rec, long long *got, char **tried)
{
	char *rel = NULL;
	uint64_t size;
	uint32_t crc;

	if (!store_find(s, space, page, att, ver, rec, &rel, &size, &crc, tried,
	    got))
		return strdup("-");
	if (size != (uint64_t)rec && rec >= 0)
		printf("# size %llu, wanted %lld\n", (unsigned long long)size, rec);
	return rel;
}

int
main(void)
{
	struct store *s;
	char *r, *tried;
	long long got;

	diag_setprog("test_store");
	snprintf(root, sizeof(root), "%s/test_store.XXXXXX", io_tmpdir());
	if (mkdtemp(root) == NULL) {
		printf("1..0 # skip no temporary directory\n");
		return 0;
	}
	put("v4/14/0/327689/327689.1", "0123456789");
	put("v4/14/0/327689/327689.1.extracted_text", "text");
	put("ver003/159/223/3473409/33/61/8061283/8061284/1", "abcde");
	/* moved: under another page after the copy; its computed path is
	 * empty, and a text extract sits at the computed path */
	put("ver003/159/223/3473409/33/61/8061290/8061291/2", "moved!");
	put("ver003/159/223/3473409/33/61/8061283/8061291/2.extracted_text", "t");
	/* a stale file: wrong size */
	put("v4/20/0/327695/327695.3", "short");
	/* nonspaced */
	put("ver003/nonspaced/5/0/5005/5006/1", "np");

	s = store_open(root);
	r = find(s, "3473409", "8061283", "8061284", "1", 5, &got, &tried);
	is_str(r, "ver003/159/223/3473409/33/61/8061283/8061284/1",
	    "ver003: the documented path");
	free(r);
	free(tried);
	r = find(s, "1", "2", "327689", "1", 10, &got, &tried);
	is_str(r, "v4/14/0/327689/327689.1", "v4: the documented path (no space, "
	    "no page needed)");
	free(r);
	free(tried);
	r = find(s, NULL, "5005", "5006", "1", 2, &got, &tried);
	is_str(r, "ver003/nonspaced/5/0/5005/5006/1",
	    "ver003: a container without a space is under nonspaced");
	free(r);
	free(tried);
	r = find(s, "3473409", "8061283", "8061291", "2", 6, &got, &tried);
	is_str(r, "ver003/159/223/3473409/33/61/8061290/8061291/2",
	    "a moved file is found by the index, not its text extract");
	ok(strstr(tried, "v4/") != NULL && strstr(tried, "(index)") != NULL,
	    "the paths tried are listed: %s", tried);
	free(r);
	free(tried);
	r = find(s, "1", "2", "327695", "3", 31333, &got, &tried);
	is_str(r, "-", "a file of the wrong size is not taken");
	ok(got == 5, "its size is reported (%lld)", got);
	free(r);
	free(tried);
	r = find(s, "1", "2", "327689", "1", 11, &got, &tried);
	is_str(r, "-", "the recorded size decides, one byte is enough");
	free(r);
	free(tried);
	r = find(s, "1", "2", "999", "1", -1, &got, &tried);
	is_str(r, "-", "a missing file");
	ok(got == -1 && strstr(tried, "no other file") != NULL,
	    "a missing file: said so (%s)", tried);
	free(r);
	free(tried);
	r = find(s, "1", "../../etc", "passwd", "1", -1, &got, &tried);
	is_str(r, "-", "ids that are not numbers build no path");
	free(r);
	free(tried);
	store_close(s);

	/* symbolic links: neither a linked file nor a linked folder */
	{
		char a[512], b[512];

		put("outside/327689.1", "0123456789");
		snprintf(a, sizeof(a), "%s/outside/327689.1", root);
		snprintf(b, sizeof(b), "%s/store2/v4/14/0/327689", root);
		put("store2/v4/14/0/327689/x", "");
		snprintf(b, sizeof(b), "%s/store2/v4/14/0/327689/327689.1", root);
		ok(symlink(a, b) == 0, "symlink made");
		snprintf(a, sizeof(a), "%s/outside", root);
		snprintf(b, sizeof(b), "%s/store2/ver003", root);
		ok(symlink(a, b) == 0, "symlinked folder made");
		snprintf(b, sizeof(b), "%s/store2", root);
		s = store_open(b);
		r = find(s, "1", "2", "327689", "1", 10, &got, &tried);
		is_str(r, "-", "a symlinked file is not read, nor found by the "
		    "index through a symlinked folder");
		free(r);
		free(tried);
		store_close(s);
	}
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			printf("# cannot remove %s\n", root);
	}
	return tap_done();
}
