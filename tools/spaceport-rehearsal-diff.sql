-- spaceport-rehearsal-diff.sql - what changed between two inventories of
-- one space (docs/site.md, "Rehearsal diff").
--
-- Run by tools/spaceport-rehearsal-diff, or by hand:
--
--   sqlite3 :memory: \
--     "ATTACH 'rehearsal.db' AS o" "ATTACH 'final.db' AS n" \
--     '.read tools/spaceport-rehearsal-diff.sql'
--
-- o = the rehearsal's inventory, n = the final one (spaceport-extract
-- --inventory, schema 1, docs/inventory.md).  Optional: temp tables
-- o_unmapped and n_unmapped(key, username, reason) holding each side's
-- unmapped users from the convert report, used when temp table
-- settings(key, value) has ('reports', '1'); otherwise a user is
-- unmapped when the export gives no e-mail for it and it is not a
-- deleted (anonymised) user.
--
-- Output: one line per difference, tab-separated: what, id, name, detail;
-- sorted by kind (the order below; blog posts before pages within a kind),
-- then id (numerically), then name.  Nothing when
-- the two are the same.  Ids are Confluence's (stable across exports of
-- one instance): pages, blog posts and attachments are matched by id.
--
--   page-added / blogpost-added       id  title  v<version>
--   page-removed / blogpost-removed   id  title  v<version>  (gone, or no longer live: trashed, a draft)
--   page-edited / blogpost-edited     id  title  v<old> -> v<new>
--   attachment-added                  id  container/name  v<version>
--   attachment-removed                id  container/name  v<version>
--   attachment-changed                id  container/name  v<old> -> v<new>, size a -> b, content
--   user-referenced                   key  username  (a user the final export references, the rehearsal did not)
--   user-unmapped                     key  username  reason (unmapped now, not in the rehearsal)
--   finding                           code  subject  message (more of these in the final run)
CREATE TEMP TABLE IF NOT EXISTS settings(key TEXT, value TEXT);
CREATE TEMP TABLE IF NOT EXISTS o_unmapped(key TEXT, username TEXT, reason TEXT);
CREATE TEMP TABLE IF NOT EXISTS n_unmapped(key TEXT, username TEXT, reason TEXT);

CREATE TEMP VIEW d_pages AS
 WITH op AS (SELECT id, class, title, version FROM o.content
    WHERE class IN ('Page', 'BlogPost') AND live = 1),
  np AS (SELECT id, class, title, version FROM n.content
    WHERE class IN ('Page', 'BlogPost') AND live = 1)
 SELECT 1 AS sect, lower(np.class) || '-added' AS what, np.id AS id,
   np.title AS name, 'v' || np.version AS detail
  FROM np WHERE np.id NOT IN (SELECT id FROM op)
 UNION ALL
 SELECT 2, lower(op.class) || '-removed', op.id, op.title, 'v' || op.version
  FROM op WHERE op.id NOT IN (SELECT id FROM np)
 UNION ALL
 SELECT 3, lower(np.class) || '-edited', np.id, np.title,
   'v' || op.version || ' -> v' || np.version
  FROM op JOIN np ON np.id = op.id
  WHERE op.version IS NOT np.version;

-- Current attachments: the row that is its own file (not a historical
-- version), not in the trash; with the file as the zip holds it.
CREATE TEMP VIEW o_att AS
 SELECT a.file_id AS id, coalesce(c.title, a.container_id) || '/' || a.name
   AS name, a.version, f.file_size AS size, f.crc
  FROM o.attachments a LEFT JOIN o.attachment_files f ON f.id = a.id
  LEFT JOIN (SELECT id, title FROM o.content WHERE live = 1) c
   ON c.id = a.container_id
  WHERE a.id = a.file_id AND coalesce(a.status, 'current') = 'current';
CREATE TEMP VIEW n_att AS
 SELECT a.file_id AS id, coalesce(c.title, a.container_id) || '/' || a.name
   AS name, a.version, f.file_size AS size, f.crc
  FROM n.attachments a LEFT JOIN n.attachment_files f ON f.id = a.id
  LEFT JOIN (SELECT id, title FROM n.content WHERE live = 1) c
   ON c.id = a.container_id
  WHERE a.id = a.file_id AND coalesce(a.status, 'current') = 'current';

CREATE TEMP VIEW d_att AS
 SELECT 4 AS sect, 'attachment-added' AS what, id, name,
   'v' || version AS detail
  FROM n_att WHERE id NOT IN (SELECT id FROM o_att)
 UNION ALL
 SELECT 5, 'attachment-removed', id, name, 'v' || version
  FROM o_att WHERE id NOT IN (SELECT id FROM n_att)
 UNION ALL
 SELECT 6, 'attachment-changed', n_att.id, n_att.name,
   'v' || o_att.version || ' -> v' || n_att.version
   || ', size ' || coalesce(o_att.size, 'missing') || ' -> '
   || coalesce(n_att.size, 'missing')
   || CASE WHEN o_att.crc IS NOT n_att.crc THEN ', content' ELSE '' END
  FROM o_att JOIN n_att ON n_att.id = o_att.id
  WHERE o_att.version IS NOT n_att.version OR o_att.size IS NOT n_att.size
   OR o_att.crc IS NOT n_att.crc;

-- Users are matched by key, or by username (case-insensitively) for
-- users known only by a legacy username.
CREATE TEMP VIEW d_users AS
 SELECT 7 AS sect, 'user-referenced' AS what, coalesce(u.key, '') AS id,
   coalesce(u.username, '') AS name, u.refs || ' references' AS detail
  FROM n.users u
  WHERE NOT EXISTS (SELECT 1 FROM o.users p WHERE
   (u.key IS NOT NULL AND p.key = u.key) OR
   (u.key IS NULL AND p.key IS NULL AND p.username = u.username));

CREATE TEMP VIEW reports AS
 SELECT coalesce((SELECT value FROM settings WHERE key = 'reports'), '0')
  = '1' AS on_;
CREATE TEMP VIEW o_unm AS
 SELECT key, username, reason FROM o_unmapped WHERE (SELECT on_ FROM reports)
 UNION ALL
 SELECT key, username, 'no e-mail in the export' FROM o.users
  WHERE coalesce(email, '') = '' AND deleted = 0
   AND NOT (SELECT on_ FROM reports);
CREATE TEMP VIEW n_unm AS
 SELECT key, username, reason FROM n_unmapped WHERE (SELECT on_ FROM reports)
 UNION ALL
 SELECT key, username, 'no e-mail in the export' FROM n.users
  WHERE coalesce(email, '') = '' AND deleted = 0
   AND NOT (SELECT on_ FROM reports);

CREATE TEMP VIEW d_unmapped AS
 SELECT 8 AS sect, 'user-unmapped' AS what, coalesce(u.key, '') AS id,
   coalesce(u.username, '') AS name, u.reason AS detail
  FROM n_unm u
  WHERE NOT EXISTS (SELECT 1 FROM o_unm p WHERE
   (nullif(u.key, '') IS NOT NULL AND p.key = u.key) OR
   (nullif(u.key, '') IS NULL AND nullif(p.key, '') IS NULL
    AND p.username = u.username COLLATE NOCASE));

-- Findings: compared as (code, subject, message), as many times as they
-- occur (file and line move with every edit); those the final run has
-- more of.
CREATE TEMP VIEW d_findings AS
 WITH nf AS (SELECT code, coalesce(subject, '') AS subject,
    coalesce(message, '') AS message, count(*) AS k FROM n.findings
    GROUP BY 1, 2, 3),
  of AS (SELECT code, coalesce(subject, '') AS subject,
    coalesce(message, '') AS message, count(*) AS k FROM o.findings
    GROUP BY 1, 2, 3)
 SELECT 9 AS sect, 'finding' AS what, nf.code AS id, nf.subject AS name,
   nf.message || CASE WHEN nf.k - coalesce(of.k, 0) > 1
    THEN ' (' || (nf.k - coalesce(of.k, 0)) || ' more)' ELSE '' END AS detail
  FROM nf LEFT JOIN of ON of.code = nf.code AND of.subject = nf.subject
   AND of.message = nf.message
  WHERE nf.k > coalesce(of.k, 0);

SELECT what, id, name, detail FROM (
 SELECT * FROM d_pages UNION ALL SELECT * FROM d_att
 UNION ALL SELECT * FROM d_users UNION ALL SELECT * FROM d_unmapped
 UNION ALL SELECT * FROM d_findings)
 ORDER BY sect, what, length(id), id, name, detail;
