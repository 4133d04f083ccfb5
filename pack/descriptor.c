/*
 * descriptor.c - exportDescriptor.properties as Confluence Cloud writes it.
 *
 * Keys and their order are those of every real Cloud space export we have
 * (fixtures/real/xwiki-cloud-attachhist, xwiki-cloud-spanishaccents,
 * alexmar-cloud-space-descriptor: java.util.Properties.store's Hashtable
 * order, identical in all three).  Each value and why it was chosen is in
 * docs/cloud-descriptor.md and spaceport-pack(1); in short:
 *
 *   source=cloud                 the Cloud importer's documented input is a
 *                                Cloud export; consumers branch on it
 *   buildNumber=4515             what every Cloud export declares (earliest
 *                                compatible build)
 *   createdByBuildNumber=8703    } the newest Cloud pair seen in a real
 *   createdByVersionNumber=...   } export (Oct 2025)
 *   exportType                   the export's (space, or all for a site)
 *   spaceKey                     the export's, or --space-key NEW
 *   defaultUsersGroup            the export's, else confluence-users
 *   timezoneId                   --timezone ZONE, else the export's, else
 *                                UTC (Server exports do not record it)
 *   inlineTasksFileIncluded      true only when AO_BAF3AA_AOINLINE_TASK.csv
 *                                is carried
 *   backupAttachments            the export's, else true
 *   ao.data.*                    the export's, unchanged
 *
 * The "#date" comment line is the export's own (its descriptor's first
 * comment), else the entities.xml root datetime written the way Cloud
 * writes dates, else a fixed date: never the clock.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "props.h"
#include "strbuf.h"
#include "pack.h"

#define CLOUD_BUILD		"4515"
#define CLOUD_CREATED_BUILD	"8703"
#define CLOUD_CREATED_VERSION	"1000.0.0-d11bb6fdc5c8"
#define FIXED_DATE		"Sat Jan 01 00:00:00 UTC 2000"

#ifndef PACK_ZONEINFO
#define PACK_ZONEINFO		"/usr/share/zoneinfo"
#endif
#define ZONE_MAX		64	/* longest IANA name is ~32 bytes */

#define AO_MYWORK	"com.atlassian.mywork.mywork-confluence-host-plugin"
#define AO_SPACEIA	"com.atlassian.confluence.plugins.confluence-space-ia"

int
pack_date_comment(const char *dt, struct strbuf *out)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int y, m, d, H, M, S, n = 0;
	struct tm tm;
	time_t t;

	if (dt == NULL || sscanf(dt, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &m, &d,
	    &H, &M, &S, &n) != 6 || n == 0)
		return -1;
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 ||
	    H > 23 || M > 59 || S > 60 || H < 0 || M < 0 || S < 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = H;
	tm.tm_min = M;
	tm.tm_sec = S;
	t = timegm(&tm);	/* no dependence on TZ */
	if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL)
		return -1;
	sb_addf(out, "%s %s %02d %02d:%02d:%02d UTC %04d", wd[tm.tm_wday],
	    mo[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    tm.tm_year + 1900);
	return 0;
}

/*
 * --timezone: an IANA zone name the Cloud importer (Java's ZoneId) knows.
 * The name is checked by its shape first (components of letters, digits,
 * '_', '+', '-', each starting with a letter; no "." or ".." component, no
 * leading '/'), so it can never leave the zoneinfo directory by itself;
 * then PACK_ZONEINFO/NAME must be a regular TZif file whose real path is
 * still inside the zoneinfo directory (links such as US/Eastern ->
 * ../America/New_York are fine).  Neither TZ nor the locale is consulted.
 * posix/, right/ and the non-zone files (posixrules, localtime, Factory)
 * are refused: Java does not know them.
 */
const char *
pack_timezone_invalid(const char *zone)
{
	static const char *const refused[] = { "posixrules", "localtime",
	    "Factory", "posix/", "right/" };
	char path[PATH_MAX], real[PATH_MAX], dir[PATH_MAX], magic[4];
	const char *p;
	struct stat st;
	size_t i, n;
	int fd, start = 1;
	ssize_t r;

	n = strlen(zone);
	if (n == 0 || n > ZONE_MAX)
		return "not an IANA time zone name";
	for (p = zone; *p != '\0'; p++) {
		if (*p == '/') {
			if (start)
				return "not an IANA time zone name";
			start = 1;
			continue;
		}
		if (start && !((*p >= 'A' && *p <= 'Z') ||
		    (*p >= 'a' && *p <= 'z')))
			return "not an IANA time zone name";
		start = 0;
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '+' ||
		    *p == '-'))
			return "not an IANA time zone name";
	}
	if (start)
		return "not an IANA time zone name";
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (strncmp(zone, refused[i], strlen(refused[i])) == 0 &&
		    (refused[i][strlen(refused[i]) - 1] == '/' ||
		    zone[strlen(refused[i])] == '\0'))
			return "not a time zone the Cloud importer knows";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", PACK_ZONEINFO,
	    zone) >= sizeof(path))
		return "not an IANA time zone name";
	if (realpath(PACK_ZONEINFO, dir) == NULL)
		return "no time zone database (" PACK_ZONEINFO ")";
	if (realpath(path, real) == NULL || stat(real, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return "unknown time zone (not in " PACK_ZONEINFO ")";
	n = strlen(dir);
	if (strncmp(real, dir, n) != 0 || real[n] != '/')
		return "unknown time zone (not in " PACK_ZONEINFO ")";
	if ((fd = open(real, O_RDONLY | O_CLOEXEC)) < 0)
		return "unknown time zone (cannot read its zoneinfo file)";
	r = read(fd, magic, sizeof(magic));
	close(fd);
	if (r != (ssize_t)sizeof(magic) || memcmp(magic, "TZif", 4) != 0)
		return "unknown time zone (not a TZif file)";
	return NULL;
}

const char *
pack_desc_timezone(const struct pack_desc_in *in, const char **from)
{
	const char *v;

	if (in->timezone != NULL) {
		*from = "--timezone";
		return in->timezone;
	}
	if (in->src != NULL && (v = props_get(in->src, "timezoneId")) != NULL &&
	    *v != '\0') {
		*from = "the export's descriptor";
		return v;
	}
	*from = "assumed: Server exports record no time zone; see --timezone";
	return "UTC";
}

static const char *
src_get(const struct pack_desc_in *in, const char *key)
{
	const char *v;

	if (in->src == NULL)
		return NULL;
	v = props_get(in->src, key);
	return v != NULL && *v != '\0' ? v : NULL;
}

static void
set(struct props *p, const char *key, const char *val)
{
	if (val != NULL)
		props_set(p, key, val);
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
pack_descriptor(const struct pack_desc_in *in, struct strbuf *out)
{
	struct props p;
	struct strbuf date = STRBUF_INIT;
	const char *v, *et;
	const char **extra = NULL;
	size_t nextra = 0, i;

	memset(&p, 0, sizeof(p));
	if (in->src != NULL && in->src->comment != NULL &&
	    in->src->comment[0] != '\0' && strchr(in->src->comment, '\n') == NULL)
		sb_adds(&date, in->src->comment);
	else if (pack_date_comment(in->datetime, &date) != 0)
		sb_adds(&date, FIXED_DATE);
	p.comment = sb_detach(&date);

	set(&p, "ao.data.version.min." AO_MYWORK,
	    src_get(in, "ao.data.version.min." AO_MYWORK));
	set(&p, "ao.data.version." AO_MYWORK,
	    src_get(in, "ao.data.version." AO_MYWORK));
	set(&p, "createdByVersionNumber", CLOUD_CREATED_VERSION);
	set(&p, "source", "cloud");
	set(&p, "buildNumber", CLOUD_BUILD);
	set(&p, "ao.data.list", src_get(in, "ao.data.list"));
	set(&p, "spaceKey", in->space_key);
	set(&p, "ao.data.version.min." AO_SPACEIA,
	    src_get(in, "ao.data.version.min." AO_SPACEIA));
	v = src_get(in, "defaultUsersGroup");
	set(&p, "defaultUsersGroup", v != NULL ? v : "confluence-users");
	set(&p, "ao.data.version." AO_SPACEIA,
	    src_get(in, "ao.data.version." AO_SPACEIA));
	et = src_get(in, "exportType");
	set(&p, "exportType", et != NULL && (strcmp(et, "all") == 0 ||
	    strcmp(et, "site") == 0) ? "all" : "space");
	set(&p, "createdByBuildNumber", CLOUD_CREATED_BUILD);
	set(&p, "timezoneId", pack_desc_timezone(in, &v));
	if (in->tasks_csv)
		set(&p, "inlineTasksFileIncluded", "true");
	v = src_get(in, "backupAttachments");
	set(&p, "backupAttachments", v != NULL ? v : "true");

	/* AO data versions of other plugins: carried, in strcmp order. */
	for (i = 0; in->src != NULL && i < in->src->n; i++) {
		const char *k = in->src->key[i];

		if (strncmp(k, "ao.data.version.", 16) == 0 &&
		    props_get(&p, k) == NULL) {
			extra = xreallocarray(extra, nextra + 1, sizeof(*extra));
			extra[nextra++] = k;
		}
	}
	if (nextra > 0)
		qsort(extra, nextra, sizeof(*extra), cmpstr);
	for (i = 0; i < nextra; i++)
		set(&p, extra[i], props_get(in->src, extra[i]));
	free(extra);
	props_format(&p, out);
	props_free(&p);
}
