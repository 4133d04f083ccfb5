/*
 * fuzz_descriptor.c - libFuzzer harness for the Cloud descriptor writer,
 * pack/descriptor.c (pack_descriptor), fed by common/props.c.
 *
 * Input: byte 0 flags (bit 0 tasks csv carried, bit 1 attachments carried,
 * bit 2 --space-key from the key "fuzz.spaceKey", bit 3 the entities.xml
 * datetime from "fuzz.datetime"), then an exportDescriptor.properties
 * (seeds: the fixtures' descriptors).  Property: the output parses back
 * (props_parse) and formats to the same bytes; it says source=cloud; its
 * spaceKey is the one asked for; the "#" comment is one line; every
 * ao.data.version.* and ao.data.list value is carried unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pack.h"
#include "props.h"
#include "strbuf.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct props src, out;
	struct pack_desc_in di;
	struct strbuf sb = STRBUF_INIT, again = STRBUF_INIT;
	const char *v;
	size_t i;
	int flags;

	if (size < 1 || size > PROPS_MAX)
		return 0;
	flags = data[0];
	if (props_parse(&src, (const char *)data + 1, size - 1, "in") != 0)
		return 0;
	memset(&di, 0, sizeof(di));
	di.src = &src;
	di.tasks_csv = flags & 1;
	di.attachments = (flags >> 1) & 1;
	if (flags & 4)
		di.space_key = props_get(&src, "fuzz.spaceKey");
	if (flags & 8)
		di.datetime = props_get(&src, "fuzz.datetime");
	pack_descriptor(&di, &sb);

	FUZZ_CHECK(props_parse(&out, sb.buf != NULL ? sb.buf : "", sb.len,
	    "out") == 0, "the descriptor written does not parse");
	props_format(&out, &again);
	FUZZ_CHECK(again.len == sb.len && (sb.len == 0 ||
	    memcmp(again.buf, sb.buf, sb.len) == 0),
	    "the descriptor does not format back to its bytes");
	v = props_get(&out, "source");
	FUZZ_CHECK(v != NULL && strcmp(v, "cloud") == 0, "source is not cloud");
	if (di.space_key != NULL && *di.space_key != '\0') {
		v = props_get(&out, "spaceKey");
		FUZZ_CHECK(v != NULL && strcmp(v, di.space_key) == 0,
		    "spaceKey is not the one asked for");
	}
	FUZZ_CHECK(out.comment != NULL && strchr(out.comment, '\n') == NULL &&
	    strchr(out.comment, '\r') == NULL, "the date comment");
	for (i = 0; i < src.n; i++)
		if ((strncmp(src.key[i], "ao.data.version.", 16) == 0 ||
		    strcmp(src.key[i], "ao.data.list") == 0) &&
		    src.val[i][0] != '\0') {
			v = props_get(&out, src.key[i]);
			FUZZ_CHECK(v != NULL && strcmp(v, src.val[i]) == 0,
			    "%s not carried", src.key[i]);
		}
	props_free(&src);
	props_free(&out);
	sb_free(&sb);
	sb_free(&again);
	return 0;
}
