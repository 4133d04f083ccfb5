/*
 * driver.c - runs a libFuzzer harness without libFuzzer, for
 * `make regress`: any C compiler builds it (no clang needed), so every
 * harness runs over its seeds and saved reproducers in `make check` and
 * CI everywhere.
 *
 *   fuzz_NAME [-options ignored] FILE|DIR...
 *
 * Every file (a directory's files in strcmp order, not recursing) is fed
 * to LLVMFuzzerTestOneInput once, in a child process of its own, so an
 * input that aborts, crashes or exits is reported with its name and its
 * output, and the run goes on to the next.  Prints one summary line;
 * exit 0 when every input passed, 1 otherwise, 2 on a usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ninputs, nfailed;

static void
run_one(const char *path)
{
	FILE *fp, *err;
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0, r;
	int status;
	pid_t pid;
	char line[512];

	ninputs++;
	if ((err = tmpfile()) == NULL) {
		perror("tmpfile");
		exit(2);
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		dup2(fileno(err), 2);
		if ((fp = fopen(path, "rb")) == NULL) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			_exit(3);
		}
		do {
			if (n == cap) {
				cap = cap ? cap * 2 : 65536;
				if ((buf = realloc(buf, cap)) == NULL)
					_exit(3);
			}
			r = fread(buf + n, 1, cap - n, fp);
			n += r;
		} while (r > 0);
		fclose(fp);
		LLVMFuzzerTestOneInput(buf, n);
		free(buf);
		exit(0);	/* exit, not _exit: LeakSanitizer runs here */
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			perror("waitpid");
			exit(2);
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		fclose(err);
		return;
	}
	nfailed++;
	if (WIFSIGNALED(status))
		printf("FAIL %s (signal %d)\n", path, WTERMSIG(status));
	else
		printf("FAIL %s (exit %d)\n", path, WEXITSTATUS(status));
	rewind(err);
	while (fgets(line, sizeof(line), err) != NULL)
		printf("  %s", line);
	fclose(err);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
run_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	char **names = NULL, full[4096];
	size_t n = 0, i;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		run_one(path);
		return;
	}
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(2);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((names = realloc(names, (n + 1) * sizeof(*names))) == NULL ||
		    (names[n] = strdup(de->d_name)) == NULL)
			exit(2);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp);
	for (i = 0; i < n; i++) {
		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode))
			run_one(full);
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');
	int i;

	name = name != NULL ? name + 1 : argv[0];
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", name);
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			run_path(argv[i]);
	printf("%s: %d inputs, %d failed\n", name, ninputs, nfailed);
	return nfailed > 0;
}
