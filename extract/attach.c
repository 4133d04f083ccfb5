/*
 * attach.c - attachment objects against attachment files, and the
 * child->parent relations, both kept in the working SQLite database so
 * memory does not grow with the export.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "extract.h"
#include "report.h"
#include "strbuf.h"
#include "tsv.h"

static sqlite3_stmt *ins_att, *ins_size, *ins_rel, *ins_spc, *ins_aprop;

void
attach_init(struct extract *x)
{
	db_open(&x->db, NULL);
	db_exec(&x->db,
	    "CREATE TABLE att(objid TEXT, container TEXT, file_id TEXT,"
	    " version TEXT, name TEXT, size INTEGER, status TEXT, path TEXT,"
	    " space TEXT);"
	    "CREATE TABLE fsize(att_id TEXT, size INTEGER, prop_id TEXT);"
	    "CREATE TABLE aprop(att_id TEXT, prop_id TEXT);"
	    "CREATE TABLE spc(content TEXT, space TEXT);"
	    "CREATE TABLE files(path TEXT PRIMARY KEY, size INTEGER);"
	    "CREATE TABLE sfiles(path TEXT PRIMARY KEY, rel TEXT, size INTEGER,"
	    " crc INTEGER);"
	    "CREATE TABLE smiss(path TEXT PRIMARY KEY);"
	    "CREATE TABLE rel(pcls TEXT, pid TEXT, coll TEXT, ccls TEXT,"
	    " cid TEXT);"
	    "BEGIN;");
	ins_att = db_prep(&x->db, "INSERT INTO att VALUES(?,?,?,?,?,?,?,?,?)");
	ins_size = db_prep(&x->db, "INSERT INTO fsize VALUES(?,?,?)");
	ins_spc = db_prep(&x->db, "INSERT INTO spc VALUES(?,?)");
	ins_aprop = db_prep(&x->db, "INSERT INTO aprop VALUES(?,?)");
	ins_rel = db_prep(&x->db, "INSERT INTO rel VALUES(?,?,?,?,?)");
}

void
attach_object(struct extract *x, const struct xobj *o)
{
	struct att_info a;
	const struct xmember *m;
	const char *coll;
	size_t i;

	for (i = 0; i < o->nmem; i++) {
		m = &o->mem[i];
		if ((coll = model_collection_for(o, m)) == NULL ||
		    o->id == NULL)
			continue;
		db_bind_text(&x->db, ins_rel, 1, m->cls, -1);
		db_bind_text(&x->db, ins_rel, 2, m->value, -1);
		db_bind_text(&x->db, ins_rel, 3, coll, -1);
		db_bind_text(&x->db, ins_rel, 4, o->cls, -1);
		db_bind_text(&x->db, ins_rel, 5, o->id, -1);
		db_run(&x->db, ins_rel);
	}
	if (o->cls != NULL && strcmp(o->cls, "ContentProperty") == 0) {
		const struct xmember *n = xobj_member(o, "name");
		const struct xmember *c = xobj_member(o, "content");
		const struct xmember *v = xobj_member(o, "longValue");

		/* FILESIZE: by its content reference (8.3+), or by the
		 * attachment's contentProperties collection (legacy). */
		if (n != NULL && n->value != NULL &&
		    strcmp(n->value, "FILESIZE") == 0 && v != NULL &&
		    v->value != NULL && !v->is_null && v->value_len > 0) {
			if (c != NULL && c->kind == XM_REF)
				db_bind_text(&x->db, ins_size, 1, c->value, -1);
			else
				db_bind_null(&x->db, ins_size, 1);
			db_bind_i64(&x->db, ins_size, 2, strtoll(v->value, NULL, 10));
			db_bind_text(&x->db, ins_size, 3, o->id, -1);
			db_run(&x->db, ins_size);
		}
		return;
	}
	/* The space of every content object, for the ver003 store layout. */
	if ((m = xobj_member(o, "space")) != NULL && m->kind == XM_REF &&
	    m->value != NULL && o->id != NULL) {
		db_bind_text(&x->db, ins_spc, 1, o->id, -1);
		db_bind_text(&x->db, ins_spc, 2, m->value, -1);
		db_run(&x->db, ins_spc);
	}
	if (!model_attachment(o, &a))
		return;
	x->att_objects++;
	if ((m = xobj_member(o, "contentProperties")) != NULL &&
	    m->kind == XM_COLL)
		for (i = 0; i < m->nelem; i++) {
			if (m->elem[i].value == NULL)
				continue;
			db_bind_text(&x->db, ins_aprop, 1, o->id, -1);
			db_bind_text(&x->db, ins_aprop, 2, m->elem[i].value, -1);
			db_run(&x->db, ins_aprop);
		}
	db_bind_text(&x->db, ins_att, 1, o->id, -1);
	db_bind_text(&x->db, ins_att, 2, a.container, -1);
	db_bind_text(&x->db, ins_att, 3, a.file_id, -1);
	db_bind_text(&x->db, ins_att, 4, a.version, -1);
	db_bind_text(&x->db, ins_att, 5, a.name, -1);
	if (a.size >= 0)
		db_bind_i64(&x->db, ins_att, 6, a.size);
	else
		db_bind_null(&x->db, ins_att, 6);
	db_bind_text(&x->db, ins_att, 7, a.status, -1);
	if (a.container != NULL) {
		struct strbuf p = STRBUF_INIT;

		sb_addf(&p, "attachments/%s/%s/%s", a.container, a.file_id,
		    a.version);
		db_bind_text(&x->db, ins_att, 8, p.buf, (int)p.len);
		sb_free(&p);
	} else
		db_bind_null(&x->db, ins_att, 8);
	m = xobj_member(o, "space");
	if (m != NULL && m->kind == XM_REF && m->value != NULL)
		db_bind_text(&x->db, ins_att, 9, m->value, -1);
	else
		db_bind_null(&x->db, ins_att, 9);
	db_run(&x->db, ins_att);
}

#define REC_SIZE(a) \
	"coalesce(" a ".size, (SELECT max(size) FROM fsize WHERE att_id = " \
	a ".objid), (SELECT max(f.size) FROM aprop p JOIN fsize f" \
	" ON f.prop_id = p.prop_id WHERE p.att_id = " a ".objid))"

/* --attachments-from: every file the export lacks, from the store. */
static void
from_store(struct extract *x)
{
	sqlite3_stmt *st, *ins, *miss;
	struct strbuf lbl = STRBUF_INIT;

	ins = db_prep(&x->db, "INSERT INTO sfiles VALUES(?,?,?,?)");
	miss = db_prep(&x->db, "INSERT INTO smiss VALUES(?)");
	/* One row per file: its attachment, page, space, recorded size.
	 * Trashed attachments are taken when the store has them (an export
	 * carries their files when the server still has them) and else
	 * reported as today (attachment-missing-trashed). */
	st = db_prep(&x->db,
	    "SELECT a.path, min(a.objid), a.container, a.file_id, a.version,"
	    " max(" REC_SIZE("a") "), coalesce((SELECT min(space) FROM spc"
	    "  WHERE content = a.container), min(a.space)), min(a.name),"
	    " max(coalesce(a.status, '') = 'deleted')"
	    " FROM att a WHERE a.path IS NOT NULL"
	    " AND a.path NOT IN (SELECT path FROM files)"
	    " GROUP BY a.path ORDER BY a.path");
	while (db_step(&x->db, st)) {
		const char *path = (const char *)sqlite3_column_text(st, 0);
		const char *objid = (const char *)sqlite3_column_text(st, 1);
		const char *name = (const char *)sqlite3_column_text(st, 7);
		long long rec = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 5);
		char *rel = NULL, *tried = NULL;
		uint64_t size;
		uint32_t crc;
		long long got;

		if (store_find(x->store, (const char *)sqlite3_column_text(st, 6),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3),
		    (const char *)sqlite3_column_text(st, 4), rec, &rel, &size,
		    &crc, &tried, &got)) {
			db_bind_text(&x->db, ins, 1, path, -1);
			db_bind_text(&x->db, ins, 2, rel, -1);
			db_bind_i64(&x->db, ins, 3, (int64_t)size);
			db_bind_i64(&x->db, ins, 4, (int64_t)crc);
			db_run(&x->db, ins);
			free(rel);
			free(tried);
			continue;
		}
		if (sqlite3_column_int(st, 8)) {
			free(tried);
			continue;	/* trashed: reported below as today */
		}
		sb_reset(&lbl);
		sb_addf(&lbl, "attachment %s \"%s\" on page %s", objid,
		    name != NULL ? name : "", sqlite3_column_text(st, 2));
		if (got >= 0)
			report_finding("store-size-mismatch", NULL, 0, path,
			    "%s: %s: the store's file has %lld bytes, the export "
			    "records %lld (tried %s)", path, lbl.buf, got, rec,
			    tried);
		else
			report_finding("store-missing", NULL, 0, path,
			    "%s: %s: not in the store (tried %s)", path, lbl.buf,
			    tried);
		db_bind_text(&x->db, miss, 1, path, -1);
		db_run(&x->db, miss);
		free(tried);
	}
	db_finalize(st);
	db_finalize(ins);
	db_finalize(miss);
	sb_free(&lbl);
	db_exec(&x->db, "INSERT INTO files SELECT path, size FROM sfiles;");
}

void
attach_check(struct extract *x)
{
	const struct zipin_entry *e;
	sqlite3_stmt *st;
	size_t n, i;
	const char *ba = props_get(&x->desc, "backupAttachments");
	int with_files = ba == NULL || *ba == '\0' || strcmp(ba, "false") != 0;

	db_finalize(ins_att);
	db_finalize(ins_size);
	db_finalize(ins_rel);
	db_finalize(ins_spc);
	db_finalize(ins_aprop);
	ins_att = ins_size = ins_rel = ins_spc = ins_aprop = NULL;
	db_exec(&x->db, "COMMIT; CREATE INDEX att_path ON att(path);"
	    "CREATE INDEX fsize_id ON fsize(att_id);"
	    "CREATE INDEX fsize_prop ON fsize(prop_id);"
	    "CREATE INDEX aprop_att ON aprop(att_id);"
	    "CREATE INDEX spc_content ON spc(content); BEGIN;");
	n = zipin_entries(x->zip, &e);
	/* With --space only the files of the space's attachments count:
	 * the others belong to other spaces. */
	st = db_prep(&x->db, x->space_key != NULL ?
	    "INSERT INTO files SELECT ?1, ?2 WHERE EXISTS"
	    " (SELECT 1 FROM att WHERE path = ?1)" :
	    "INSERT INTO files VALUES(?1, ?2)");
	for (i = 0; i < n; i++) {
		if (strncmp(e[i].name, "attachments/", 12) != 0)
			continue;
		db_bind_text(&x->db, st, 1, e[i].name, -1);
		db_bind_i64(&x->db, st, 2, (int64_t)e[i].size);
		db_run(&x->db, st);
	}
	db_finalize(st);
	if (x->store_dir != NULL) {
		x->store = store_open(x->store_dir);
		from_store(x);
		/* The files are in the package now, whatever the export
		 * said: as in a space export with its attachments. */
		if (!with_files)
			desc_set(x, "backupAttachments", "true");
		with_files = 1;
	}
	db_exec(&x->db, "COMMIT;");

	if (!with_files) {
		st = db_prep(&x->db, "SELECT count(*) FROM att");
		if (db_step(&x->db, st) && sqlite3_column_int64(st, 0) > 0)
			report_finding("attachments-not-included",
			    PKG_DESCRIPTOR, 0, NULL, "backupAttachments=false: "
			    "%lld attachment(s) have no files in this export",
			    (long long)sqlite3_column_int64(st, 0));
		db_finalize(st);
	} else {
		st = db_prep(&x->db,
		    "SELECT path, min(objid), name, max(status = 'deleted')"
		    " FROM att WHERE path IS NOT NULL"
		    " AND path NOT IN (SELECT path FROM files)"
		    " AND path NOT IN (SELECT path FROM smiss)"
		    " GROUP BY path ORDER BY path");
		while (db_step(&x->db, st)) {
			int trashed = sqlite3_column_int(st, 3);

			report_finding(trashed ? "attachment-missing-trashed" :
			    "attachment-missing", NULL, 0,
			    (const char *)sqlite3_column_text(st, 0),
			    "%s: missing (attachment %s \"%s\"%s)",
			    sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
			    sqlite3_column_text(st, 2) != NULL ?
			    (const char *)sqlite3_column_text(st, 2) : "",
			    trashed ? ", in the trash" : "");
		}
		db_finalize(st);
	}
	/* Recorded size: the object's fileSize (<=5.4) or its FILESIZE
	 * content property (>=5.9). */
	st = db_prep(&x->db,
	    "SELECT f.path, f.size, " REC_SIZE("a") " AS rec, a.objid"
	    " FROM files f JOIN att a ON a.path = f.path"
	    " GROUP BY f.path ORDER BY f.path");
	while (db_step(&x->db, st)) {
		const char *path = (const char *)sqlite3_column_text(st, 0);
		sqlite3_int64 fs = sqlite3_column_int64(st, 1);
		int known = sqlite3_column_type(st, 2) != SQLITE_NULL;
		sqlite3_int64 rec = sqlite3_column_int64(st, 2);

		if (fs == 0 && (!known || rec != 0))
			report_finding("attachment-empty", NULL, 0, path,
			    "%s: zero-length file (attachment %s)", path,
			    sqlite3_column_text(st, 3));
		else if (known && rec != fs)
			report_finding("attachment-size-mismatch", NULL, 0, path,
			    "%s: %lld bytes, the export records %lld", path,
			    (long long)fs, (long long)rec);
	}
	db_finalize(st);
	st = db_prep(&x->db, "SELECT path FROM files WHERE path NOT IN"
	    " (SELECT path FROM att WHERE path IS NOT NULL) ORDER BY path");
	while (db_step(&x->db, st))
		report_finding("attachment-orphan", NULL, 0,
		    (const char *)sqlite3_column_text(st, 0),
		    "%s: file without an attachment object",
		    sqlite3_column_text(st, 0));
	db_finalize(st);
	if (x->outm == NULL)	/* not made before the scan (streaming) */
		attach_members(x);
}

static int
cmp_outm(const void *a, const void *b)
{
	return strcmp(((const struct outmem *)a)->name,
	    ((const struct outmem *)b)->name);
}

void
attach_members(struct extract *x)
{
	const struct zipin_entry *e;
	sqlite3_stmt *st;
	size_t n, i, cap;

	n = zipin_entries(x->zip, &e);
	cap = n + 16;
	x->outm = xreallocarray(NULL, cap, sizeof(*x->outm));
	x->noutm = 0;
	st = db_prep(&x->db, "SELECT 1 FROM files WHERE path = ?");
	for (i = 0; i < n; i++) {
		if (strcmp(e[i].name, PKG_ENTITIES) == 0 ||
		    strcmp(e[i].name, PKG_DESCRIPTOR) == 0)
			continue;
		if (x->space_key != NULL) {
			int keep;

			/* A space export holds its attachment files only:
			 * no plugin-data, no site configuration. */
			if (strncmp(e[i].name, "attachments/", 12) != 0)
				continue;
			db_bind_text(&x->db, st, 1, e[i].name, -1);
			keep = db_step(&x->db, st);
			sqlite3_reset(st);
			if (!keep)
				continue;
		}
		x->outm[x->noutm].name = xstrdup(e[i].name);
		x->outm[x->noutm].size = e[i].size;
		x->outm[x->noutm].crc = e[i].crc;
		x->outm[x->noutm].store = NULL;
		x->noutm++;
	}
	db_finalize(st);
	st = db_prep(&x->db, "SELECT path, rel, size, crc FROM sfiles"
	    " ORDER BY path");
	while (db_step(&x->db, st)) {
		if (x->noutm == cap) {
			cap *= 2;
			x->outm = xreallocarray(x->outm, cap, sizeof(*x->outm));
		}
		x->outm[x->noutm].name = xstrdup((const char *)
		    sqlite3_column_text(st, 0));
		x->outm[x->noutm].store = xstrdup((const char *)
		    sqlite3_column_text(st, 1));
		x->outm[x->noutm].size = (uint64_t)sqlite3_column_int64(st, 2);
		x->outm[x->noutm].crc = (uint32_t)sqlite3_column_int64(st, 3);
		x->noutm++;
	}
	db_finalize(st);
	qsort(x->outm, x->noutm, sizeof(*x->outm), cmp_outm);
}

void
attach_free(struct extract *x)
{
	size_t i;

	for (i = 0; i < x->noutm; i++) {
		free(x->outm[i].name);
		free(x->outm[i].store);
	}
	free(x->outm);
	x->outm = NULL;
	x->noutm = 0;
	if (x->store != NULL)
		store_close(x->store);
	x->store = NULL;
}

void
relations_tsv(struct extract *x, struct spool *sp)
{
	static const char hdr[] =
	    "parent_class\tparent_id\tcollection\tchild_class\tchild_id\n";
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *st;
	int i;

	spool_write(sp, hdr, sizeof(hdr) - 1);
	st = db_prep(&x->db, "SELECT DISTINCT pcls, pid, coll, ccls, cid FROM rel"
	    " ORDER BY pcls, CAST(pid AS INTEGER), pid, coll,"
	    " CAST(cid AS INTEGER), cid, ccls");
	while (db_step(&x->db, st)) {
		sb_reset(&sb);
		for (i = 0; i < 5; i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);

			if (v == NULL)
				v = "";
			tsv_add_field(&sb, v, strlen(v));
			sb_addc(&sb, i < 4 ? '\t' : '\n');
		}
		spool_write(sp, sb.buf, sb.len);
	}
	db_finalize(st);
	sb_free(&sb);
}
