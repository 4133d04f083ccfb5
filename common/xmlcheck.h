/*
 * xmlcheck.h - the well-formedness gate every stage puts in front of
 * entities.xml.
 *
 * Owns: the one line all three programs hold on entities.xml: the bytes
 * are a well-formed XML 1.0 document in UTF-8, with no document type
 * declaration (so no DTD is loaded and no entity is declared or
 * expanded), no reference to an undeclared entity, and only the
 * characters XML 1.0 allows (no C0 control but TAB, LF, CR; no U+FFFE,
 * U+FFFF; no surrogates; no invalid UTF-8).  The check is libxml2's push
 * parser with no SAX callback but the DOCTYPE refusal and the error
 * handler: it builds nothing, keeps a bounded state, never touches the
 * network (XML_PARSE_NONET; never XML_PARSE_NOENT or XML_PARSE_DTDLOAD).
 *
 * The gate is fed chunk by chunk as the stage reads (the verdict and its
 * line do not depend on how the input is cut).  The first refusal is
 * kept as one line, "file:line: message" in diag.h's form.
 */
#ifndef SP_XMLCHECK_H
#define SP_XMLCHECK_H

#include <stddef.h>
#include <sys/types.h>

struct xmlcheck;

/* A gate for one document; fname (not copied: must outlive the gate) is
 * the name its messages use.  Never NULL (allocation failure dies). */
struct xmlcheck	*xmlcheck_new(const char *fname);
/* Feed the next n bytes (n may be 0); final is 1 on the last call, which
 * also checks that the document is complete.  Returns 0 while the bytes
 * so far can start a well-formed document (with final: are one), -1 once
 * refused; after a refusal further calls return -1 and do nothing. */
int		 xmlcheck_feed(struct xmlcheck *, const void *buf, size_t n,
		    int final);
/* After -1: the message (lowercase, one line, no file name; owned by the
 * gate) and the 1-based line it concerns (0 if unknown).  NULL before. */
const char	*xmlcheck_error(const struct xmlcheck *, long *line);
/* Print the refusal in diag.h's form and die (diag_die, exit 1). */
void		 xmlcheck_die(const struct xmlcheck *)
		    __attribute__((noreturn));
void		 xmlcheck_free(struct xmlcheck *);

/*
 * A read function (ent_read_fn, entities.h) that reads through another
 * one and feeds every byte it hands over to a gate, dying on a refusal
 * (so no byte of a refused document reaches the caller's consumer
 * before the parser saw it).  Set up with xmlcheck_rd_init; when the
 * consumer is done, xmlcheck_rd_finish reads what it left (the consumer
 * may stop before the end), checks the document is complete, and frees
 * the gate.
 */
struct xmlcheck_rd {
	ssize_t		(*rd)(void *ctx, void *buf, size_t n);
	void		 *ctx;
	struct xmlcheck	 *xc;
	int		  eof;
};

/*
 * The same gate on a thread of its own, one chunk ahead of the consumer:
 * the caller submits chunk k+1 and hands chunk k to its consumer only
 * after xmlcheck_async_wait() said chunk k passed, so no byte reaches
 * the consumer before the parser saw it, exactly as with xmlcheck_feed,
 * and the verdict and its message are the same; the parse runs while the
 * consumer works on the chunk before.  A submitted buffer is read by the
 * thread until the next wait returns: it must not change before.
 * Without a thread (pthread_create failed), submit checks at once.
 */
struct xmlcheck_async;
struct xmlcheck_async *xmlcheck_async_new(const char *fname);
/* Waits for the chunk before, then hands over buf (n bytes, final as in
 * xmlcheck_feed). */
void		 xmlcheck_async_submit(struct xmlcheck_async *, const void *buf,
		    size_t n, int final);
/* Waits until the last chunk submitted is checked; dies (xmlcheck_die)
 * if the document was refused. */
void		 xmlcheck_async_wait(struct xmlcheck_async *);
void		 xmlcheck_async_free(struct xmlcheck_async *);

void		 xmlcheck_rd_init(struct xmlcheck_rd *,
		    ssize_t (*rd)(void *, void *, size_t), void *ctx,
		    const char *fname);
ssize_t		 xmlcheck_read_fn(void *xmlcheck_rd, void *buf, size_t n);
void		 xmlcheck_rd_finish(struct xmlcheck_rd *);

#endif
