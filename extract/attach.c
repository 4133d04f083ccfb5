/*
 * attach.c - attachment objects against attachment files, and the
 * child->parent relations, both kept in the working SQLite database so
 * memory does not grow with the export.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "extract.h"
#include "report.h"
#include "strbuf.h"
#include "tsv.h"

static sqlite3_stmt *ins_att, *ins_size, *ins_rel;

void
attach_init(struct extract *x)
{
	db_open(&x->db, NULL);
	db_exec(&x->db,
	    "CREATE TABLE att(objid TEXT, container TEXT, file_id TEXT,"
	    " version TEXT, name TEXT, size INTEGER, status TEXT, path TEXT);"
	    "CREATE TABLE fsize(att_id TEXT, size INTEGER);"
	    "CREATE TABLE files(path TEXT PRIMARY KEY, size INTEGER);"
	    "CREATE TABLE rel(pcls TEXT, pid TEXT, coll TEXT, ccls TEXT,"
	    " cid TEXT);"
	    "BEGIN;");
	ins_att = db_prep(&x->db, "INSERT INTO att VALUES(?,?,?,?,?,?,?,?)");
	ins_size = db_prep(&x->db, "INSERT INTO fsize VALUES(?,?)");
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

		if (n != NULL && n->value != NULL &&
		    strcmp(n->value, "FILESIZE") == 0 && c != NULL &&
		    c->kind == XM_REF && v != NULL && v->value != NULL) {
			db_bind_text(&x->db, ins_size, 1, c->value, -1);
			db_bind_i64(&x->db, ins_size, 2, strtoll(v->value, NULL, 10));
			db_run(&x->db, ins_size);
		}
		return;
	}
	if (!model_attachment(o, &a))
		return;
	x->att_objects++;
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
	db_run(&x->db, ins_att);
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
	ins_att = ins_size = ins_rel = NULL;
	n = zipin_entries(x->zip, &e);
	st = db_prep(&x->db, "INSERT INTO files VALUES(?,?)");
	for (i = 0; i < n; i++) {
		if (strncmp(e[i].name, "attachments/", 12) != 0)
			continue;
		db_bind_text(&x->db, st, 1, e[i].name, -1);
		db_bind_i64(&x->db, st, 2, (int64_t)e[i].size);
		db_run(&x->db, st);
	}
	db_finalize(st);
	db_exec(&x->db, "COMMIT; CREATE INDEX att_path ON att(path);"
	    "CREATE INDEX fsize_id ON fsize(att_id);");

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
	    "SELECT f.path, f.size, coalesce(a.size, (SELECT max(size) FROM fsize"
	    "  WHERE att_id = a.objid)) AS rec, a.objid"
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
