/*
 * test_problem — the error table and its documentation agree.
 *
 * Every code of include/errors.def (but OK) must appear in api.md's error
 * table as "| <status> | `<slug>` |", and problem_json must render RFC 9457
 * members. Run from the repository root (make does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "problem.h"

static char *read_api_md(void)
{
	FILE *f = fopen("api.md", "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = calloc(1, (size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static void test_every_code_documented(void **state)
{
	char *doc = read_api_md();
	(void)state;

	assert_non_null(doc);
	for (int code = ERR_OK + 1; code < ERR__COUNT; code++) {
		char row[160];
		snprintf(row, sizeof row, "| %u | `%s` |", problem_status((enum err_code)code),
		         problem_slug((enum err_code)code));
		if (strstr(doc, row) == NULL)
			fail_msg("api.md lacks the error row: %s", row);
	}
	free(doc);
}

static void test_slugs_unique(void **state)
{
	(void)state;
	for (int a = 0; a < ERR__COUNT; a++)
		for (int b = a + 1; b < ERR__COUNT; b++)
			assert_string_not_equal(problem_slug((enum err_code)a),
			                        problem_slug((enum err_code)b));
}

static void test_problem_json_members(void **state)
{
	json_t *p = problem_json(ERR_MISSING_FIELD, "required member \"x\" is missing", "/x", "r1");
	(void)state;

	assert_non_null(p);
	assert_string_equal(json_string_value(json_object_get(p, "type")),
	                    "urn:isacd:problem:missing-field");
	assert_int_equal(json_integer_value(json_object_get(p, "status")), 422);
	assert_string_equal(json_string_value(json_object_get(p, "pointer")), "/x");
	assert_string_equal(json_string_value(json_object_get(p, "request_id")), "r1");
	assert_non_null(json_object_get(p, "title"));
	json_decref(p);

	p = problem_json(ERR_NOT_FOUND, NULL, NULL, NULL);
	assert_null(json_object_get(p, "detail"));
	assert_null(json_object_get(p, "pointer"));
	json_decref(p);
}

static void test_out_of_range_is_internal(void **state)
{
	(void)state;
	assert_int_equal(problem_status((enum err_code)9999), 500);
	assert_string_equal(problem_slug((enum err_code) - 1), "internal");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_code_documented),
	        cmocka_unit_test(test_slugs_unique),
	        cmocka_unit_test(test_problem_json_members),
	        cmocka_unit_test(test_out_of_range_is_internal),
	};
	return cmocka_run_group_tests_name("problem", tests, NULL, NULL);
}
