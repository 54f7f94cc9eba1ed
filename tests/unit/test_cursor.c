/*
 * test_cursor — cursors round-trip, and any change to one, or a cursor of
 * another key, is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "cursor.h"

static void test_round_trip_and_tamper(void **state)
{
	struct signer_key a, b;
	uint8_t ka[32], kb[32];
	char text[CURSOR_MAX_TEXT], out[CURSOR_MAX_PAYLOAD + 1];
	const char *payload = "2026-11-25T07:35:37.092736Z|5e162a77-fc7e-4ae6-809f-7e578f59bbae";
	(void)state;

	crypto_sign_keypair(a.pk, a.sk);
	crypto_sign_keypair(b.pk, b.sk);
	cursor_key(&a, ka);
	cursor_key(&b, kb);
	assert_int_equal(cursor_encode(ka, payload, text, sizeof text), 0);
	assert_null(strstr(text, "2026")); /* opaque, not the payload in clear */
	assert_int_equal(cursor_decode(ka, text, out, sizeof out), 0);
	assert_string_equal(out, payload);
	assert_int_equal(cursor_decode(kb, text, out, sizeof out), -1);
	for (size_t i = 0; i < strlen(text); i++) {
		char saved = text[i];
		text[i] = saved == 'A' ? 'B' : 'A';
		assert_int_equal(cursor_decode(ka, text, out, sizeof out), -1);
		text[i] = saved;
	}
	assert_int_equal(cursor_decode(ka, "", out, sizeof out), -1);
	assert_int_equal(cursor_decode(ka, "nope", out, sizeof out), -1);
	assert_int_equal(cursor_decode(ka, "!!!!", out, sizeof out), -1);
	assert_int_equal(cursor_decode(ka, text, out, 4), -1); /* no room: refused, not cut */
}

static void test_bounds(void **state)
{
	uint8_t k[32] = {1};
	char big[CURSOR_MAX_PAYLOAD + 2], text[CURSOR_MAX_TEXT], out[CURSOR_MAX_PAYLOAD + 1];
	(void)state;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(cursor_encode(k, big, text, sizeof text), -1);
	big[CURSOR_MAX_PAYLOAD] = '\0';
	assert_int_equal(cursor_encode(k, big, text, sizeof text), 0);
	assert_int_equal(cursor_decode(k, text, out, sizeof out), 0);
	assert_int_equal(strlen(out), CURSOR_MAX_PAYLOAD);
	assert_int_equal(cursor_encode(k, "a", text, 8), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_round_trip_and_tamper),
	        cmocka_unit_test(test_bounds),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("cursor", tests, NULL, NULL);
}
