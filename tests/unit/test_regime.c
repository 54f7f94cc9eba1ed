/*
 * test_regime — the pure parts of reporting regimes: durations as the CLI
 * takes them ("24h", "30d") and regime names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "regime.h"

static long long parsed(const char *s)
{
	long long v = -42;

	assert_int_equal(regime_parse_duration(s, &v), 0);
	return v;
}

static void test_durations(void **state)
{
	(void)state;
	assert_int_equal(parsed("1s"), 1);
	assert_int_equal(parsed("90s"), 90);
	assert_int_equal(parsed("30m"), 1800);
	assert_int_equal(parsed("24h"), 86400);
	assert_int_equal(parsed("72h"), 259200);
	assert_int_equal(parsed("30d"), 2592000);
	assert_int_equal(parsed("365d"), REGIME_MAX_S);
	assert_int_equal(parsed("0s"), 0); /* well-formed; the bounds are the caller's */
	assert_int_equal(parsed("007h"), 7 * 3600);
	assert_int_equal(parsed("999999999d"), 999999999LL * 86400); /* no overflow */
}

static void test_bad_durations(void **state)
{
	static const char *const bad[] = {
	        "",    "h",   "24",  "24x", "24H",  "-1h",  "+1h",  "1.5h",         " 1h",
	        "1h ", "1hh", "1h1", "1 h", "0x1h", "1e3s", "1d\n", "10000000000s", "1234567890m",
	};
	(void)state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		long long v = -42;
		if (regime_parse_duration(bad[i], &v) != -1 || v != -42)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(regime_parse_duration(NULL, NULL), -1);
}

static void test_names(void **state)
{
	char longest[34];
	(void)state;

	assert_true(regime_name_valid("default"));
	assert_true(regime_name_valid("nis2_essential-2024"));
	assert_true(regime_name_valid("a"));
	memset(longest, 'a', 32);
	longest[32] = '\0';
	assert_true(regime_name_valid(longest));
	longest[32] = 'a';
	longest[33] = '\0';
	assert_false(regime_name_valid(longest));
	assert_false(regime_name_valid(""));
	assert_false(regime_name_valid(NULL));
	assert_false(regime_name_valid("Default"));
	assert_false(regime_name_valid("has space"));
	assert_false(regime_name_valid("dot.name"));
	assert_false(regime_name_valid("slash/name"));
	assert_false(regime_name_valid("\xc3\xa9t\xc3\xa9"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_durations),
	        cmocka_unit_test(test_bad_durations),
	        cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("regime", tests, NULL, NULL);
}
