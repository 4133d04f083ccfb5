/*
 * test_links.c - tiny-link codes, Cloud personal space keys and the parse
 * of old-server URLs.  The tiny-link and personal-key vectors are the real
 * pairs collected in ../shared/docs/links-and-macros.md §1.3 and §4.2 (ids
 * and codes observed on live sites, not computed by this code).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "tap.h"
#include "linkurl.h"
#include "tinylink.h"

static const struct {
	uint64_t	 id;
	const char	*code;
} vectors[] = {
	{ 201819180, "LIQHD" },		/* wiki.softwareplant.com /x/LIQHD */
	{ 84803642, "OgAOBQ" },		/* tempo-io _links.tinyui */
	{ 135987203, "AwAbC" },
	{ 136085540, "JIAcC" },
	{ 154763266, "AoA5CQ" },
	{ 164561016, "eADPCQ" },
	{ 956713432, "2EkGOQ" },	/* confluence.atlassian.com KB page */
	{ 290130165, "9QhLEQ" },	/* appfire.atlassian.net */
	{ 32342899, "c4PtAQ" },		/* wiki.lantiq.com */
	{ 5404164396ULL, "LAEdQgE" },	/* > 2^32: 8-byte handling */
	{ 256, "AAE" },			/* leading 'A's kept */
};

static void
test_tiny(void)
{
	char code[TINYLINK_MAX + 1];
	uint64_t id;
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		tinylink_encode(vectors[i].id, code);
		is_str(code, vectors[i].code, "tiny-link encode");
		id = 0;
		ok(tinylink_decode(vectors[i].code, strlen(vectors[i].code),
		    &id) == 0 && id == vectors[i].id, "tiny-link decode %s = %"
		    PRIu64, vectors[i].code, vectors[i].id);
	}
	/* Every id round-trips, including the largest. */
	{
		static const uint64_t ids[] = { 1, 63, 64, 4095, 4096,
		    0xffffffffULL, 0x100000000ULL, UINT64_MAX };

		for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			tinylink_encode(ids[i], code);
			ok(tinylink_decode(code, strlen(code), &id) == 0 &&
			    id == ids[i], "round trip %" PRIu64 " via %s",
			    ids[i], code);
		}
	}
	ok(tinylink_decode("LIQHDA/", 7, &id) == 0 && id == 201819180,
	    "decode tolerates a trailing 'A' and the KB script's '/'");
	ok(tinylink_decode("LIQHDAAAAAA=", 12, &id) == 0 && id == 201819180,
	    "decode tolerates full padding");
	ok(tinylink_decode("", 0, &id) == -1, "empty code refused");
	ok(tinylink_decode("AAAA", 4, &id) == -1, "id 0 refused");
	ok(tinylink_decode("LIQ+HD", 6, &id) == -1, "'+' is not in the alphabet");
	ok(tinylink_decode("LI=QHD", 6, &id) == -1, "'=' inside refused");
	ok(tinylink_decode("AAAAAAAAAAAA", 12, &id) == -1, "12 digits refused");
	ok(tinylink_decode("----------_", 11, &id) == -1,
	    "bits past the 64th refused");
	ok(tinylink_decode("----------8", 11, &id) == 0 && id == UINT64_MAX,
	    "all 64 bits ('-' stands for Base64's '/')");
}

static void
test_personal(void)
{
	char key[PERSONAL_KEY_MAX];

	personal_space_key("557058:24acce7b-a0c1-4f45-97f1-7eb4afd2ff5f", key);
	is_str(key, "~55705824acce7ba0c14f4597f17eb4afd2ff5f",
	    "personal key of a 557058: account (phuc-nt pair)");
	personal_space_key("557058:8c1557f3-81f6-4479-a006-dd5e914a7c11", key);
	is_str(key, "~5570588c1557f381f64479a006dd5e914a7c11",
	    "personal key of the second pair");
	personal_space_key("70121:a2bb016a-3484-43d7-938c-958be8579831", key);
	is_str(key, "~70121a2bb016a348443d7938c958be8579831",
	    "personal key of a 70121: account (real Cloud export)");
	personal_space_key("5fe0839e642089014165d146", key);
	is_str(key, "~5fe0839e642089014165d146", "24-hex account id unchanged");
	ok(personal_space_key("", key) == 0 && key[0] == '\0', "empty refused");
	ok(personal_space_key("a/b", key) == 0, "a '/' refused");
	ok(personal_space_key(":-", key) == 0, "nothing left refused");
	ok(personal_key_is_cloud("~55705824acce7ba0c14f4597f17eb4afd2ff5f"),
	    "Cloud key recognised (557058:)");
	ok(personal_key_is_cloud("~70121a2bb016a348443d7938c958be8579831"),
	    "Cloud key recognised (70121:)");
	ok(personal_key_is_cloud("~5fe0839e642089014165d146"),
	    "Cloud key recognised (24 hex)");
	ok(!personal_key_is_cloud("~admin"), "~admin is a Server key");
	ok(!personal_key_is_cloud("~5fe0839e642089014165d14"), "23 hex is not");
	ok(!personal_key_is_cloud("~5FE0839E642089014165D146"),
	    "upper-case hex is not");
	ok(!personal_key_is_cloud("ENG"), "a global key is not");
}

/* Parses u and renders what it names as one line. */
static const char *
parse(struct link_bases *lb, const char *u)
{
	static char out[1024];
	struct link_url lu = LINK_URL_INIT;
	enum link_form f = link_parse(lb, u, strlen(u), &lu);

	snprintf(out, sizeof(out), "%s%s%s%s%s%s%s%s%s%s%s%s%s",
	    link_form_name(f),
	    lu.space_key ? " key=" : "", lu.space_key ? lu.space_key : "",
	    lu.title ? " title=" : "", lu.title ? lu.title : "",
	    lu.posting_day ? " day=" : "", lu.posting_day ? lu.posting_day : "",
	    lu.filename ? " file=" : "", lu.filename ? lu.filename : "",
	    lu.fragment ? " #" : "", lu.fragment ? lu.fragment : "",
	    f == LF_UNSUPPORTED ? " why=" : "", f == LF_UNSUPPORTED ? lu.why : "");
	if (lu.id != 0)
		snprintf(out + strlen(out), sizeof(out) - strlen(out),
		    " id=%" PRIu64, lu.id);
	link_url_free(&lu);
	return out;
}

static void
test_urls(void)
{
	struct link_bases *lb = link_bases_new();
	const char *why = NULL;
	static const struct {
		const char *url, *want;
	} t[] = {
		{ "https://wiki.corp/confluence/display/ENG/Runbook",
		  "page-title key=ENG title=Runbook" },
		{ "http://wiki.corp/confluence/display/ENG/Run+Book%3A+v2?src=x#Run-Steps",
		  "page-title key=ENG title=Run Book: v2 #Run-Steps" },
		{ "//WIKI.corp:443/confluence/display/ENG/",
		  "space-home key=ENG" },
		{ "https://wiki.corp/confluence/display/ENG",
		  "space-home key=ENG" },
		{ "https://wiki.corp/confluence/display/public/ENG/Home",
		  "page-title key=ENG title=Home" },
		{ "https://wiki.corp/confluence/display/~jsmith/Notes",
		  "page-title key=~jsmith title=Notes" },
		{ "https://wiki.corp/confluence/display/~jsmith",
		  "space-home key=~jsmith" },
		{ "https://wiki.corp/confluence/display/ENG/2024/02/29/Leap+Day",
		  "blog-post key=ENG title=Leap Day day=2024/02/29" },
		{ "https://wiki.corp/confluence/pages/viewpage.action?pageId=123#x",
		  "page-id #x id=123" },
		{ "https://wiki.corp/confluence/pages/viewpage.action?spaceKey=CI&title=Cromwell#Cromwell-ConnectingtotheDatabase",
		  "page-title key=CI title=Cromwell #Cromwell-ConnectingtotheDatabase" },
		{ "https://wiki.corp/confluence/spaces/viewspace.action?key=OPS",
		  "space-home key=OPS" },
		{ "https://wiki.corp/confluence/x/LIQHD",
		  "tiny-link id=201819180" },
		{ "https://wiki.corp/confluence/download/attachments/123/a+b%20c.png?api=v2",
		  "attachment file=a+b c.png id=123" },
		{ "https://wiki.corp/confluence/download/thumbnails/77/d.png",
		  "thumbnail file=d.png id=77" },
		{ "http://old:8090/display/ENG/X", "page-title key=ENG title=X" },
		{ "http://old/display/ENG/X", "external" },
		{ "http://old:8091/display/ENG/X", "external" },
		{ "https://wiki.corp/confluencex/display/ENG/X", "external" },
		{ "https://other.corp/confluence/display/ENG/X", "external" },
		{ "mailto:a@wiki.corp", "external" },
		{ "/confluence/display/ENG/Rel", "page-title key=ENG title=Rel" },
		{ "https://wiki.corp/confluence/label/ENG/ops",
		  "unsupported why=label page" },
		{ "https://wiki.corp/confluence/pages/diffpagesbyversion.action?pageId=1",
		  "unsupported why=page diff" },
		{ "https://wiki.corp/confluence/pages/viewpage.action?pageId=12x",
		  "unsupported why=pageId is not a number" },
		{ "https://wiki.corp/confluence/display/ENG/Bad%zz",
		  "unsupported why=undecodable %-escape or not UTF-8" },
		{ "https://wiki.corp/confluence/display/ENG/Ctl%01",
		  "unsupported why=undecodable %-escape or not UTF-8" },
		{ "https://wiki.corp/confluence/display/ENG/%C3%A9t%C3%A9",
		  "page-title key=ENG title=\xc3\xa9t\xc3\xa9" },
		{ "https://wiki.corp/confluence/x/!!",
		  "unsupported why=not a tiny-link code" },
		{ "https://wiki.corp/confluence/spaces/ENG/pages/60162329/Title",
		  "page-id id=60162329" },
		{ "https://wiki.corp/confluence/download/attachments/123/",
		  "unsupported why=download URL without a file name" },
		{ "https://wiki.corp/confluence/display/ENG/A/B",
		  "unsupported why=display URL with a path below the page" },
	};
	size_t i;

	ok(link_bases_add(lb, "https://wiki.corp/confluence/", &why) == 0,
	    "base with a context path");
	ok(link_bases_add(lb, "http://old:8090", &why) == 0, "base with a port");
	ok(link_bases_add(lb, "ftp://x", &why) == -1 && why != NULL,
	    "ftp base refused");
	ok(link_bases_add(lb, "https://x/?a=b", &why) == -1,
	    "base with a query refused");
	ok(link_bases_add(lb, "https://x:99999", &why) == -1, "bad port refused");
	ok(link_bases_add(lb, "https://x y", &why) == -1, "bad host refused");
	ok(link_bases_count(lb) == 2, "two bases kept");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_str(parse(lb, t[i].url), t[i].want, t[i].url);
	link_bases_free(lb);
}

int
main(void)
{
	diag_setprog("test_links");
	test_tiny();
	test_personal();
	test_urls();
	return tap_done();
}
