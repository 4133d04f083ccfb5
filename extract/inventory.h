/*
 * inventory.h - the --inventory SQLite database of spaceport-extract.
 *
 * Owns: the schema (documented in docs/inventory.md) and filling it from
 * the object stream: spaces, content (pages, blog posts, comments, ...)
 * with status and version, bodies by type, attachments and versions,
 * users and every place each is referenced, macros used with counts,
 * links (OutgoingLink objects and absolute URLs in bodies), findings.
 * Admins query it with plain SQL before migration day.
 *
 * The extract pass calls these as it goes; nothing here keeps more than
 * one object in memory (rows go to SQLite inside one transaction).
 */
#ifndef SP_INVENTORY_H
#define SP_INVENTORY_H

#include <stdint.h>

#include "body.h"
#include "entities.h"
#include "model.h"

struct inventory;

/* Creates path (written to a temp name, renamed at inventory_close). */
struct inventory *inventory_open(const char *path);
/* Every object of entities.xml, in document order. */
void	 inventory_object(struct inventory *, const struct xobj *);
/*
 * Bodies.  inventory_body_begin() writes o's bodies row; it returns 1 for
 * a storage body, whose scan is then a row of extract's rule table
 * (inventory_rule, ctx the inventory: macros used, absolute URLs), and
 * inventory_body_end() writes what the scan found.  Both between
 * inventory_object() calls, for the object being handled.
 */
extern const struct body_rule inventory_rule;
int	 inventory_body_begin(struct inventory *, const struct xobj *);
void	 inventory_body_end(struct inventory *);
/* One user reference found by extract.  key or username may be NULL.
 * where_cls/where_id: the object holding it; prop: member name (or
 * "body" for body references). */
void	 inventory_user_ref(struct inventory *, enum ref_kind kind,
	    const char *key, const char *username, const char *where_cls,
	    const char *where_id, const char *prop);
/* A file of the export zip (attachments/..., plugin-data/..., ...). */
void	 inventory_member(struct inventory *, const char *name, uint64_t size,
	    uint32_t crc);
/* Final facts: descriptor properties and manifest counts. */
void	 inventory_fact(struct inventory *, const char *key, const char *value);
/* Findings: copied from the report at the end. */
void	 inventory_finding(struct inventory *, const char *code,
	    const char *file, long line, const char *subject, const char *msg);
/* Users table rows (final, merged). */
void	 inventory_user(struct inventory *, const char *key,
	    const char *username, const char *email, uint64_t refs, int object,
	    int deleted);
/* The database being filled (extract/macros.c adds its tables and views
 * to it, inside the same transaction, before inventory_close). */
struct db *inventory_db(struct inventory *);
/* Commit and rename into place. */
void	 inventory_close(struct inventory *);

#endif
