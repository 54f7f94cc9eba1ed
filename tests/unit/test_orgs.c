/*
 * test_orgs — the key ids the API accepts: 1–128 bytes of [A-Za-z0-9._:-],
 * exactly the characters that never need escaping in a path segment or an
 * RFC 8941 string; nothing else, NUL included, gets through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "orgs.h"

static void test_key_id_characters(void **state)
{
	const char *ok = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
	char one[2] = {0};
	(void)state;

	assert_true(orgs_key_id_ok(ok, strlen(ok)));
	for (int c = 1; c < 256; c++) {
		one[0] = (char)c;
		assert_int_equal(orgs_key_id_ok(one, 1), strchr(ok, c) != NULL);
	}
	assert_false(orgs_key_id_ok("a\0b", 3));
	assert_false(orgs_key_id_ok("a/b", 3));
	assert_false(orgs_key_id_ok("a%3Ab", 5));
}

static void test_key_id_length(void **state)
{
	char id[130];
	(void)state;

	memset(id, 'k', sizeof id);
	assert_false(orgs_key_id_ok(id, 0));
	assert_true(orgs_key_id_ok(id, 1));
	assert_true(orgs_key_id_ok(id, 128));
	assert_false(orgs_key_id_ok(id, 129));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_key_id_characters),
	        cmocka_unit_test(test_key_id_length),
	};
	return cmocka_run_group_tests_name("orgs", tests, NULL, NULL);
}
