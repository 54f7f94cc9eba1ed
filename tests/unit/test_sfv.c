/*
 * test_sfv — RFC 8941 parser and serializer (server/sfv.c).
 *
 * Cases follow RFC 8941's text and the shape of the httpwg
 * structured-field-tests suite: each valid input is checked against its
 * canonical serialization, each invalid one must fail. Must never depend on
 * anything but sfv.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sfv.h"

static struct sfv_field F;
static char OUT[SFV_MAX_FIELD * 2];

static enum sfv_status parse(enum sfv_kind kind, const char *s, size_t n)
{
	if (kind == SFV_KIND_DICT)
		return sfv_parse_dictionary(s, n, &F);
	if (kind == SFV_KIND_LIST)
		return sfv_parse_list(s, n, &F);
	return sfv_parse_item(s, n, &F);
}

/* `in` parses as `kind` and serializes to `canon`. */
static void ok_as(enum sfv_kind kind, const char *in, const char *canon)
{
	enum sfv_status st = parse(kind, in, strlen(in));

	if (st != SFV_OK)
		fail_msg("\"%s\" should parse, got %d (%s at %zu)", in, st, F.err_reason,
		         F.err_offset);
	assert_int_equal(sfv_serialize(&F, OUT, sizeof(OUT), NULL), SFV_OK);
	if (strcmp(OUT, canon) != 0)
		fail_msg("\"%s\" serialized to \"%s\", expected \"%s\"", in, OUT, canon);
}

static void bad_as(enum sfv_kind kind, const char *in, enum sfv_status want)
{
	enum sfv_status st = parse(kind, in, strlen(in));

	if (st != want)
		fail_msg("\"%s\" gave %d, expected %d", in, st, want);
	assert_non_null(F.err_reason);
}

#define OK_ITEM(in, canon) ok_as(SFV_KIND_ITEM, in, canon)
#define OK_LIST(in, canon) ok_as(SFV_KIND_LIST, in, canon)
#define OK_DICT(in, canon) ok_as(SFV_KIND_DICT, in, canon)
#define BAD_ITEM(in)       bad_as(SFV_KIND_ITEM, in, SFV_EINVAL)
#define BAD_LIST(in)       bad_as(SFV_KIND_LIST, in, SFV_EINVAL)
#define BAD_DICT(in)       bad_as(SFV_KIND_DICT, in, SFV_EINVAL)

static const struct sfv_item *only_item(void)
{
	assert_int_equal(F.n_members, 1);
	assert_false(F.members[0].is_inner);
	return &F.items[F.members[0].first];
}

static void test_integers(void **state)
{
	(void)state;
	OK_ITEM("42", "42");
	assert_int_equal(only_item()->value.type, SFV_INTEGER);
	assert_int_equal(only_item()->value.num, 42);
	OK_ITEM("-42", "-42");
	assert_int_equal(only_item()->value.num, -42);
	OK_ITEM("0", "0");
	OK_ITEM("-0", "0");
	OK_ITEM("00", "0");
	OK_ITEM("042", "42");
	OK_ITEM("999999999999999", "999999999999999");
	assert_int_equal(only_item()->value.num, 999999999999999LL);
	OK_ITEM("-999999999999999", "-999999999999999");
	OK_ITEM("000000000000001", "1"); /* 15 digits, leading zeros count */
	BAD_ITEM("1000000000000000");    /* 16 digits */
	BAD_ITEM("-1000000000000000");
	BAD_ITEM("0000000000000001");
	BAD_ITEM("-");
	BAD_ITEM("- 1");
	BAD_ITEM("--1");
	BAD_ITEM("4 2");
	BAD_ITEM("1a");
	BAD_ITEM("+1");
	BAD_ITEM("0x1");
}

static void test_decimals(void **state)
{
	(void)state;
	OK_ITEM("1.5", "1.5");
	assert_int_equal(only_item()->value.type, SFV_DECIMAL);
	assert_int_equal(only_item()->value.num, 1500);
	OK_ITEM("-1.5", "-1.5");
	assert_int_equal(only_item()->value.num, -1500);
	OK_ITEM("1.500", "1.5");
	OK_ITEM("1.050", "1.05");
	OK_ITEM("0.001", "0.001");
	OK_ITEM("0.0", "0.0");
	OK_ITEM("-0.0", "0.0");
	OK_ITEM("1.123", "1.123");
	OK_ITEM("123456789012.123", "123456789012.123");
	OK_ITEM("-123456789012.123", "-123456789012.123");
	OK_ITEM("123456789012.1", "123456789012.1");
	BAD_ITEM("1234567890123.0"); /* 13 integer digits */
	BAD_ITEM("1.1234");          /* 4 fractional digits */
	BAD_ITEM("1.");
	BAD_ITEM("-1.");
	BAD_ITEM(".1");
	BAD_ITEM("-.1");
	BAD_ITEM("1.2.3");
	BAD_ITEM("1..2");
}

static void test_strings(void **state)
{
	char big[SFV_MAX_STRING + 8];
	char canon[SFV_MAX_STRING + 8];

	(void)state;
	OK_ITEM("\"foo\"", "\"foo\"");
	assert_int_equal(only_item()->value.type, SFV_STRING);
	assert_string_equal(sfv_text(&F, only_item()->value.off), "foo");
	OK_ITEM("\"\"", "\"\"");
	assert_int_equal(only_item()->value.len, 0);
	OK_ITEM("\"a\\\"b\"", "\"a\\\"b\"");
	assert_string_equal(sfv_text(&F, only_item()->value.off), "a\"b");
	OK_ITEM("\"a\\\\b\"", "\"a\\\\b\"");
	assert_string_equal(sfv_text(&F, only_item()->value.off), "a\\b");
	OK_ITEM("\" !#~\"", "\" !#~\"");
	BAD_ITEM("\"a\\nb\""); /* only \" and \\ may be escaped */
	BAD_ITEM("\"a\\'\"");
	BAD_ITEM("\"abc");
	BAD_ITEM("\"abc\\\"");
	BAD_ITEM("\"abc\\");
	BAD_ITEM("\"a\tb\"");
	BAD_ITEM("\"a\nb\"");
	BAD_ITEM("\"a\x7f"
	         "b\"");
	BAD_ITEM("\"\xc3\xa9\""); /* non-ASCII */
	BAD_ITEM("'foo'");
	/* the length cap */
	big[0] = '"';
	memset(big + 1, 'x', SFV_MAX_STRING);
	big[SFV_MAX_STRING + 1] = '"';
	big[SFV_MAX_STRING + 2] = '\0';
	memcpy(canon, big, sizeof(canon));
	OK_ITEM(big, canon);
	big[SFV_MAX_STRING + 1] = 'x';
	big[SFV_MAX_STRING + 2] = '"';
	big[SFV_MAX_STRING + 3] = '\0';
	bad_as(SFV_KIND_ITEM, big, SFV_ELIMIT);
}

static void test_tokens(void **state)
{
	(void)state;
	OK_ITEM("foo", "foo");
	assert_int_equal(only_item()->value.type, SFV_TOKEN);
	assert_string_equal(sfv_text(&F, only_item()->value.off), "foo");
	OK_ITEM("*foo", "*foo");
	OK_ITEM("Foo", "Foo");
	OK_ITEM("a:b/c", "a:b/c");
	OK_ITEM("foo123/456", "foo123/456");
	OK_ITEM("a!#$%&'*+-.^_`|~", "a!#$%&'*+-.^_`|~");
	BAD_ITEM("1abc");
	BAD_ITEM("f o");
	BAD_ITEM("a[b");
	BAD_ITEM("a(b");
	BAD_ITEM("%foo");
	BAD_ITEM("_foo");
	BAD_ITEM("/foo");
}

static void test_bytes(void **state)
{
	char big[1024];
	uint8_t raw[SFV_MAX_BYTES + 1];
	struct sfv_value v = {.type = SFV_BYTES, .data = raw};

	(void)state;
	OK_ITEM(":aGVsbG8=:", ":aGVsbG8=:");
	assert_int_equal(only_item()->value.type, SFV_BYTES);
	assert_int_equal(only_item()->value.len, 5);
	assert_memory_equal(sfv_text(&F, only_item()->value.off), "hello", 5);
	OK_ITEM("::", "::");
	assert_int_equal(only_item()->value.len, 0);
	OK_ITEM(":aGVsbG8:", ":aGVsbG8=:"); /* missing padding: RFC 8941 4.2.7 */
	OK_ITEM(":YQ:", ":YQ==:");
	OK_ITEM(":YQ=:", ":YQ==:");
	OK_ITEM(":/+Ah:", ":/+Ah:");
	BAD_ITEM(":aGVsbG8=");   /* not closed */
	BAD_ITEM(":aGVsb G8=:"); /* whitespace */
	BAD_ITEM(":aGVsbG8.:");
	BAD_ITEM(":=aGVsbG8=:");
	BAD_ITEM(":a=GVsbG8=:");
	BAD_ITEM(":aGVsbG8==:");
	BAD_ITEM(":_-Ah:"); /* url-safe alphabet */
	BAD_ITEM(":a:");    /* one char cannot be base64 */
	BAD_ITEM(":iZ==:"); /* non-zero pad bits: refused (libsodium; RFC permits) */
	/* the decoded-length cap */
	memset(raw, 0xab, sizeof(raw));
	sfv_init(&F, SFV_KIND_ITEM);
	v.len = SFV_MAX_BYTES;
	assert_int_equal(sfv_add_member(&F, NULL, &v, NULL), SFV_OK);
	assert_int_equal(sfv_serialize(&F, big, sizeof(big), NULL), SFV_OK);
	OK_ITEM(big, big);
	assert_int_equal(only_item()->value.len, SFV_MAX_BYTES);
	sfv_init(&F, SFV_KIND_ITEM);
	v.len = SFV_MAX_BYTES + 1;
	assert_int_equal(sfv_add_member(&F, NULL, &v, NULL), SFV_EINVAL);
	/* 513 bytes, encoded by hand: 171 groups of 4 chars */
	big[0] = ':';
	memset(big + 1, 'A', 684);
	big[685] = ':';
	big[686] = '\0';
	bad_as(SFV_KIND_ITEM, big, SFV_ELIMIT);
}

static void test_booleans(void **state)
{
	(void)state;
	OK_ITEM("?1", "?1");
	assert_int_equal(only_item()->value.type, SFV_BOOLEAN);
	assert_true(only_item()->value.boolean);
	OK_ITEM("?0", "?0");
	assert_false(only_item()->value.boolean);
	BAD_ITEM("?2");
	BAD_ITEM("?");
	BAD_ITEM("?01");
	BAD_ITEM("? 1");
	BAD_ITEM("?t");
	OK_ITEM("true", "true"); /* a token */
}

static void test_params(void **state)
{
	char in[512];
	size_t i, n;

	(void)state;
	OK_ITEM("1;a=1;b", "1;a=1;b");
	OK_ITEM("1;a=?1", "1;a");
	OK_ITEM("1;a=?0", "1;a=?0");
	OK_ITEM("1; a=1", "1;a=1");
	OK_ITEM("1;a=1;a=2", "1;a=2"); /* last wins, first position */
	OK_ITEM("1;a=1;b=2;a=3", "1;a=3;b=2");
	OK_ITEM("1;a1_-.*=\"x\"", "1;a1_-.*=\"x\"");
	OK_ITEM("1;*a=tok", "1;*a=tok");
	OK_ITEM("1;a=:aGk=:;b=1.5", "1;a=:aGk=:;b=1.5");
	assert_int_equal(only_item()->params.n, 2);
	assert_non_null(sfv_param_get(&F, &only_item()->params, "b"));
	assert_null(sfv_param_get(&F, &only_item()->params, "c"));
	BAD_ITEM("1 ;a=1");
	BAD_ITEM("1;A=1");
	BAD_ITEM("1;aA=1");
	BAD_ITEM("1;1a=1");
	BAD_ITEM("1;=1");
	BAD_ITEM("1;a=(1)");
	BAD_ITEM("1;a=");
	BAD_ITEM("1;");
	BAD_ITEM("1;a =1");
	BAD_ITEM("1;a= 1");
	BAD_ITEM("1;_a=1");
	/* 16 parameters, then 17 */
	n = (size_t)snprintf(in, sizeof(in), "1");
	for (i = 0; i < SFV_MAX_PARAMS; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, ";k%zu=%zu", i, i);
	OK_ITEM(in, in);
	snprintf(in + n, sizeof(in) - n, ";k99");
	bad_as(SFV_KIND_ITEM, in, SFV_ELIMIT);
}

static void test_keys(void **state)
{
	char in[256];

	(void)state;
	memset(in, 'a', SFV_MAX_KEY);
	strcpy(in + SFV_MAX_KEY, "=1");
	OK_DICT(in, in);
	memset(in, 'a', SFV_MAX_KEY + 1);
	strcpy(in + SFV_MAX_KEY + 1, "=1");
	bad_as(SFV_KIND_DICT, in, SFV_ELIMIT);
	OK_DICT("*=1", "*=1");
	OK_DICT("a-b.c_d*9=1", "a-b.c_d*9=1");
	BAD_DICT("A=1");
	BAD_DICT("aB=1");
	BAD_DICT("1a=1");
	BAD_DICT("-a=1");
	BAD_DICT("a b=1");
	BAD_DICT("=1");
}

static void test_inner_lists(void **state)
{
	char in[512];
	size_t i, n;

	(void)state;
	OK_LIST("(1 2 3)", "(1 2 3)");
	assert_true(F.members[0].is_inner);
	assert_int_equal(F.members[0].n, 3);
	OK_LIST("()", "()");
	OK_LIST("( 1 2 )", "(1 2)");
	OK_LIST("(1  2)", "(1 2)");
	OK_LIST("(1;a=1 2);b", "(1;a=1 2);b");
	OK_LIST("(\"a\" b :aGk=: ?0 1.5)", "(\"a\" b :aGk=: ?0 1.5)");
	OK_LIST("();a=1", "();a=1");
	BAD_LIST("(1\t2)");
	BAD_LIST("(1,2)");
	BAD_LIST("(1 2");
	BAD_LIST("(");
	BAD_LIST("((1))");
	BAD_LIST("(1)(2)");
	BAD_LIST("(1) ;a");
	BAD_LIST("(1 ;a)");
	/* 32 items, then 33 */
	n = (size_t)snprintf(in, sizeof(in), "(");
	for (i = 0; i < SFV_MAX_INNER_ITEMS; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "%s%zu", i ? " " : "", i);
	snprintf(in + n, sizeof(in) - n, ")");
	OK_LIST(in, in);
	snprintf(in + n, sizeof(in) - n, " 99)");
	bad_as(SFV_KIND_LIST, in, SFV_ELIMIT);
	BAD_ITEM("(1)"); /* an item is never an inner list */
}

static void test_lists(void **state)
{
	char in[512];
	size_t i, n;

	(void)state;
	OK_LIST("1, 2", "1, 2");
	OK_LIST("1,2", "1, 2");
	OK_LIST("1 , 2", "1, 2");
	OK_LIST("1,\t2", "1, 2");
	OK_LIST("1\t,\t2", "1, 2");
	OK_LIST("a;x=1, (b c);y", "a;x=1, (b c);y");
	OK_LIST("", "");
	assert_int_equal(F.n_members, 0);
	OK_LIST("   ", "");
	BAD_LIST("1, 2,");
	BAD_LIST("1, 2, ");
	BAD_LIST(",1");
	BAD_LIST("1,,2");
	BAD_LIST("1 2");
	BAD_LIST(",");
	/* 32 members, then 33 */
	n = 0;
	for (i = 0; i < SFV_MAX_MEMBERS; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "%s%zu", i ? ", " : "", i);
	OK_LIST(in, in);
	snprintf(in + n, sizeof(in) - n, ", 99");
	bad_as(SFV_KIND_LIST, in, SFV_ELIMIT);
}

static void test_dictionaries(void **state)
{
	const struct sfv_member *m;

	(void)state;
	OK_DICT("a=1, b=2", "a=1, b=2");
	OK_DICT("a=1,b=2", "a=1, b=2");
	OK_DICT("a, b=?0", "a, b=?0");
	m = sfv_dict_get(&F, "a");
	assert_non_null(m);
	assert_int_equal(F.items[m->first].value.type, SFV_BOOLEAN);
	assert_true(F.items[m->first].value.boolean);
	assert_null(sfv_dict_get(&F, "c"));
	OK_DICT("a=?1", "a");
	OK_DICT("a;x=1", "a;x=1");
	OK_DICT("a=?1;x", "a;x");
	OK_DICT("a=?0;x", "a=?0;x");
	OK_DICT("a=1,b=2,a=3", "a=3, b=2"); /* last value, first position */
	OK_DICT("a=1,a=(1 2);x", "a=(1 2);x");
	OK_DICT("a=(1 2);x, b", "a=(1 2);x, b");
	OK_DICT("a=()", "a=()");
	OK_DICT("a=1 ,\tb=2", "a=1, b=2");
	OK_DICT("", "");
	assert_int_equal(F.n_members, 0);
	BAD_DICT("a=");
	BAD_DICT("a=1,");
	BAD_DICT("a=1 b=2");
	BAD_DICT("a=1;b=2=3");
	BAD_DICT("a==1");
	BAD_DICT("a=1,,b=2");
	BAD_DICT("(1)");
	BAD_DICT("1");
	/* a dictionary is not a list */
	BAD_LIST("a=1");
}

static void test_whitespace(void **state)
{
	(void)state;
	OK_ITEM("  42  ", "42");
	OK_DICT(" a=1 ", "a=1");
	OK_DICT("a=1\t", "a=1"); /* OWS after a member is discarded (4.2.2 2.5) */
	OK_LIST("1\t", "1");
	BAD_ITEM("\t42");
	BAD_ITEM("42\t");
	BAD_DICT("\ta=1");
	BAD_LIST("\t1");
	BAD_ITEM("42\n");
	BAD_ITEM("");
	BAD_ITEM(" ");
}

static void test_field_bounds(void **state)
{
	char *big = malloc(SFV_MAX_FIELD + 2);
	const char nul[] = "a=1\0b=2";

	(void)state;
	assert_non_null(big);
	memset(big, ' ', SFV_MAX_FIELD + 1);
	assert_int_equal(sfv_parse_list(big, SFV_MAX_FIELD, &F), SFV_OK);
	assert_int_equal(sfv_parse_list(big, SFV_MAX_FIELD + 1, &F), SFV_ELIMIT);
	free(big);
	assert_int_equal(sfv_parse_dictionary(nul, sizeof(nul) - 1, &F), SFV_EINVAL);
	assert_int_equal(sfv_parse_dictionary(nul, 3, &F), SFV_OK); /* length, not NUL */
	BAD_DICT("a=\"\x80\"");
	BAD_DICT("a=1, \xff");
}

static void test_errors_name_the_place(void **state)
{
	(void)state;
	assert_int_equal(sfv_parse_dictionary("a=1, b=?2", 9, &F), SFV_EINVAL);
	assert_int_equal(F.err_offset, 8);
	assert_string_equal(F.err_reason, "a boolean is ?0 or ?1");
}

static void test_builder(void **state)
{
	struct sfv_member *m = NULL;
	struct sfv_item *it = NULL;
	struct sfv_value tok = {.type = SFV_TOKEN, .data = "tok", .len = 3};
	struct sfv_value str = {.type = SFV_STRING, .data = "a\"\\b", .len = 4};
	struct sfv_value dec = {.type = SFV_DECIMAL, .num = -1250};
	struct sfv_value yes = {.type = SFV_BOOLEAN, .boolean = true};
	struct sfv_value no = {.type = SFV_BOOLEAN, .boolean = false};
	struct sfv_value bin = {.type = SFV_BYTES, .data = "hi", .len = 2};
	struct sfv_value num = {.type = SFV_INTEGER, .num = 7};

	(void)state;
	sfv_init(&F, SFV_KIND_DICT);
	assert_int_equal(sfv_add_member(&F, "a", &tok, NULL), SFV_OK);
	assert_int_equal(sfv_add_member(&F, "b", NULL, &m), SFV_OK);
	assert_int_equal(sfv_add_item(&F, m, &str, &it), SFV_OK);
	assert_int_equal(sfv_add_param(&F, &it->params, "p", &dec), SFV_OK);
	assert_int_equal(sfv_add_item(&F, m, &bin, NULL), SFV_OK);
	assert_int_equal(sfv_add_param(&F, &m->params, "q", &yes), SFV_OK);
	assert_int_equal(sfv_add_param(&F, &m->params, "r", &no), SFV_OK);
	assert_int_equal(sfv_add_member(&F, "c", &yes, NULL), SFV_OK);
	assert_int_equal(sfv_add_member(&F, "d", &num, NULL), SFV_OK);
	assert_int_equal(sfv_serialize(&F, OUT, sizeof(OUT), NULL), SFV_OK);
	assert_string_equal(OUT, "a=tok, b=(\"a\\\"\\\\b\";p=-1.25 :aGk=:);q;r=?0, c, d=7");
	assert_int_equal(sfv_serialize_inner_list(&F, m, OUT, sizeof(OUT), NULL), SFV_OK);
	assert_string_equal(OUT, "(\"a\\\"\\\\b\";p=-1.25 :aGk=:);q;r=?0");
	assert_int_equal(sfv_serialize_inner_list(&F, &F.members[0], OUT, sizeof(OUT), NULL),
	                 SFV_EINVAL);
	/* the serialization parses back to itself */
	assert_int_equal(sfv_serialize(&F, OUT, sizeof(OUT), NULL), SFV_OK);
	OK_DICT(OUT, "a=tok, b=(\"a\\\"\\\\b\";p=-1.25 :aGk=:);q;r=?0, c, d=7");
}

static void test_builder_refusals(void **state)
{
	struct sfv_member *m = NULL, *m2 = NULL;
	struct sfv_item *it = NULL;
	struct sfv_value v = {.type = SFV_INTEGER, .num = 1};
	struct sfv_value bad;

	(void)state;
	sfv_init(&F, SFV_KIND_DICT);
	assert_int_equal(sfv_add_member(&F, NULL, &v, NULL), SFV_EINVAL); /* key needed */
	assert_int_equal(sfv_add_member(&F, "A", &v, NULL), SFV_EINVAL);
	assert_int_equal(sfv_add_member(&F, "", &v, NULL), SFV_EINVAL);
	assert_int_equal(sfv_add_member(&F, "a", &v, NULL), SFV_OK);
	assert_int_equal(sfv_add_member(&F, "a", &v, NULL), SFV_EINVAL); /* duplicate */
	bad = (struct sfv_value){.type = SFV_INTEGER, .num = SFV_INTEGER_MAX + 1};
	assert_int_equal(sfv_add_member(&F, "b", &bad, NULL), SFV_EINVAL);
	bad = (struct sfv_value){.type = SFV_INTEGER, .num = -SFV_INTEGER_MAX - 1};
	assert_int_equal(sfv_add_member(&F, "b", &bad, NULL), SFV_EINVAL);
	bad = (struct sfv_value){.type = SFV_DECIMAL, .num = SFV_DECIMAL_MAX_THOUSANDTHS + 1};
	assert_int_equal(sfv_add_member(&F, "b", &bad, NULL), SFV_EINVAL);
	bad = (struct sfv_value){.type = SFV_STRING, .data = "a\nb", .len = 3};
	assert_int_equal(sfv_add_member(&F, "b", &bad, NULL), SFV_EINVAL);
	bad = (struct sfv_value){.type = SFV_TOKEN, .data = "1a", .len = 2};
	assert_int_equal(sfv_add_member(&F, "b", &bad, NULL), SFV_EINVAL);
	bad = (struct sfv_value){.type = SFV_TOKEN, .data = "", .len = 0};
	assert_int_equal(sfv_add_member(&F, "b", &bad, NULL), SFV_EINVAL);
	bad = (struct sfv_value){.type = (enum sfv_type)99};
	assert_int_equal(sfv_add_member(&F, "b", &bad, NULL), SFV_EINVAL);
	/* items only into an inner list, and only the last one */
	assert_int_equal(sfv_add_item(&F, &F.members[0], &v, NULL), SFV_EINVAL);
	assert_int_equal(sfv_add_member(&F, "l1", NULL, &m), SFV_OK);
	assert_int_equal(sfv_add_item(&F, m, &v, &it), SFV_OK);
	assert_int_equal(sfv_add_member(&F, "l2", NULL, &m2), SFV_OK);
	assert_int_equal(sfv_add_item(&F, m2, &v, NULL), SFV_OK);
	assert_int_equal(sfv_add_item(&F, m, &v, NULL), SFV_EINVAL);
	/* params only on the last run, no duplicates */
	assert_int_equal(sfv_add_param(&F, &m2->params, "x", &v), SFV_OK);
	assert_int_equal(sfv_add_param(&F, &m2->params, "x", &v), SFV_EINVAL);
	assert_int_equal(sfv_add_param(&F, &m2->params, "X", &v), SFV_EINVAL);
	assert_int_equal(sfv_add_param(&F, &it->params, "y", &v), SFV_OK); /* empty run */
	assert_int_equal(sfv_add_param(&F, &m2->params, "z", &v), SFV_EINVAL);
	/* list and item fields take no keys; an item field one plain member */
	sfv_init(&F, SFV_KIND_LIST);
	assert_int_equal(sfv_add_member(&F, "a", &v, NULL), SFV_EINVAL);
	sfv_init(&F, SFV_KIND_ITEM);
	assert_int_equal(sfv_serialize(&F, OUT, sizeof(OUT), NULL), SFV_EINVAL);
	assert_int_equal(sfv_add_member(&F, NULL, NULL, NULL), SFV_EINVAL);
	assert_int_equal(sfv_add_member(&F, NULL, &v, NULL), SFV_OK);
	assert_int_equal(sfv_add_member(&F, NULL, &v, NULL), SFV_EINVAL);
}

static void test_builder_limits(void **state)
{
	struct sfv_member *m = NULL;
	struct sfv_value v = {.type = SFV_INTEGER, .num = 1};
	char key[16];
	size_t i;

	(void)state;
	sfv_init(&F, SFV_KIND_LIST);
	for (i = 0; i < SFV_MAX_MEMBERS; i++)
		assert_int_equal(sfv_add_member(&F, NULL, &v, NULL), SFV_OK);
	assert_int_equal(sfv_add_member(&F, NULL, &v, NULL), SFV_ELIMIT);
	sfv_init(&F, SFV_KIND_LIST);
	assert_int_equal(sfv_add_member(&F, NULL, NULL, &m), SFV_OK);
	for (i = 0; i < SFV_MAX_INNER_ITEMS; i++)
		assert_int_equal(sfv_add_item(&F, m, &v, NULL), SFV_OK);
	assert_int_equal(sfv_add_item(&F, m, &v, NULL), SFV_ELIMIT);
	for (i = 0; i < SFV_MAX_PARAMS; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		assert_int_equal(sfv_add_param(&F, &m->params, key, &v), SFV_OK);
	}
	assert_int_equal(sfv_add_param(&F, &m->params, "more", &v), SFV_ELIMIT);
}

static void test_serialize_space(void **state)
{
	char small[8];
	size_t n = 0;

	(void)state;
	assert_int_equal(sfv_parse_list("1, 2, 3", 7, &F), SFV_OK);
	assert_int_equal(sfv_serialize(&F, small, 8, &n), SFV_OK); /* 7 + NUL */
	assert_int_equal(n, 7);
	assert_string_equal(small, "1, 2, 3");
	assert_int_equal(sfv_serialize(&F, small, 7, &n), SFV_ESPACE);
	assert_string_equal(small, "");
	assert_int_equal(sfv_serialize(&F, small, 0, &n), SFV_ESPACE);
	assert_int_equal(sfv_serialize_inner_list(&F, &F.members[0], small, 8, &n), SFV_EINVAL);
}

/* Decimals are exact: every thousandth survives serialize then parse. */
static void test_decimal_roundtrip_loop(void **state)
{
	struct sfv_value v = {.type = SFV_DECIMAL};
	char buf[64];
	int64_t x;

	(void)state;
	for (x = -2500; x <= 2500; x += 7) {
		v.num = x * 100003;
		sfv_init(&F, SFV_KIND_ITEM);
		assert_int_equal(sfv_add_member(&F, NULL, &v, NULL), SFV_OK);
		assert_int_equal(sfv_serialize(&F, buf, sizeof(buf), NULL), SFV_OK);
		assert_int_equal(sfv_parse_item(buf, strlen(buf), &F), SFV_OK);
		assert_int_equal(only_item()->value.type, SFV_DECIMAL);
		assert_int_equal(only_item()->value.num, v.num);
	}
}

/*
 * Property: any input that parses serializes to a canonical form that
 * parses again to the same canonical form (xorshift-driven, fixed seed).
 */
static void test_random_canonical_fixpoint(void **state)
{
	static const char alphabet[] = "abz*AZ09-.:;=,() \t\"\\?1/+_!";
	char in[48], first[4096], second[4096];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t round, i, n, parsed = 0;
	int k;

	(void)state;
	for (round = 0; round < 200000; round++) {
		n = 1 + round % (sizeof(in) - 1);
		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			in[i] = alphabet[x % (sizeof(alphabet) - 1)];
		}
		for (k = 0; k < 3; k++) {
			enum sfv_kind kind = (enum sfv_kind)k;

			if (parse(kind, in, n) != SFV_OK)
				continue;
			parsed++;
			assert_int_equal(sfv_serialize(&F, first, sizeof(first), NULL), SFV_OK);
			assert_int_equal(parse(kind, first, strlen(first)), SFV_OK);
			assert_int_equal(sfv_serialize(&F, second, sizeof(second), NULL), SFV_OK);
			assert_string_equal(first, second);
		}
	}
	assert_true(parsed > 1000); /* the loop exercised the parser */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_integers),
	        cmocka_unit_test(test_decimals),
	        cmocka_unit_test(test_strings),
	        cmocka_unit_test(test_tokens),
	        cmocka_unit_test(test_bytes),
	        cmocka_unit_test(test_booleans),
	        cmocka_unit_test(test_params),
	        cmocka_unit_test(test_keys),
	        cmocka_unit_test(test_inner_lists),
	        cmocka_unit_test(test_lists),
	        cmocka_unit_test(test_dictionaries),
	        cmocka_unit_test(test_whitespace),
	        cmocka_unit_test(test_field_bounds),
	        cmocka_unit_test(test_errors_name_the_place),
	        cmocka_unit_test(test_builder),
	        cmocka_unit_test(test_builder_refusals),
	        cmocka_unit_test(test_builder_limits),
	        cmocka_unit_test(test_serialize_space),
	        cmocka_unit_test(test_decimal_roundtrip_loop),
	        cmocka_unit_test(test_random_canonical_fixpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
