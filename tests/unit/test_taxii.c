/*
 * test_taxii — the pure half of the TAXII read side: Accept negotiation,
 * collection ids, STIX ids, query validation (limit, added_after, match[…]),
 * the filter hash, and the binding of a cursor to its listing, collection,
 * subscriber and filters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "taxii.h"

#define ORG_A "8ee44119-6d6e-40ee-bb00-c9e935fca2fe"
#define ORG_B "5e162a77-fc7e-4ae6-809f-7e578f59bbae"
#define GREEN "ad0652c7-28a7-4806-967c-c41ee839aabd"
#define INC   "incident--2fe23fe2-d802-4af0-b949-87c6c5a5bbc9"

static void test_accept(void **state)
{
	static const char *const ok[] = {
	        "application/taxii+json;version=2.1",
	        "application/taxii+json",
	        "APPLICATION/TAXII+JSON; Version=\"2.1\"",
	        "*/*",
	        "application/*",
	        "",
	        "  ",
	        "text/html, application/taxii+json;version=2.1;q=0.5",
	        "application/xml;q=1, */*;q=0.01",
	        "application/taxii+json ; version=2.1 ; q=1.0",
	};
	static const char *const refused[] = {
	        "application/xml",
	        "application/json",
	        "application/stix+json;version=2.1",
	        "application/taxii+json;version=2.0",
	        "application/taxii+json;q=0",
	        "application/taxii+json;q=0.000",
	        "*/*;q=0",
	        "text/*",
	        "application/taxii+jsonx",
	        "application/taxii+json;q=abc",
	        ",,,",
	};
	(void)state;

	assert_true(taxii_accept_ok(NULL));
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		assert_true(taxii_accept_ok(ok[i]));
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		assert_false(taxii_accept_ok(refused[i]));
}

static void test_ids(void **state)
{
	(void)state;
	assert_string_equal(taxii_collection_tlp(GREEN), "GREEN");
	assert_string_equal(taxii_collection_tlp("15f4ec62-ce6e-43fe-8cb0-587cf4c5da2c"),
	                    "AMBER+STRICT");
	assert_null(taxii_collection_tlp("AD0652C7-28A7-4806-967C-C41EE839AABD"));
	assert_null(taxii_collection_tlp(""));
	assert_null(taxii_collection_tlp(NULL));

	assert_true(taxii_stix_id_ok(INC));
	assert_true(taxii_stix_id_ok("x-isac-note--2fe23fe2-d802-4af0-b949-87c6c5a5bbc9"));
	assert_false(taxii_stix_id_ok("incident"));
	assert_false(taxii_stix_id_ok("incident--"));
	assert_false(taxii_stix_id_ok("incident--2fe23fe2-d802-4af0-b949-87c6c5a5bbc"));
	assert_false(taxii_stix_id_ok("incident--2fe23fe2-d802-4af0-b949-87c6c5a5bbc9x"));
	assert_false(taxii_stix_id_ok("Incident--2fe23fe2-d802-4af0-b949-87c6c5a5bbc9"));
	assert_false(taxii_stix_id_ok("in--2fe23fe2-d802-4af0-b949-87c6c5a5bbc9"));
	assert_false(taxii_stix_id_ok("a--b--2fe23fe2-d802-4af0-b949-87c6c5a5bbc9"));
	assert_false(taxii_stix_id_ok(NULL));
}

/* Parse q for the GREEN objects listing; returns the code, detail in d. */
static enum err_code parse(const struct taxii_query *q, struct taxii_filter *f, char *d)
{
	return taxii_filter_parse(TAXII_OBJECTS, "GREEN", NULL, q, f, d, 256);
}

static void test_limit(void **state)
{
	static const struct {
		const char *in;
		int limit; /* 0: refused */
	} cases[] = {
	        {NULL, TAXII_LIMIT_DEFAULT},
	        {"1", 1},
	        {"007", 7},
	        {"1000", 1000},
	        {"1001", 1000},
	        {"99999999999999999999999", 1000},
	        {"0", 0},
	        {"000", 0},
	        {"-1", 0},
	        {"", 0},
	        {"1.5", 0},
	        {" 3", 0},
	        {"3 ", 0},
	        {"+3", 0},
	};
	(void)state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct taxii_query q = {.limit = cases[i].in};
		struct taxii_filter f;
		char d[256] = "";
		enum err_code rc = parse(&q, &f, d);
		if (cases[i].limit == 0) {
			assert_int_equal(rc, ERR_BAD_QUERY);
			assert_non_null(strstr(d, "limit"));
		} else {
			assert_int_equal(rc, ERR_OK);
			assert_int_equal(f.limit, cases[i].limit);
			taxii_filter_free(&f);
		}
	}
}

static void test_filters(void **state)
{
	struct taxii_query q = {
	        .added_after = "2026-11-25T16:35:37.0927361+09:00",
	        .match_id = INC "," INC,
	        .match_type = "incident,indicator",
	        .match_version = "first,2026-11-25T07:00:00Z",
	        .match_spec_version = "2.1",
	};
	struct taxii_filter f;
	char d[256] = "";
	(void)state;

	assert_int_equal(parse(&q, &f, d), ERR_OK);
	assert_string_equal(f.added_after, "2026-11-25T07:35:37.092736Z");
	assert_int_equal(json_array_size(f.ids), 2);
	assert_int_equal(json_array_size(f.types), 2);
	assert_string_equal(json_string_value(json_array_get(f.versions, 0)),
	                    "2026-11-25T07:00:00.000000Z");
	assert_true(f.version_first);
	assert_false(f.version_last || f.version_all);
	assert_string_equal(json_string_value(json_array_get(f.spec_versions, 0)), "2.1");
	taxii_filter_free(&f);

	/* no match[version]: the newest version only */
	memset(&q, 0, sizeof q);
	assert_int_equal(parse(&q, &f, d), ERR_OK);
	assert_true(f.version_last);
	assert_false(f.version_first || f.version_all);
	assert_null(f.ids);
	assert_null(f.versions);
	assert_string_equal(f.added_after, "");
	taxii_filter_free(&f);

	/* one object: match[id] and match[type] are the path's; versions: all of them */
	q.match_id = "indicator--2fe23fe2-d802-4af0-b949-87c6c5a5bbc9";
	q.match_type = "indicator";
	q.match_version = "first";
	assert_int_equal(taxii_filter_parse(TAXII_VERSIONS, "GREEN", INC, &q, &f, d, sizeof d),
	                 ERR_OK);
	assert_string_equal(json_string_value(json_array_get(f.ids, 0)), INC);
	assert_int_equal(json_array_size(f.ids), 1);
	assert_null(f.types);
	assert_true(f.version_all);
	assert_false(f.version_first);
	taxii_filter_free(&f);
}

static void test_bad_filters(void **state)
{
	static const struct {
		const char *param, *value;
	} cases[] = {
	        {"added_after", "yesterday"},
	        {"added_after", "2026-02-30T00:00:00Z"},
	        {"match[id]", "incident"},
	        {"match[id]", INC ","},
	        {"match[id]", "," INC},
	        {"match[type]", "Incident"},
	        {"match[type]", "in"},
	        {"match[type]", "a--b"},
	        {"match[type]", "1abc"},
	        {"match[version]", "newest"},
	        {"match[version]", "last,"},
	        {"match[spec_version]", "2"},
	        {"match[spec_version]", "2.1.0"},
	        {"match[spec_version]", "v2.1"},
	};
	char many[8 * 101 + 1] = "";
	(void)state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct taxii_query q = {0};
		struct taxii_filter f;
		char d[256] = "";
		const char *p = cases[i].param;
		if (strcmp(p, "added_after") == 0)
			q.added_after = cases[i].value;
		else if (strcmp(p, "match[id]") == 0)
			q.match_id = cases[i].value;
		else if (strcmp(p, "match[type]") == 0)
			q.match_type = cases[i].value;
		else if (strcmp(p, "match[version]") == 0)
			q.match_version = cases[i].value;
		else
			q.match_spec_version = cases[i].value;
		assert_int_equal(parse(&q, &f, d), ERR_BAD_QUERY);
		assert_non_null(strstr(d, p));
	}
	for (int i = 0; i < 101; i++)
		strcat(many, i == 0 ? "abcdefg" : ",abcdefg");
	{
		struct taxii_query q = {.match_type = many};
		struct taxii_filter f;
		char d[256] = "";
		assert_int_equal(parse(&q, &f, d), ERR_BAD_QUERY);
		many[8 * 100 - 1] = '\0'; /* 100 values are fine */
		assert_int_equal(parse(&q, &f, d), ERR_OK);
		assert_int_equal(json_array_size(f.types), 100);
		taxii_filter_free(&f);
	}
}

/* The hash of the filter q parses into, for listing. */
static void hash_of(enum taxii_listing listing, const struct taxii_query *q, char *out)
{
	struct taxii_filter f;
	char d[256];

	assert_int_equal(taxii_filter_parse(listing, "GREEN", INC, q, &f, d, sizeof d), ERR_OK);
	taxii_filter_hash(&f, out);
	taxii_filter_free(&f);
}

static void test_hash(void **state)
{
	char a[TAXII_HASH_HEX + 1], b[TAXII_HASH_HEX + 1];
	struct taxii_query q = {0}, r = {0};
	(void)state;

	hash_of(TAXII_OBJECTS, &q, a);
	assert_int_equal(strlen(a), TAXII_HASH_HEX);
	r.match_version = "last"; /* the default spelled out */
	hash_of(TAXII_OBJECTS, &r, b);
	assert_string_equal(a, b);
	r.limit = "5"; /* the limit is not a filter */
	hash_of(TAXII_OBJECTS, &r, b);
	assert_string_equal(a, b);
	r.added_after = "2026-11-25T07:00:00Z";
	hash_of(TAXII_OBJECTS, &r, b);
	assert_string_not_equal(a, b);
	q.added_after = "2026-11-25T16:00:00+09:00"; /* the same instant */
	hash_of(TAXII_OBJECTS, &q, a);
	assert_string_equal(a, b);
	memset(&q, 0, sizeof q);
	hash_of(TAXII_OBJECTS, &q, a);
	hash_of(TAXII_MANIFEST, &q, b);
	assert_string_not_equal(a, b);
	q.match_type = "incident";
	hash_of(TAXII_OBJECTS, &q, b);
	assert_string_not_equal(a, b);
	q.match_type = "incident,indicator";
	hash_of(TAXII_OBJECTS, &q, a);
	q.match_type = "incidentindicator";
	hash_of(TAXII_OBJECTS, &q, b);
	assert_string_not_equal(a, b);
}

static void test_cursor_binding(void **state)
{
	struct taxii_query q = {.match_type = "incident"}, other = {.match_type = "indicator"};
	struct taxii_filter f, g;
	char payload[TAXII_CURSOR_PAYLOAD], after[CLOCK_RFC3339_LEN + 1], d[256];
	(void)state;

	assert_int_equal(parse(&q, &f, d), ERR_OK);
	assert_int_equal(taxii_cursor_payload(&f, ORG_A, "2026-11-25T07:35:37.092736Z", payload,
	                                      sizeof payload),
	                 0);
	assert_int_equal(taxii_cursor_position(&f, ORG_A, payload, after), ERR_OK);
	assert_string_equal(after, "2026-11-25T07:35:37.092736Z");
	/* another subscriber, filter, collection or listing: refused */
	assert_int_equal(taxii_cursor_position(&f, ORG_B, payload, after), ERR_BAD_QUERY);
	assert_int_equal(parse(&other, &g, d), ERR_OK);
	assert_int_equal(taxii_cursor_position(&g, ORG_A, payload, after), ERR_BAD_QUERY);
	taxii_filter_free(&g);
	assert_int_equal(taxii_filter_parse(TAXII_OBJECTS, "CLEAR", NULL, &q, &g, d, sizeof d),
	                 ERR_OK);
	assert_int_equal(taxii_cursor_position(&g, ORG_A, payload, after), ERR_BAD_QUERY);
	taxii_filter_free(&g);
	assert_int_equal(taxii_filter_parse(TAXII_MANIFEST, "GREEN", NULL, &q, &g, d, sizeof d),
	                 ERR_OK);
	assert_int_equal(taxii_cursor_position(&g, ORG_A, payload, after), ERR_BAD_QUERY);
	taxii_filter_free(&g);
	/* a position that is not a time, or none */
	payload[strlen(payload) - 8] = 'x';
	assert_int_equal(taxii_cursor_position(&f, ORG_A, payload, after), ERR_BAD_QUERY);
	assert_int_equal(taxii_cursor_position(&f, ORG_A, "", after), ERR_BAD_QUERY);
	assert_int_equal(
	        taxii_cursor_payload(&f, ORG_A, "2026-11-25T07:35:37.092736Z", payload, 40), -1);
	taxii_filter_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_accept),         cmocka_unit_test(test_ids),
	        cmocka_unit_test(test_limit),          cmocka_unit_test(test_filters),
	        cmocka_unit_test(test_bad_filters),    cmocka_unit_test(test_hash),
	        cmocka_unit_test(test_cursor_binding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
