/*
 * users.c - the user table: every user the export references.
 *
 * Held in memory (a hash table keyed by user key, or by lower-cased
 * username for users known only by name): the one structure allowed to
 * grow with the export, since it grows with the number of users, not of
 * objects.  Usernames compare case-insensitively, as Confluence's do.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "extract.h"
#include "report.h"
#include "strbuf.h"
#include "tsv.h"

static uint64_t
hash(const char *tag, const char *s, int fold)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	h = (h ^ (unsigned char)tag[0]) * 1099511628211ULL;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)(fold ? tolower((unsigned char)*s) :
		    *s)) * 1099511628211ULL;
	return h;
}

static void
grow(struct extract *x)
{
	struct uent **nt, *u, *next;
	size_t ncap = x->utcap ? x->utcap * 2 : 1024, i;

	nt = xcalloc(ncap, sizeof(*nt));
	for (i = 0; i < x->utcap; i++)
		for (u = x->ut[i]; u != NULL; u = next) {
			uint64_t h;

			next = u->next;
			h = u->key != NULL ? hash("k", u->key, 0) :
			    hash("n", u->username, 1);
			u->next = nt[h & (ncap - 1)];
			nt[h & (ncap - 1)] = u;
		}
	free(x->ut);
	x->ut = nt;
	x->utcap = ncap;
}

/* Find or create the row for a key (key != NULL) or a name. */
static struct uent *
lookup(struct extract *x, const char *key, const char *name)
{
	uint64_t h;
	struct uent *u;

	if (x->nusers >= x->utcap / 2)
		grow(x);
	h = key != NULL ? hash("k", key, 0) : hash("n", name, 1);
	for (u = x->ut[h & (x->utcap - 1)]; u != NULL; u = u->next) {
		if (key != NULL && u->key != NULL && strcmp(u->key, key) == 0)
			return u;
		if (key == NULL && u->key == NULL &&
		    strcasecmp(u->username, name) == 0)
			return u;
	}
	u = xcalloc(1, sizeof(*u));
	u->key = key != NULL ? xstrdup(key) : NULL;
	u->username = name != NULL ? xstrdup(name) : NULL;
	u->next = x->ut[h & (x->utcap - 1)];
	x->ut[h & (x->utcap - 1)] = u;
	x->nusers++;
	return u;
}

void
users_ref(struct extract *x, enum ref_kind k, const char *key,
    const char *username)
{
	x->refs[k]++;
	if (key != NULL && *key != '\0')
		lookup(x, key, NULL)->n[k]++;
	else if (username != NULL && *username != '\0')
		lookup(x, NULL, username)->n[k]++;
}

void
users_object(struct extract *x, const char *key, const char *name,
    const char *email, const char *aaid)
{
	struct uent *u = lookup(x, key, NULL);

	if (u->object)
		report_finding("duplicate-user-object", PKG_ENTITIES, 0, key,
		    "user key %s has more than one ConfluenceUserImpl object",
		    key);
	u->object = 1;
	if (name != NULL) {
		free(u->username);
		u->username = xstrdup(name);
		u->deleted = strcmp(name, key) == 0;
	}
	if (email != NULL && *email != '\0') {
		free(u->email);
		u->email = xstrdup(email);
	}
	if (aaid != NULL && *aaid != '\0') {
		free(u->aaid);
		u->aaid = xstrdup(aaid);
	}
}

static uint64_t
total(const struct uent *u)
{
	uint64_t t = 0;
	int k;

	for (k = 0; k < REF_NKINDS; k++)
		t += u->n[k];
	return t;
}

static int
cmp_users(const void *a, const void *b)
{
	const struct uent *u = *(struct uent *const *)a;
	const struct uent *v = *(struct uent *const *)b;
	int c = strcmp(u->key != NULL ? u->key : "", v->key != NULL ? v->key : "");

	if (c != 0)
		return c;
	return strcmp(u->username != NULL ? u->username : "",
	    v->username != NULL ? v->username : "");
}

static int
cmp_aaid(const void *a, const void *b)
{
	return strcmp((*(struct uent *const *)a)->aaid,
	    (*(struct uent *const *)b)->aaid);
}

static int
cmp_lname(const void *a, const void *b)
{
	const struct uent *u = *(struct uent *const *)a;
	const struct uent *v = *(struct uent *const *)b;

	return strcasecmp(u->username, v->username);
}

size_t
users_final(struct extract *x, struct uent ***out)
{
	struct uent **all, **named, **cloud, *u, **hit;
	size_t n = 0, nn = 0, nc = 0, i, k;

	all = xreallocarray(NULL, x->nusers + 1, sizeof(*all));
	named = xreallocarray(NULL, x->nusers + 1, sizeof(*named));
	cloud = xreallocarray(NULL, x->nusers + 1, sizeof(*cloud));
	for (i = 0; i < x->utcap; i++)
		for (u = x->ut[i]; u != NULL; u = u->next) {
			if (u->key != NULL && u->username != NULL && u->object)
				named[nn++] = u;
			if (u->object && u->aaid != NULL)
				cloud[nc++] = u;
		}
	qsort(named, nn, sizeof(*named), cmp_lname);
	qsort(cloud, nc, sizeof(*cloud), cmp_aaid);
	for (i = 0; i < x->utcap; i++)
		for (u = x->ut[i]; u != NULL; u = u->next) {
			if (u->key == NULL && nn > 0) {
				/* A name matching a user object: count it there. */
				hit = bsearch(&u, named, nn, sizeof(*named),
				    cmp_lname);
				if (hit != NULL) {
					for (k = 0; k < REF_NKINDS; k++)
						(*hit)->n[k] += u->n[k];
					continue;
				}
			}
			if (u->key != NULL && !u->object && nc > 0) {
				/* A Cloud-shaped export (or our own output)
				 * names users by account ID in places such as
				 * status-lastmodifier: count it on that user. */
				struct uent probe, *pp = &probe;

				probe.aaid = u->key;
				hit = bsearch(&pp, cloud, nc, sizeof(*cloud),
				    cmp_aaid);
				if (hit != NULL) {
					for (k = 0; k < REF_NKINDS; k++)
						(*hit)->n[k] += u->n[k];
					continue;
				}
			}
			all[n++] = u;
		}
	free(named);
	free(cloud);
	qsort(all, n, sizeof(*all), cmp_users);
	for (i = 0; i < n; i++) {
		u = all[i];
		if (u->key != NULL && !u->object)
			report_finding("user-unknown-key", PKG_ENTITIES, 0, u->key,
			    "user key %s is referenced %llu time(s) but has no "
			    "user object in the export", u->key,
			    (unsigned long long)total(u));
	}
	*out = all;
	return n;
}

/* Spooled, not built in memory: 100,000 users make 7 MB of users.tsv
 * (issue 11, extract's peak memory). */
void
users_tsv(struct uent **u, size_t n, struct spool *out)
{
	struct strbuf line = STRBUF_INIT, *sb = &line;
	size_t i;
	int k, first;

	sb_adds(sb, "key\tusername\temail\trefs\tobject\tdeleted\tkinds\n");
	for (i = 0; i < n; i++) {
		const char *s;

		s = u[i]->key != NULL ? u[i]->key : "";
		tsv_add_field(sb, s, strlen(s));
		sb_addc(sb, '\t');
		s = u[i]->username != NULL ? u[i]->username : "";
		tsv_add_field(sb, s, strlen(s));
		sb_addc(sb, '\t');
		s = u[i]->email != NULL ? u[i]->email : "";
		tsv_add_field(sb, s, strlen(s));
		sb_addf(sb, "\t%llu\t%d\t%d\t", (unsigned long long)total(u[i]),
		    u[i]->object, u[i]->deleted);
		for (k = 0, first = 1; k < REF_NKINDS; k++) {
			if (u[i]->n[k] == 0)
				continue;
			sb_addf(sb, "%s%s=%llu", first ? "" : ",",
			    ref_kind_name((enum ref_kind)k),
			    (unsigned long long)u[i]->n[k]);
			first = 0;
		}
		sb_addc(sb, '\n');
		if (sb->len >= 65536) {
			spool_write(out, sb->buf, sb->len);
			sb_reset(sb);
		}
	}
	spool_write(out, sb->buf, sb->len);
	sb_free(sb);
}

void
users_free(struct extract *x)
{
	struct uent *u, *next;
	size_t i;

	for (i = 0; i < x->utcap; i++)
		for (u = x->ut[i]; u != NULL; u = next) {
			next = u->next;
			free(u->key);
			free(u->username);
			free(u->email);
			free(u->aaid);
			free(u);
		}
	free(x->ut);
	x->ut = NULL;
	x->utcap = x->nusers = 0;
}
