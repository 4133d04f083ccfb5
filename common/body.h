/*
 * body.h - the body toolkit: one tokenizer for storage-format and
 * wiki-markup bodies, one edit engine, and the rule interface every body
 * scan and rewrite plugs into (user references, space keys, the
 * inventory's macro and link scan, links, Jira macros...).
 *
 * Owns: reading a body out of entities.xml whatever its outer encoding,
 * tokenising it, telling rules where they are (enclosing elements and
 * macros, code), collecting their edits and writing them back
 * losslessly; and the raw splice list (struct splices) that convert and
 * pack use to rewrite an object.
 *
 * ---- Layers --------------------------------------------------------
 *
 * A body (BodyContent.body, PageTemplate.content) sits in entities.xml in
 * one of three OUTER encodings:
 *
 *   BODY_OUTER_CDATA  one CDATA section; the legacy writer wrote every
 *                     "]]" of the body as "]] " (xmltext.h).
 *   BODY_OUTER_TEXT   escaped element text: &lt;ri:user ri:userkey=...
 *   BODY_OUTER_MIXED  several CDATA sections, possibly mixed with text
 *                     (the 8.3+ writer splits "]]>" across sections).
 *
 * body_load() maps those raw bytes to the LOGICAL body: the XHTML (or
 * wiki markup) as Confluence holds it in its database.  Every offset a
 * rule sees or proposes is a logical offset; the engine maps edits back
 * to raw bytes.  Every raw byte outside an edit is written back exactly
 * as it was: CDATA section boundaries, "]] " escapes, &#10; references,
 * quote styles, all of it.  New bytes are encoded twice: first for where
 * they land in the logical body (struct bedit_enc: attribute value,
 * element text, inner CDATA, markup), then for the outer encoding at that
 * place (CDATA: "]]" -> "]] "; text: & < > escaped).
 *
 * ---- Tokens --------------------------------------------------------
 *
 * Storage bodies yield start/end tags (attributes with decoded values and
 * exact spans), text, inner CDATA sections, comments and other markup.
 * A macro's plain-text body (<ac:plain-text-body><![CDATA[...]]>) is
 * verbatim text: code, noformat, html... are flagged BT_IN_CODE; the body
 * of unmigrated-wiki-markup is tokenised again as wiki markup, its tokens
 * flagged BT_IN_WIKI.  Wiki bodies (bodyType 0) yield links [a|b|c],
 * macros {name:p=v|...} and verbatim regions {code}...{code},
 * {noformat}...{noformat} (flagged BT_IN_CODE).  Markup inside comments
 * and CDATA is never tokenised as markup, so no rule can rewrite it by
 * accident.  Malformed markup is tokenised as far as it makes sense and
 * otherwise passed over as BT_OTHER/BT_TEXT; it never stops the scan.
 *
 * ---- Rules ---------------------------------------------------------
 *
 * A rule is a struct body_rule (callbacks + triggers) in one file; each
 * program has one table of (rule, context) rows (struct body_rules):
 *
 *   convert   convert/rewrite.c   convert_rules[]
 *   pack      pack/entities.c     pack_rules[]
 *   extract   extract/scan.c, extract/inventory.c
 *
 * A new rewrite is one rule file plus one row in the table of the program
 * that runs it.  See docs/body-toolkit.md (the user rule, common/userref.c,
 * is the worked example).
 *
 * Speed: a body is tokenised only when one of the rules' triggers occurs
 * in its raw bytes (one memchr(3) pass per distinct anchor byte, ':' for
 * most triggers, stopping at the first hit); a body with nothing to do
 * costs that search and nothing else.  A CDATA body without "]] " (text
 * without '&') is tokenised in place, no copy.  Text tokens are only
 * produced when a running rule wants them.
 *
 * Memory: the body, its logical copy (only when the outer encoding needs
 * decoding) and its map are held at once; all buffers are reused from one
 * body to the next.  Bounded by the object size limit of the reader.
 */
#ifndef SP_BODY_H
#define SP_BODY_H

#include <stddef.h>

#include "model.h"
#include "strbuf.h"

/* ---- raw splices (one edit engine for objects and bodies) ---------- */

struct splice {
	size_t		 off, len;	/* raw span replaced (len 0: insertion) */
	size_t		 toff, tlen;	/* new bytes in splices.text */
	size_t		 seq;		/* order of proposal (stable sort) */
};

struct splices {
	struct splice	*v;
	size_t		 n, cap;
	struct strbuf	 text;
};
#define SPLICES_INIT	{ NULL, 0, 0, STRBUF_INIT }

/* Forget every splice (keeps memory). */
void	 splice_reset(struct splices *);
/* Free everything; the list is empty and reusable afterwards. */
void	 splice_free(struct splices *);
/* Record: replace raw [off, off+len) by the n bytes at p (copied). */
void	 splice_add(struct splices *, size_t off, size_t len, const void *p,
	    size_t n);
/*
 * Build a splice in place: splice_text() returns the buffer to append the
 * new bytes to, splice_end() records them as the replacement of
 * [off, off+len).  Nothing else may be added between the two calls.
 */
struct strbuf *splice_text(struct splices *);
void	 splice_end(struct splices *, size_t off, size_t len);
/*
 * Write raw/len with the splices applied, in order of offset (insertions
 * before a replacement at the same offset, otherwise in order of
 * proposal), through wr(ctx, bytes, n) (never called with n == 0).
 * Returns 0, or -1 without writing anything if two splices overlap or one
 * falls outside raw.  The list is left sorted.
 */
int	 splice_apply(struct splices *, const char *raw, size_t len,
	    void (*wr)(void *ctx, const void *p, size_t n), void *ctx);

/* ---- bodies --------------------------------------------------------- */

enum body_outer {
	BODY_OUTER_CDATA,	/* inside of one CDATA section, "]] " escapes */
	BODY_OUTER_TEXT,	/* escaped element text */
	BODY_OUTER_MIXED,	/* the bytes between start and end tag: CDATA
				   sections and text, in any order */
	BODY_OUTER_PLAIN	/* already logical (tests, tools) */
};

enum btok_kind {
	BT_START,	/* <name attr="v"> or <name/> (selfclose set) */
	BT_END,		/* </name> */
	BT_TEXT,	/* character data, as written (body_decode decodes) */
	BT_CDATA,	/* <![CDATA[..]]> inside the body; text_* = content */
	BT_COMMENT,	/* <!--..-->; text_* = content */
	BT_OTHER,	/* <?pi?>, <!DOCTYPE..>, a '<' that starts nothing */
	BT_WIKI_LINK,	/* [alias|link|tip]: parts as attributes named
			   "alias", "link", "tip" (only those present; a
			   lone [x] is "link") */
	BT_WIKI_MACRO,	/* {name} or {name:p=v|q=w}: name = macro name,
			   parameters as attributes ("" = the unnamed first
			   one), values trimmed of blanks; text_* = the whole
			   parameter string */
	BT_WIKI_CODE,	/* {code..}..{code}, {noformat..}..{noformat}:
			   text_* = the verbatim content */
	BT_NKINDS
};

/* Token flags: where the token is. */
#define BT_IN_CODE	0x01	/* verbatim: a code/noformat/html/... plain-
				   text body, wiki {code}/{noformat}.  Tokens
				   here reach only rules with want_code set. */
#define BT_IN_PLAIN	0x02	/* inside an ac:plain-text-body */
#define BT_IN_WIKI	0x04	/* wiki token from the body of an
				   unmigrated-wiki-markup macro */

/* How a rule's new bytes must be encoded for where they land. */
enum bedit_enc {
	BE_MARKUP,	/* logical bytes as they should read (XHTML markup or
			   wiki text at the top of a wiki body): only the
			   outer encoding is applied */
	BE_ATTR,	/* a plain attribute value (xt_add_attr), the quotes
			   are not part of the edit */
	BE_TEXT,	/* plain XHTML element text (& < > escaped) */
	BE_CDATA	/* plain text inside an inner CDATA section (a
			   plain-text macro body, e.g. wiki markup in
			   unmigrated-wiki-markup): "]]>" split */
};

struct battr {
	const char	*name;		/* as written (no references in names) */
	size_t		 name_len;
	const char	*val;		/* decoded value; not NUL-terminated */
	size_t		 val_len;
	size_t		 ws;		/* start of the white space before name */
	size_t		 off;		/* logical offset of the name */
	size_t		 voff, vlen;	/* value as written, between quotes */
	size_t		 end;		/* just past the closing quote */
	char		 quote;		/* '"' or '\'' (0 for wiki parts) */
};

struct btok {
	enum btok_kind	 kind;
	size_t		 off, len;	/* logical span of the whole token */
	const char	*name;		/* element / wiki macro name as written;
					   NULL for text, CDATA, comments */
	size_t		 name_len;
	const struct battr *attr;	/* valid until the next token */
	size_t		 nattr;
	int		 selfclose;
	unsigned	 flags;		/* BT_IN_* */
	size_t		 text_off, text_len;	/* see the kinds */
	enum bedit_enc	 text_enc;	/* how plain text replacing part of
					   this token must be encoded:
					   BE_TEXT, BE_CDATA or BE_MARKUP */
};

/*
 * Enclosing elements.  For BT_START the stack holds the element's
 * ancestors (not itself); for BT_END the element being closed is still
 * the top frame.  Frames are tracked exactly to BODY_MAX_DEPTH levels;
 * deeper ones are counted but body_frame() returns NULL for them.
 */
#define BODY_MAX_DEPTH	256

struct bframe {
	const char	*name;		/* element name as written */
	size_t		 name_len;
	const char	*acname;	/* decoded ac:name of ac:structured-macro,
					   ac:macro, ac:parameter; else NULL */
	size_t		 acname_len;
	size_t		 off;		/* logical offset of the start tag */
	int		 macro;		/* 1 for ac:structured-macro/ac:macro */
};

struct body;

struct body_rule {
	const char	*name;		/* for messages and docs */
	unsigned	 formats;	/* (1u << BODY_STORAGE) | (1u << BODY_WIKI) */
	/*
	 * NULL-terminated lists of byte strings: the rule runs on a storage
	 * (wiki) body only if one of them occurs in the raw bytes.  NULL
	 * list: every body of that format.  A trigger must not contain
	 * & < > " ' (they may be escaped in the raw bytes) and is matched
	 * case-sensitively.
	 */
	const char *const *storage_triggers;
	const char *const *wiki_triggers;
	unsigned	 want;		/* (1u << BT_x) bits; 0: every kind */
	int		 want_code;	/* 1: also tokens flagged BT_IN_CODE */
	/* Optional: called once per body before the first token / after
	 * the last one (only when the rule runs on that body). */
	void		(*begin)(struct body *, void *ctx);
	void		(*token)(struct body *, const struct btok *, void *ctx);
	void		(*end)(struct body *, void *ctx);
};

/* One row of a program's rule table. */
struct body_rules {
	const struct body_rule *rule;
	void		*ctx;
};

/* A reusable body; dies on allocation failure, never returns NULL. */
struct body	*body_new(void);
void		 body_free(struct body *);

/*
 * Load body member m of object o (model_body() says which member and its
 * format).  Raw bytes are o->raw; body_commit() splices are relative to
 * o->raw.  Returns 0, or -1 if m is null or empty (nothing loaded).
 */
int	 body_load(struct body *, const struct xobj *o,
	    const struct xmember *m, enum body_format fmt);
/*
 * Load the decoded value of member m instead of its raw bytes, for a
 * reader that does not keep them (extract's stream mode, entities.h).
 * For scanning only: the offsets are not raw offsets, so the edits of
 * such a body must not be committed to the object.  Returns 0, or -1 if
 * m is null or empty.  The value must outlive the body's use.
 */
int	 body_load_value(struct body *, const struct xmember *m,
	    enum body_format fmt);
/*
 * Load raw/len (not copied: must outlive the body's use) in outer
 * encoding outer; base: offset of raw in the buffer splices refer to;
 * line: line of raw[0] in the file (1 if unknown).
 */
void	 body_load_raw(struct body *, const char *raw, size_t len,
	    enum body_outer outer, enum body_format fmt, size_t base,
	    long line);

/*
 * Run rules over the loaded body: each rule whose triggers occur gets
 * begin, then every token it wants in document order, then end.  All
 * rules share one tokenisation.  Returns the number of edits proposed.
 */
size_t	 body_run(struct body *, const struct body_rules *rules, size_t n);

/* The loaded body's format and logical text (len in *len). */
enum body_format body_format_of(const struct body *);
const char	*body_text(const struct body *, size_t *len);
/* Line in the file of logical offset off: the load line plus the raw
 * line ends before it (&#10; is not one).  Monotonic calls are cheap. */
long	 body_line(struct body *, size_t off);
/* Decode the XHTML text [off, off+len) (references resolved) into a
 * buffer owned by the body, valid until the next call; *n its length. */
const char *body_decode(struct body *, size_t off, size_t len, size_t *n);

/* Context of the current token (see struct bframe). */
size_t	 body_depth(const struct body *);
const struct bframe *body_frame(const struct body *, size_t i); /* 0: outermost */
/* Innermost open element named name, or NULL. */
const struct bframe *body_inside(const struct body *, const char *name);
/* Innermost open macro (ac:structured-macro / ac:macro), or NULL. */
const struct bframe *body_macro(const struct body *);

/*
 * Propose an edit: replace logical [off, off+len) by s/n encoded as enc
 * (insert when len == 0).  Returns 0, or -1 if the span is outside the
 * body or overlaps an edit already proposed (by any rule: table order
 * decides), in which case nothing is recorded.  s is copied.
 */
int	 body_edit(struct body *, size_t off, size_t len, const char *s,
	    size_t n, enum bedit_enc enc);
size_t	 body_nedits(const struct body *);
/* Characters the encoders dropped (not XML Chars) since body_load. */
size_t	 body_dropped(const struct body *);

/*
 * Hand the edits over as raw splices (offsets base + raw offset, see
 * body_load) to sp; returns how many were added.  body_apply instead
 * appends the whole raw body with the edits applied to out.  Both leave
 * the proposed edits in place (the body is unchanged until reloaded).
 */
size_t	 body_commit(struct body *, struct splices *sp);
void	 body_apply(struct body *, struct strbuf *out);

/* ASCII case-insensitive comparison of s/n with NUL-terminated lit. */
int	 body_ieq(const char *s, size_t n, const char *lit);
/* First attribute of t named name (exact), or NULL. */
const struct battr *btok_attr(const struct btok *t, const char *name);
/* 1 if t is an element named name (exact). */
int	 btok_is(const struct btok *t, const char *name);

#endif
