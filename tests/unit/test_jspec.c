/*
 * test_jspec — unit tests for server/jspec.c.
 *
 * Uses its own small spec tables (not the report's) so every kind, bound,
 * error code and pointer rule of the walker is pinned down independently of
 * any one schema. Timestamps and nesting depth are tested directly.
 *
 * Must never: depend on the network, the database, the clock or the time
 * zone (one test sets TZ on purpose to prove the parser ignores it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "jspec.h"

static const char *const colours[] = {"red", "green", NULL};

static bool even_length(const char *s, size_t n)
{
	(void)s;
	return n % 2 == 0;
}

static const struct jspec_field inner_fields[] = {
        {.name = "a/b~c", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 4},
        {.name = "flag", .kind = JSPEC_BOOLEAN},
        {.name = NULL},
};

static const struct jspec_field tag_item = {
        .kind = JSPEC_STRING,
        .min = 2,
        .max = 3,
        .check = even_length,
        .check_what = "an even number of bytes",
};

static const struct jspec_field inner_item = {.kind = JSPEC_OBJECT, .fields = inner_fields};

static const struct jspec_field test_spec[] = {
        {.name = "name", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 5},
        {.name = "colour", .kind = JSPEC_ENUM, .required = true, .vocab = colours},
        {.name = "count", .kind = JSPEC_INTEGER, .min_int = -5, .max_int = 5},
        {.name = "on", .kind = JSPEC_BOOLEAN},
        {.name = "at", .kind = JSPEC_TIMESTAMP},
        {.name = "id", .kind = JSPEC_UUID},
        {.name = "tags", .kind = JSPEC_ARRAY, .min = 1, .max = 3, .item = &tag_item},
        {.name = "things", .kind = JSPEC_ARRAY, .max = 3, .item = &inner_item},
        {.name = "inner", .kind = JSPEC_OBJECT, .fields = inner_fields},
        {.name = NULL},
};

/* Run jspec_check on `text` against `spec`; assert the outcome. */
static void expect_spec(const struct jspec_field *spec, const char *text, size_t flags,
                        enum err_code code, const char *pointer)
{
	struct jspec_error err;
	json_error_t jerr;
	json_t *doc = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | flags, &jerr);
	bool ok;

	if (doc == NULL)
		fail_msg("test JSON does not parse: %s: %s", jerr.text, text);
	ok = jspec_check(doc, spec, &err);
	if (err.code != code || strcmp(err.pointer, pointer) != 0)
		fail_msg("%s\n  want %d at \"%s\", got %d at \"%s\" (%s)", text, code, pointer,
		         err.code, err.pointer, err.detail);
	assert_int_equal(ok, code == ERR_OK);
	if (code == ERR_OK)
		assert_string_equal(err.detail, "");
	else
		assert_true(strlen(err.detail) > 0);
	json_decref(doc);
}

static void expect(const char *text, enum err_code code, const char *pointer)
{
	expect_spec(test_spec, text, 0, code, pointer);
}

/* Like expect(), and the detail must contain `needle`. */
static void expect_detail(const char *text, enum err_code code, const char *pointer,
                          const char *needle)
{
	struct jspec_error err;
	json_t *doc = json_loads(text, 0, NULL);

	assert_non_null(doc);
	assert_false(jspec_check(doc, test_spec, &err));
	assert_int_equal(err.code, code);
	assert_string_equal(err.pointer, pointer);
	if (strstr(err.detail, needle) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", err.detail, needle);
	json_decref(doc);
}

#define MIN_DOC "\"name\":\"x\",\"colour\":\"red\""

static void test_valid_documents(void **state)
{
	(void)state;
	expect("{" MIN_DOC "}", ERR_OK, "");
	expect("{\"colour\":\"green\",\"name\":\"abcde\",\"count\":-5,\"on\":false,"
	       "\"at\":\"2026-11-25T07:30:00Z\",\"id\":\"123e4567-e89b-12d3-a456-426614174000\","
	       "\"tags\":[\"ab\",\"cd\"],\"things\":[{\"a/b~c\":\"x\",\"flag\":true}],"
	       "\"inner\":{\"a/b~c\":\"abcd\"}}",
	       ERR_OK, "");
}

static void test_document_must_be_object(void **state)
{
	(void)state;
	expect("[]", ERR_WRONG_TYPE, "");
	expect("\"x\"", ERR_WRONG_TYPE, "");
	expect("null", ERR_WRONG_TYPE, "");
	expect("42", ERR_WRONG_TYPE, "");
}

static void test_missing_and_null(void **state)
{
	(void)state;
	expect("{\"colour\":\"red\"}", ERR_MISSING_FIELD, "/name");
	expect("{\"name\":\"x\"}", ERR_MISSING_FIELD, "/colour");
	expect("{}", ERR_MISSING_FIELD, "/name");
	/* null: absent when optional, wrong type when required */
	expect("{\"name\":null,\"colour\":\"red\"}", ERR_WRONG_TYPE, "/name");
	expect_detail("{\"name\":null,\"colour\":\"red\"}", ERR_WRONG_TYPE, "/name", "not null");
	expect("{" MIN_DOC ",\"count\":null,\"on\":null,\"at\":null,\"id\":null,\"tags\":null,"
	       "\"things\":null,\"inner\":null}",
	       ERR_OK, "");
	/* array items are never absent */
	expect("{" MIN_DOC ",\"tags\":[null]}", ERR_WRONG_TYPE, "/tags/0");
	expect("{" MIN_DOC ",\"inner\":{\"a/b~c\":null}}", ERR_WRONG_TYPE, "/inner/a~1b~0c");
	expect("{" MIN_DOC ",\"inner\":{}}", ERR_MISSING_FIELD, "/inner/a~1b~0c");
}

static void test_unknown_members(void **state)
{
	(void)state;
	expect("{" MIN_DOC ",\"extra\":1}", ERR_UNKNOWN_FIELD, "/extra");
	expect("{" MIN_DOC ",\"inner\":{\"a/b~c\":\"x\",\"colour\":1}}", ERR_UNKNOWN_FIELD,
	       "/inner/colour");
	expect("{" MIN_DOC ",\"things\":[{\"a/b~c\":\"x\"},{\"a/b~c\":\"x\"},"
	       "{\"a/b~c\":\"x\",\"extra\":null}]}",
	       ERR_UNKNOWN_FIELD, "/things/2/extra");
	/* unknown members are found before missing or bad known ones... */
	expect("{\"zzz\":1}", ERR_UNKNOWN_FIELD, "/zzz");
	expect("{\"name\":7,\"zzz\":1}", ERR_UNKNOWN_FIELD, "/zzz");
	/* ...in document order */
	expect("{" MIN_DOC ",\"b\":1,\"a\":1}", ERR_UNKNOWN_FIELD, "/b");
	/* a member name is matched exactly: case and escapes matter */
	expect("{" MIN_DOC ",\"Name\":\"x\"}", ERR_UNKNOWN_FIELD, "/Name");
	expect("{" MIN_DOC ",\"inner\":{\"a~1b~0c\":\"x\"}}", ERR_UNKNOWN_FIELD,
	       "/inner/a~01b~00c");
}

static void test_spec_fields_in_table_order(void **state)
{
	(void)state;
	expect("{\"colour\":\"blue\",\"name\":\"\"}", ERR_TOO_SHORT, "/name");
	expect("{\"count\":99,\"colour\":\"blue\",\"name\":\"x\"}", ERR_NOT_IN_VOCABULARY,
	       "/colour");
	expect("{" MIN_DOC ",\"inner\":[],\"tags\":[]}", ERR_TOO_SHORT, "/tags");
	expect("{" MIN_DOC ",\"things\":[{\"a/b~c\":\"\"},{\"zz\":1}]}", ERR_TOO_SHORT,
	       "/things/0/a~1b~0c");
}

static void test_wrong_types(void **state)
{
	(void)state;
	expect("{\"name\":5,\"colour\":\"red\"}", ERR_WRONG_TYPE, "/name");
	expect("{\"name\":\"x\",\"colour\":1}", ERR_WRONG_TYPE, "/colour");
	expect("{" MIN_DOC ",\"count\":\"1\"}", ERR_WRONG_TYPE, "/count");
	expect("{" MIN_DOC ",\"count\":1.0}", ERR_WRONG_TYPE, "/count");
	expect("{" MIN_DOC ",\"count\":true}", ERR_WRONG_TYPE, "/count");
	expect("{" MIN_DOC ",\"on\":\"true\"}", ERR_WRONG_TYPE, "/on");
	expect("{" MIN_DOC ",\"on\":0}", ERR_WRONG_TYPE, "/on");
	expect("{" MIN_DOC ",\"at\":1795591800}", ERR_WRONG_TYPE, "/at");
	expect("{" MIN_DOC ",\"id\":[]}", ERR_WRONG_TYPE, "/id");
	expect("{" MIN_DOC ",\"tags\":{}}", ERR_WRONG_TYPE, "/tags");
	expect("{" MIN_DOC ",\"tags\":\"ab\"}", ERR_WRONG_TYPE, "/tags");
	expect("{" MIN_DOC ",\"inner\":[]}", ERR_WRONG_TYPE, "/inner");
	expect("{" MIN_DOC ",\"tags\":[12]}", ERR_WRONG_TYPE, "/tags/0");
	expect("{" MIN_DOC ",\"things\":[[]]}", ERR_WRONG_TYPE, "/things/0");
	expect_detail("{" MIN_DOC ",\"inner\":[]}", ERR_WRONG_TYPE, "/inner", "an object");
}

static void test_string_bounds_in_bytes(void **state)
{
	(void)state;
	expect("{\"name\":\"\",\"colour\":\"red\"}", ERR_TOO_SHORT, "/name");
	expect("{\"name\":\"a\",\"colour\":\"red\"}", ERR_OK, "");
	expect("{\"name\":\"abcde\",\"colour\":\"red\"}", ERR_OK, "");
	expect("{\"name\":\"abcdef\",\"colour\":\"red\"}", ERR_TOO_LONG, "/name");
	/* é is 2 bytes: "ééa" is 5 bytes, "ééé" 6 though only 3 characters */
	expect("{\"name\":\"\u00e9\u00e9a\",\"colour\":\"red\"}", ERR_OK, "");
	expect("{\"name\":\"\u00e9\u00e9\u00e9\",\"colour\":\"red\"}", ERR_TOO_LONG, "/name");
	/* 日本 is 6 bytes; escaped input counts decoded bytes */
	expect("{\"name\":\"\u65e5\u672c\",\"colour\":\"red\"}", ERR_TOO_LONG, "/name");
	expect("{\"name\":\"\\u65e5a\",\"colour\":\"red\"}", ERR_OK, "");
	expect("{\"name\":\"\\u65e5abc\",\"colour\":\"red\"}", ERR_TOO_LONG, "/name");
	/* U+1F600 is 4 bytes */
	expect("{\"name\":\"\\ud83d\\ude00a\",\"colour\":\"red\"}", ERR_OK, "");
	expect("{\"name\":\"\\ud83d\\ude00ab\",\"colour\":\"red\"}", ERR_TOO_LONG, "/name");
	expect_detail("{\"name\":\"abcdef\",\"colour\":\"red\"}", ERR_TOO_LONG, "/name",
	              "at most 5 bytes");
	expect_detail("{\"name\":\"\",\"colour\":\"red\"}", ERR_TOO_SHORT, "/name",
	              "at least 1 byte");
}

static void test_nul_in_string(void **state)
{
	(void)state;
	expect_spec(test_spec, "{\"name\":\"a\\u0000b\",\"colour\":\"red\"}", JSON_ALLOW_NUL,
	            ERR_VALIDATION, "/name");
	expect_spec(test_spec, "{\"name\":\"x\",\"colour\":\"red\\u0000\"}", JSON_ALLOW_NUL,
	            ERR_VALIDATION, "/colour");
}

static void test_integer_bounds(void **state)
{
	(void)state;
	expect("{" MIN_DOC ",\"count\":-5}", ERR_OK, "");
	expect("{" MIN_DOC ",\"count\":5}", ERR_OK, "");
	expect("{" MIN_DOC ",\"count\":0}", ERR_OK, "");
	expect("{" MIN_DOC ",\"count\":-6}", ERR_VALIDATION, "/count");
	expect("{" MIN_DOC ",\"count\":6}", ERR_VALIDATION, "/count");
	expect("{" MIN_DOC ",\"count\":9223372036854775807}", ERR_VALIDATION, "/count");
	expect("{" MIN_DOC ",\"count\":-9223372036854775808}", ERR_VALIDATION, "/count");
	expect_detail("{" MIN_DOC ",\"count\":6}", ERR_VALIDATION, "/count", "between -5 and 5");
}

static void test_enum(void **state)
{
	(void)state;
	expect("{\"name\":\"x\",\"colour\":\"green\"}", ERR_OK, "");
	expect("{\"name\":\"x\",\"colour\":\"blue\"}", ERR_NOT_IN_VOCABULARY, "/colour");
	expect("{\"name\":\"x\",\"colour\":\"Red\"}", ERR_NOT_IN_VOCABULARY, "/colour");
	expect("{\"name\":\"x\",\"colour\":\"red \"}", ERR_NOT_IN_VOCABULARY, "/colour");
	expect("{\"name\":\"x\",\"colour\":\"re\"}", ERR_NOT_IN_VOCABULARY, "/colour");
	expect("{\"name\":\"x\",\"colour\":\"\"}", ERR_NOT_IN_VOCABULARY, "/colour");
	expect_detail("{\"name\":\"x\",\"colour\":\"blue\"}", ERR_NOT_IN_VOCABULARY, "/colour",
	              "one of: red, green");
}

static void test_arrays(void **state)
{
	(void)state;
	expect("{" MIN_DOC ",\"tags\":[]}", ERR_TOO_SHORT, "/tags");
	expect("{" MIN_DOC ",\"tags\":[\"ab\"]}", ERR_OK, "");
	expect("{" MIN_DOC ",\"tags\":[\"ab\",\"ab\",\"ab\"]}", ERR_OK, "");
	expect("{" MIN_DOC ",\"tags\":[\"ab\",\"ab\",\"ab\",\"ab\"]}", ERR_TOO_LONG, "/tags");
	expect("{" MIN_DOC ",\"things\":[]}", ERR_OK, "");
	/* items: bounds, then the check function */
	expect("{" MIN_DOC ",\"tags\":[\"ab\",\"a\"]}", ERR_TOO_SHORT, "/tags/1");
	expect("{" MIN_DOC ",\"tags\":[\"ab\",\"abcd\"]}", ERR_TOO_LONG, "/tags/1");
	expect("{" MIN_DOC ",\"tags\":[\"ab\",\"ab\",\"abc\"]}", ERR_VALIDATION, "/tags/2");
	expect_detail("{" MIN_DOC ",\"tags\":[\"abc\"]}", ERR_VALIDATION, "/tags/0",
	              "must be an even number of bytes");
	expect_detail("{" MIN_DOC ",\"tags\":[]}", ERR_TOO_SHORT, "/tags", "at least 1 item");
	/* first bad item wins */
	expect("{" MIN_DOC ",\"things\":[{\"a/b~c\":\"x\"},{\"a/b~c\":5},{}]}", ERR_WRONG_TYPE,
	       "/things/1/a~1b~0c");
}

static void test_uuid(void **state)
{
	(void)state;
	expect("{" MIN_DOC ",\"id\":\"123e4567-e89b-12d3-a456-426614174000\"}", ERR_OK, "");
	expect("{" MIN_DOC ",\"id\":\"123E4567-E89B-12D3-A456-426614174000\"}", ERR_OK, "");
	expect("{" MIN_DOC ",\"id\":\"00000000-0000-0000-0000-000000000000\"}", ERR_OK, "");
	expect("{" MIN_DOC ",\"id\":\"123e4567-e89b-12d3-a456-42661417400\"}", ERR_VALIDATION,
	       "/id");
	expect("{" MIN_DOC ",\"id\":\"123e4567-e89b-12d3-a456-4266141740000\"}", ERR_VALIDATION,
	       "/id");
	expect("{" MIN_DOC ",\"id\":\"123e4567e89b-12d3-a456-4266141740000\"}", ERR_VALIDATION,
	       "/id");
	expect("{" MIN_DOC ",\"id\":\"123e4567-e89b-12d3-a456-42661417400g\"}", ERR_VALIDATION,
	       "/id");
	expect("{" MIN_DOC ",\"id\":\"{23e4567-e89b-12d3-a456-42661417400}\"}", ERR_VALIDATION,
	       "/id");
	expect("{" MIN_DOC ",\"id\":\"123e4567_e89b_12d3_a456_426614174000\"}", ERR_VALIDATION,
	       "/id");
	expect("{" MIN_DOC ",\"id\":\"\"}", ERR_VALIDATION, "/id");
}

static void test_timestamp_field(void **state)
{
	(void)state;
	expect("{" MIN_DOC ",\"at\":\"2026-11-25T16:30:00.5+09:00\"}", ERR_OK, "");
	expect("{" MIN_DOC ",\"at\":\"2026-11-25 07:30:00Z\"}", ERR_VALIDATION, "/at");
	expect("{" MIN_DOC ",\"at\":\"\"}", ERR_VALIDATION, "/at");
	expect_detail("{" MIN_DOC ",\"at\":\"yesterday\"}", ERR_VALIDATION, "/at", "RFC 3339");
}

/* Object spec with one string member named `name`. */
static void expect_key(const char *key, const char *pointer)
{
	struct jspec_error err;
	json_t *doc = json_object();
	json_t *inner = json_object();

	json_object_set_new(doc, "name", json_string("x"));
	json_object_set_new(doc, "colour", json_string("red"));
	json_object_set_new(inner, "a/b~c", json_string("x"));
	json_object_set_new(inner, key, json_true());
	json_object_set_new(doc, "inner", inner);
	assert_false(jspec_check(doc, test_spec, &err));
	assert_int_equal(err.code, ERR_UNKNOWN_FIELD);
	assert_string_equal(err.pointer, pointer);
	json_decref(doc);
}

static void test_pointer_escaping(void **state)
{
	(void)state;
	expect_key("x~/y", "/inner/x~0~1y");
	expect_key("~", "/inner/~0");
	expect_key("/", "/inner/~1");
	expect_key("~1", "/inner/~01");
	expect_key("", "/inner/");
	expect_key("\xe6\x97\xa5", "/inner/\xe6\x97\xa5");
	expect_key("a b\"c", "/inner/a b\"c");
	expect("{" MIN_DOC ",\"inner\":{\"a/b~c\":\"abcde\"}}", ERR_TOO_LONG, "/inner/a~1b~0c");
}

static void test_pointer_truncation(void **state)
{
	char key[400], want[420];
	struct jspec_error err;
	json_t *doc;

	(void)state;
	/* "/inner/" is 7 bytes; the pointer buffer holds 255 plus the NUL */
	memset(key, 'k', sizeof(key));
	key[255 - 7] = '\0';
	snprintf(want, sizeof(want), "/inner/%s", key);
	assert_int_equal(strlen(want), 255);
	expect_key(key, want);
	/* one byte more does not fit: the pointer names the object holding it */
	memset(key, 'k', sizeof(key));
	key[255 - 7 + 1] = '\0';
	expect_key(key, "/inner");
	memset(key, 'k', sizeof(key));
	key[sizeof(key) - 1] = '\0';
	expect_key(key, "/inner");
	/* escapes count: 124 '~' need 248 bytes and fit, 125 need 250 and do not */
	memset(key, '~', sizeof(key));
	key[124] = '\0';
	memset(want, 0, sizeof(want));
	strcpy(want, "/inner/");
	for (size_t i = 0; i < 124; i++)
		strcat(want, "~0");
	expect_key(key, want);
	key[124] = '~';
	key[125] = '\0';
	expect_key(key, "/inner");
	/* at the top level, an over-long name leaves the document pointer */
	memset(key, 'z', sizeof(key));
	key[sizeof(key) - 1] = '\0';
	doc = json_pack("{s:s, s:s, s:i}", "name", "x", "colour", "red", key, 1);
	assert_non_null(doc);
	assert_false(jspec_check(doc, test_spec, &err));
	assert_int_equal(err.code, ERR_UNKNOWN_FIELD);
	assert_string_equal(err.pointer, "");
	json_decref(doc);
}

/* A truncated segment must not let deeper segments be appended after it. */
static void test_pointer_truncation_deeper(void **state)
{
	static char long_name[300];
	struct jspec_field leaf[] = {
	        {.name = "leaf", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 2},
	        {.name = NULL},
	};
	struct jspec_field mid[] = {
	        {.name = long_name, .kind = JSPEC_OBJECT, .required = true, .fields = leaf},
	        {.name = NULL},
	};
	struct jspec_field top[] = {
	        {.name = "top", .kind = JSPEC_OBJECT, .required = true, .fields = mid},
	        {.name = "after", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 1},
	        {.name = NULL},
	};
	struct jspec_error err;
	json_t *doc;

	(void)state;
	memset(long_name, 'n', sizeof(long_name) - 1);
	doc = json_pack("{s:{s:{s:s}}, s:s}", "top", long_name, "leaf", "abc", "after", "x");
	assert_false(jspec_check(doc, top, &err));
	assert_int_equal(err.code, ERR_TOO_LONG);
	assert_string_equal(err.pointer, "/top");
	/* and popping restores the path for the next sibling */
	json_object_set_new(json_object_get(json_object_get(doc, "top"), long_name), "leaf",
	                    json_string("ab"));
	json_object_set_new(doc, "after", json_string("xy"));
	assert_false(jspec_check(doc, top, &err));
	assert_int_equal(err.code, ERR_TOO_LONG);
	assert_string_equal(err.pointer, "/after");
	json_decref(doc);
}

static void test_err_reset_and_null(void **state)
{
	struct jspec_error err;
	json_t *bad = json_loads("{}", 0, NULL);
	json_t *good = json_loads("{" MIN_DOC "}", 0, NULL);

	(void)state;
	assert_false(jspec_check(bad, test_spec, &err));
	assert_true(jspec_check(good, test_spec, &err));
	assert_int_equal(err.code, ERR_OK);
	assert_string_equal(err.pointer, "");
	assert_string_equal(err.detail, "");
	assert_false(jspec_check(bad, test_spec, NULL));
	assert_true(jspec_check(good, test_spec, NULL));
	assert_false(jspec_check(NULL, test_spec, &err));
	assert_int_equal(err.code, ERR_WRONG_TYPE);
	assert_false(jspec_check(good, NULL, &err));
	assert_int_equal(err.code, ERR_INTERNAL);
	json_decref(bad);
	json_decref(good);
}

static const struct jspec_field unbounded_string[] = {
        {.name = "s", .kind = JSPEC_STRING, .min = 0, .max = 0},
        {.name = NULL},
};
static const struct jspec_field any_string = {.kind = JSPEC_STRING, .max = 8};
static const struct jspec_field unbounded_array[] = {
        {.name = "a", .kind = JSPEC_ARRAY, .max = 0, .item = &any_string},
        {.name = NULL},
};
static const struct jspec_field enum_without_vocab[] = {
        {.name = "e", .kind = JSPEC_ENUM},
        {.name = NULL},
};
static const struct jspec_field array_without_item[] = {
        {.name = "a", .kind = JSPEC_ARRAY, .max = 3},
        {.name = NULL},
};
static const struct jspec_field object_without_fields[] = {
        {.name = "o", .kind = JSPEC_OBJECT},
        {.name = NULL},
};
static const struct jspec_field inverted_integer[] = {
        {.name = "i", .kind = JSPEC_INTEGER, .min_int = 5, .max_int = 4},
        {.name = NULL},
};
static const struct jspec_field twice_named[] = {
        {.name = "t", .kind = JSPEC_BOOLEAN},
        {.name = "t", .kind = JSPEC_BOOLEAN},
        {.name = NULL},
};
static const struct jspec_field unbounded_item = {.kind = JSPEC_STRING, .max = 0};
static const struct jspec_field nested_unbounded_fields[] = {
        {.name = "list", .kind = JSPEC_ARRAY, .max = 2, .item = &unbounded_item},
        {.name = NULL},
};
static const struct jspec_field nested_unbounded[] = {
        {.name = "o", .kind = JSPEC_OBJECT, .fields = nested_unbounded_fields},
        {.name = NULL},
};

static void expect_spec_broken(const struct jspec_field *spec, const char *pointer)
{
	struct jspec_error err;

	assert_false(jspec_spec_valid(spec, &err));
	assert_int_equal(err.code, ERR_INTERNAL);
	assert_string_equal(err.pointer, pointer);
}

/* Table mistakes are ERR_INTERNAL, at run time and from jspec_spec_valid(). */
static void test_spec_mistakes(void **state)
{
	(void)state;
	expect_spec(unbounded_string, "{\"s\":\"x\"}", 0, ERR_INTERNAL, "/s");
	expect_spec(unbounded_string, "{}", 0, ERR_OK, "");
	expect_spec(unbounded_array, "{\"a\":[]}", 0, ERR_INTERNAL, "/a");
	expect_spec(enum_without_vocab, "{\"e\":\"x\"}", 0, ERR_INTERNAL, "/e");
	expect_spec(array_without_item, "{\"a\":[]}", 0, ERR_INTERNAL, "/a");
	expect_spec(object_without_fields, "{\"o\":{}}", 0, ERR_INTERNAL, "/o");
	expect_spec(nested_unbounded, "{\"o\":{\"list\":[\"x\"]}}", 0, ERR_INTERNAL, "/o/list/0");

	expect_spec_broken(unbounded_string, "/s");
	expect_spec_broken(unbounded_array, "/a");
	expect_spec_broken(enum_without_vocab, "/e");
	expect_spec_broken(array_without_item, "/a");
	expect_spec_broken(object_without_fields, "/o");
	expect_spec_broken(inverted_integer, "/i");
	expect_spec_broken(twice_named, "/t");
	expect_spec_broken(nested_unbounded, "/o/list/-");
	expect_spec_broken(NULL, "");
	assert_true(jspec_spec_valid(test_spec, NULL));
	assert_false(jspec_spec_valid(unbounded_string, NULL));
}

static void expect_time(const char *s, long long want_us)
{
	long long got = -1;

	if (!jspec_parse_timestamp(s, &got))
		fail_msg("refused \"%s\"", s);
	if (got != want_us)
		fail_msg("\"%s\": want %lld, got %lld", s, want_us, got);
}

static void expect_bad_time(const char *s)
{
	long long got = 12345;

	if (jspec_parse_timestamp(s, &got))
		fail_msg("accepted \"%s\" as %lld", s, got);
	assert_int_equal(got, 12345);
}

#define T2026 1795591800LL /* 2026-11-25T07:30:00Z */
#define US    1000000LL

static void test_timestamp_values(void **state)
{
	(void)state;
	expect_time("1970-01-01T00:00:00Z", 0);
	expect_time("2026-11-25T07:30:00Z", T2026 * US);
	expect_time("2026-11-25t07:30:00z", T2026 * US);
	expect_time("2026-11-25T16:30:00+09:00", T2026 * US);
	expect_time("2026-11-25T02:30:00-05:00", T2026 * US);
	expect_time("2026-11-25T07:30:00+00:00", T2026 * US);
	expect_time("2026-11-25T07:30:00-00:00", T2026 * US);
	expect_time("2026-11-25T07:00:00-00:30", T2026 * US);
	expect_time("2026-11-26T07:29:00+23:59", T2026 * US);
	expect_time("1970-01-01T00:00:00+01:00", -3600 * US);
	expect_time("9999-12-31T23:59:59Z", 253402300799LL * US);
	expect_time("2000-03-01T00:00:00Z", 951868800LL * US);
	expect_time("2024-02-29T00:00:00Z", 1709164800LL * US);
	expect_time("2024-03-01T00:00:00Z", (1709164800LL + 86400) * US);
}

static void test_timestamp_fractions(void **state)
{
	(void)state;
	expect_time("2026-11-25T07:30:00.5Z", T2026 * US + 500000);
	expect_time("2026-11-25T07:30:00.000001Z", T2026 * US + 1);
	expect_time("2026-11-25T07:30:00.123456Z", T2026 * US + 123456);
	expect_time("2026-11-25T07:30:00.1234569Z", T2026 * US + 123456); /* truncated */
	expect_time("2026-11-25T07:30:00.999999999Z", T2026 * US + 999999);
	expect_time("2026-11-25T16:30:00.25+09:00", T2026 * US + 250000);
	expect_bad_time("2026-11-25T07:30:00.1234567890Z"); /* 10 digits */
	expect_bad_time("2026-11-25T07:30:00.Z");
	expect_bad_time("2026-11-25T07:30:00,5Z");
	expect_bad_time("2026-11-25T07:30:00.5");
	expect_bad_time("2026-11-25T07:30:00.5x");
	expect_bad_time("2026-11-25T07:30.5:00Z");
}

static void test_timestamp_calendar(void **state)
{
	(void)state;
	expect_time("2000-02-29T00:00:00Z", 951782400LL * US);
	expect_time("2400-02-29T00:00:00Z", 13574563200LL * US);
	expect_bad_time("2023-02-29T00:00:00Z");
	expect_bad_time("2100-02-29T00:00:00Z");
	expect_bad_time("2024-02-30T00:00:00Z");
	expect_bad_time("2026-00-10T00:00:00Z");
	expect_bad_time("2026-13-10T00:00:00Z");
	expect_bad_time("2026-01-00T00:00:00Z");
	expect_bad_time("2026-01-32T00:00:00Z");
	expect_bad_time("2026-04-31T00:00:00Z");
	expect_bad_time("2026-06-31T00:00:00Z");
	expect_bad_time("2026-09-31T00:00:00Z");
	expect_bad_time("2026-11-31T00:00:00Z");
	expect_time("2026-12-31T23:59:59Z", (1798761600LL - 1) * US);
	expect_bad_time("1969-12-31T23:59:59Z");
	expect_bad_time("0000-01-01T00:00:00Z");
}

static void test_timestamp_clock_and_offsets(void **state)
{
	(void)state;
	expect_bad_time("2026-11-25T24:00:00Z");
	expect_bad_time("2026-11-25T23:60:00Z");
	expect_bad_time("2026-12-31T23:59:60Z"); /* leap seconds refused, see jspec.h */
	expect_bad_time("2026-11-25T07:30:00");
	expect_bad_time("2026-11-25T07:30:00+0900");
	expect_bad_time("2026-11-25T07:30:00+09");
	expect_bad_time("2026-11-25T07:30:00+9:00");
	expect_bad_time("2026-11-25T07:30:00+24:00");
	expect_bad_time("2026-11-25T07:30:00+09:60");
	expect_bad_time("2026-11-25T07:30:00+09:00 ");
	expect_bad_time("2026-11-25T07:30:00+");
	expect_bad_time("2026-11-25T07:30:00.5+0");
	expect_bad_time("2026-11-25T07:30:00Zx");
	expect_bad_time("2026-11-25T07:30:00ZZ");
	expect_bad_time("2026-11-25T07:30:00UTC");
	expect_bad_time("2026-11-25T07:30:00 Z");
}

static void test_timestamp_syntax(void **state)
{
	long long out = 0;

	(void)state;
	expect_bad_time("");
	expect_bad_time("2026-11-25");
	expect_bad_time("2026-11-25 07:30:00Z");
	expect_bad_time("2026-11-25X07:30:00Z");
	expect_bad_time("2026-1-25T07:30:00Z");
	expect_bad_time("2026-11-5T07:30:00Z");
	expect_bad_time("2026-11-25T7:30:00Z");
	expect_bad_time("2026-11-25T07:30Z");
	expect_bad_time("+2026-11-25T07:30:00Z");
	expect_bad_time("12026-11-25T07:30:00Z");
	expect_bad_time("2026/11/25T07:30:00Z");
	expect_bad_time("2026-11-25T07-30-00Z");
	expect_bad_time(" 2026-11-25T07:30:00Z");
	expect_bad_time("2026-11-2aT07:30:00Z");
	expect_bad_time("２０２６-11-25T07:30:00Z");
	assert_false(jspec_parse_timestamp(NULL, &out));
	assert_false(jspec_parse_timestamp("2026-11-25T07:30:00Z", NULL));
}

static void test_timestamp_ignores_time_zone(void **state)
{
	(void)state;
	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	expect_time("2026-11-25T07:30:00Z", T2026 * US);
	setenv("TZ", "America/New_York", 1);
	tzset();
	expect_time("2026-11-25T07:30:00Z", T2026 * US);
	unsetenv("TZ");
	tzset();
}

static void expect_depth(const char *text, size_t want)
{
	size_t got = jspec_nesting_depth(text, strlen(text));

	if (got != want)
		fail_msg("depth of %s: want %zu, got %zu", text, want, got);
}

static void test_nesting_depth(void **state)
{
	char *deep;

	(void)state;
	expect_depth("", 0);
	expect_depth("1", 0);
	expect_depth("\"[{\"", 0);
	expect_depth("{}", 1);
	expect_depth("[]", 1);
	expect_depth("[1,[2],{\"a\":{}}]", 3);
	expect_depth("[{\"a\":[1]}]", 3);
	expect_depth("[[],[],[]]", 2);
	expect_depth("{\"a\":[[[[]]]],\"b\":{}}", 5);
	/* brackets inside strings do not count */
	expect_depth("[\"[[[[{{{{\"]", 1);
	expect_depth("{\"k[[\":\"v]]]]]\",\"x\":[1]}", 2);
	/* an escaped quote does not end the string */
	expect_depth("[\"\\\"[[[[\"]", 1);
	expect_depth("[\"a\\\"b\\\"[[[\"]", 1);
	/* an escaped backslash does: "\\" then a real [[...]] */
	expect_depth("[\"\\\\\",[[1]]]", 3);
	expect_depth("[\"\\\\\\\"[[\",[1]]", 2);
	expect_depth("[\"\\u005b\\u007b\"]", 1);
	/* unbalanced text and trailing backslashes are safe */
	expect_depth("]]]}}[", 1);
	expect_depth("[[[", 3);
	expect_depth("[\"abc\\", 1);
	expect_depth("\"\\", 0);
	/* len bounds the scan, not the NUL */
	assert_int_equal(jspec_nesting_depth("[[[[", 2), 2);
	assert_int_equal(jspec_nesting_depth("[\0[[", 4), 3);
	assert_int_equal(jspec_nesting_depth(NULL, 10), 0);

	deep = malloc(20001);
	assert_non_null(deep);
	memset(deep, '[', 10000);
	memset(deep + 10000, ']', 10000);
	deep[20000] = '\0';
	expect_depth(deep, 10000);
	free(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_valid_documents),
	        cmocka_unit_test(test_document_must_be_object),
	        cmocka_unit_test(test_missing_and_null),
	        cmocka_unit_test(test_unknown_members),
	        cmocka_unit_test(test_spec_fields_in_table_order),
	        cmocka_unit_test(test_wrong_types),
	        cmocka_unit_test(test_string_bounds_in_bytes),
	        cmocka_unit_test(test_nul_in_string),
	        cmocka_unit_test(test_integer_bounds),
	        cmocka_unit_test(test_enum),
	        cmocka_unit_test(test_arrays),
	        cmocka_unit_test(test_uuid),
	        cmocka_unit_test(test_timestamp_field),
	        cmocka_unit_test(test_pointer_escaping),
	        cmocka_unit_test(test_pointer_truncation),
	        cmocka_unit_test(test_pointer_truncation_deeper),
	        cmocka_unit_test(test_err_reset_and_null),
	        cmocka_unit_test(test_spec_mistakes),
	        cmocka_unit_test(test_timestamp_values),
	        cmocka_unit_test(test_timestamp_fractions),
	        cmocka_unit_test(test_timestamp_calendar),
	        cmocka_unit_test(test_timestamp_clock_and_offsets),
	        cmocka_unit_test(test_timestamp_syntax),
	        cmocka_unit_test(test_timestamp_ignores_time_zone),
	        cmocka_unit_test(test_nesting_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
