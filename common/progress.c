/*
 * progress.c - the progress line on standard error (see progress.h).
 *
 * Hand-written rather than a library (pv, libprogress): the line is a few
 * dozen lines of formatting, and a library would add a dependency and
 * its own idea of who owns the terminal.  The clock is CLOCK_MONOTONIC
 * (immune to the wall clock being set); it is read on each hook call,
 * which is cheap (vDSO) next to the 64-256 KiB reads and the object
 * parses the hooks sit on.  Writes go straight to fd 2 with write(2): one
 * write per redraw, never mixed with stdio buffers.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "progress.h"

#define FIRST_NS	500000000LL	/* first draw after 0.5 s */
#define EVERY_NS	200000000LL	/* then at most 5 redraws a second */
#define LINE_MAX_	256

static struct {
	int		 on;		/* drawing decided and not ended */
	int		 drawn;		/* a line is on the terminal */
	size_t		 width;		/* its length, to erase it */
	int64_t		 t0, tfirst, tnext;	/* ns: start, first byte, next redraw */
	uint64_t	 bytes, objects, total;
	int		 total_unknown;
} P;

static int64_t
now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Write all of buf to fd 2; on failure stop drawing (progress is not
 * worth an error of its own: the next real message will meet it). */
static void
put(const char *buf, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(2, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			P.on = 0;
			return;
		}
		buf += w;
		n -= (size_t)w;
	}
}

void
progress_start(int quiet)
{
	const char *env = getenv("SPACEPORT_PROGRESS");
	struct stat st;
	int always = 0;

	P.on = 0;
	if (quiet || !isatty(2))
		return;
	if (env != NULL && (strcmp(env, "never") == 0 || strcmp(env, "0") == 0))
		return;
	if (env != NULL && (strcmp(env, "always") == 0 || strcmp(env, "1") == 0))
		always = 1;
	/* Standard output feeding a later stage: that stage draws. */
	if (!always && fstat(1, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return;
	P.on = 1;
	P.t0 = now_ns();
	P.tnext = P.t0 + FIRST_NS;
}

void
progress_total(uint64_t n)
{
	if (n == 0)
		P.total_unknown = 1;
	else if (UINT64_MAX - P.total >= n)
		P.total += n;
}

/* "12.3 MiB" */
static void
fmt_bytes(char *buf, size_t size, double v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (v >= 1024 && u < sizeof(unit) / sizeof(unit[0]) - 1) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%.0f B", v);
	else
		snprintf(buf, size, "%.1f %s", v, unit[u]);
}

static void
draw(int64_t t)
{
	char line[LINE_MAX_], done[32], tot[32], rate[32], *p;
	size_t len, cols = 80, pad;
	double secs, bps = 0;
	struct winsize ws;
	int n;

	secs = P.tfirst > 0 ? (double)(t - P.tfirst) / 1e9 : 0;
	if (secs > 0.05)
		bps = (double)P.bytes / secs;
	fmt_bytes(done, sizeof(done), (double)P.bytes);
	n = snprintf(line, sizeof(line), "\r%s: %s", diag_prog(), done);
	if (!P.total_unknown && P.total > 0 && P.bytes <= P.total) {
		fmt_bytes(tot, sizeof(tot), (double)P.total);
		n += snprintf(line + n, sizeof(line) - (size_t)n, " of %s (%d%%)",
		    tot, (int)((double)P.bytes * 100 / (double)P.total));
	}
	if (P.objects > 0 && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n, ", %" PRIu64
		    " objects", P.objects);
	if (bps > 0 && (size_t)n < sizeof(line)) {
		fmt_bytes(rate, sizeof(rate), bps);
		n += snprintf(line + n, sizeof(line) - (size_t)n, ", %s/s", rate);
		if (!P.total_unknown && P.total > P.bytes && secs >= 1 &&
		    (size_t)n < sizeof(line)) {
			uint64_t left = (uint64_t)((double)(P.total - P.bytes) / bps + 0.999);

			if (left >= 3600)
				n += snprintf(line + n, sizeof(line) - (size_t)n,
				    ", %" PRIu64 ":%02" PRIu64 ":%02" PRIu64 " left",
				    left / 3600, left / 60 % 60, left % 60);
			else
				n += snprintf(line + n, sizeof(line) - (size_t)n,
				    ", %" PRIu64 ":%02" PRIu64 " left", left / 60,
				    left % 60);
		}
	}
	len = n < 0 ? 0 : (size_t)n >= sizeof(line) ? sizeof(line) - 1 :
	    (size_t)n;
	/* Never wrap: a wrapped line cannot be redrawn in place. */
	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		cols = ws.ws_col;
	if (len > cols)
		len = cols;		/* '\r' + cols - 1 characters */
	/* Pad over what the previous, longer line left. */
	p = line + len;
	for (pad = len - 1; pad < P.width && len < sizeof(line) - 1; pad++)
		*p++ = ' ', len++;
	put(line, len);
	P.width = len - 1;
	P.drawn = 1;
}

static void
tick(void)
{
	int64_t t = now_ns();

	if (P.tfirst == 0 && P.bytes > 0)
		P.tfirst = t;
	if (t < P.tnext)
		return;
	P.tnext = t + EVERY_NS;
	draw(t);
}

void
progress_bytes(uint64_t n)
{
	if (!P.on)
		return;
	P.bytes += n;
	tick();
}

void
progress_phase(void)
{
	P.bytes = 0;
	P.total = 0;
	P.total_unknown = 0;
	P.tfirst = 0;
}

void
progress_objects(uint64_t n)
{
	if (!P.on)
		return;
	P.objects += n;
	tick();
}

void
progress_clear(void)
{
	char blank[LINE_MAX_ + 2];
	size_t n;

	if (!P.drawn)
		return;
	n = P.width < LINE_MAX_ ? P.width : LINE_MAX_;
	blank[0] = '\r';
	memset(blank + 1, ' ', n);
	blank[n + 1] = '\r';
	P.drawn = 0;
	P.width = 0;
	put(blank, n + 2);
}

void
progress_end(void)
{
	progress_clear();
	P.on = 0;
}
