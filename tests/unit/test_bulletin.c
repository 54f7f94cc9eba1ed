/*
 * test_bulletin — the publication policy, the one decision that must never
 * let TLP:RED or an unreviewed AMBER/high bulletin out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "bulletin.h"
#include "report_schema.h"

static void test_policy_table(void **state)
{
	struct config cfg;
	(void)state;

	memset(&cfg, 0, sizeof cfg);
	strcpy(cfg.review_severity, "high");
	for (const char *const *t = report_tlp_levels; *t != NULL; t++) {
		for (const char *const *s = report_severities; *s != NULL; s++) {
			const char *fate = bulletin_policy(&cfg, *t, *s);
			bool clear_or_green = strcmp(*t, "CLEAR") == 0 || strcmp(*t, "GREEN") == 0;
			bool below = strcmp(*s, "low") == 0 || strcmp(*s, "medium") == 0;

			if (strcmp(*t, "RED") == 0)
				assert_string_equal(fate, "withheld");
			else if (clear_or_green && below)
				assert_string_equal(fate, "published");
			else
				assert_string_equal(fate, "pending_review");
		}
	}
}

static void test_policy_threshold_moves(void **state)
{
	struct config cfg;
	(void)state;

	memset(&cfg, 0, sizeof cfg);
	strcpy(cfg.review_severity, "low"); /* everything is reviewed */
	assert_string_equal(bulletin_policy(&cfg, "CLEAR", "low"), "pending_review");
	strcpy(cfg.review_severity, "critical");
	assert_string_equal(bulletin_policy(&cfg, "GREEN", "high"), "published");
	assert_string_equal(bulletin_policy(&cfg, "GREEN", "critical"), "pending_review");
	assert_string_equal(bulletin_policy(&cfg, "AMBER", "low"), "pending_review");
	assert_string_equal(bulletin_policy(&cfg, "AMBER+STRICT", "low"), "pending_review");
	assert_string_equal(bulletin_policy(&cfg, "RED", "low"), "withheld");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_policy_table),
	        cmocka_unit_test(test_policy_threshold_moves),
	};
	return cmocka_run_group_tests_name("bulletin", tests, NULL, NULL);
}
