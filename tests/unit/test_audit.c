/*
 * test_audit — the audit hash chain: deterministic, sensitive to every
 * field, to order and to the previous hash; and the receipt bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "audit.h"
#include "clock.h"
#include "receipt.h"
#include "signer.h"
#include "uuid.h"

static const struct audit_entry base_entry = {1,
                                              1764054600000000LL,
                                              "cli",
                                              "org.created",
                                              "7a7f01fe-9555-40de-b4cd-8491d223b5d6",
                                              "{\"kind\":\"operator\"}"};

static void test_hash_deterministic(void **state)
{
	uint8_t zero[32] = {0}, a[32], b[32];
	(void)state;

	assert_int_equal(audit_hash(zero, &base_entry, a), 0);
	assert_int_equal(audit_hash(zero, &base_entry, b), 0);
	assert_memory_equal(a, b, 32);
}

static void test_hash_known_value(void **state)
{
	/* recompute the documented layout by hand and compare */
	uint8_t zero[32] = {0}, got[32], want[32], buf[512];
	size_t n = 0;
	const char *fields[4] = {base_entry.actor, base_entry.action, base_entry.subject,
	                         base_entry.detail};
	(void)state;

	memcpy(buf, "isacd audit v1", 15); /* with its NUL */
	n = 15;
	memcpy(buf + n, zero, 32);
	n += 32;
	for (int i = 7; i >= 0; i--)
		buf[n++] = (uint8_t)((uint64_t)base_entry.seq >> (8 * i));
	for (int i = 7; i >= 0; i--)
		buf[n++] = (uint8_t)((uint64_t)base_entry.at_us >> (8 * i));
	for (int f = 0; f < 4; f++) {
		size_t len = strlen(fields[f]);
		buf[n++] = (uint8_t)(len >> 24);
		buf[n++] = (uint8_t)(len >> 16);
		buf[n++] = (uint8_t)(len >> 8);
		buf[n++] = (uint8_t)len;
		memcpy(buf + n, fields[f], len);
		n += len;
	}
	crypto_hash_sha256(want, buf, n);
	assert_int_equal(audit_hash(zero, &base_entry, got), 0);
	assert_memory_equal(got, want, 32);
}

static void test_hash_sensitive_to_every_field(void **state)
{
	uint8_t zero[32] = {0}, ref[32], other[32], prev[32];
	struct audit_entry e;
	(void)state;

	assert_int_equal(audit_hash(zero, &base_entry, ref), 0);
	e = base_entry;
	e.seq = 2;
	audit_hash(zero, &e, other);
	assert_memory_not_equal(ref, other, 32);
	e = base_entry;
	e.at_us += 1;
	audit_hash(zero, &e, other);
	assert_memory_not_equal(ref, other, 32);
	e = base_entry;
	e.actor = "clj";
	audit_hash(zero, &e, other);
	assert_memory_not_equal(ref, other, 32);
	e = base_entry;
	e.detail = "{}";
	audit_hash(zero, &e, other);
	assert_memory_not_equal(ref, other, 32);
	/* length prefixes: moving a byte between fields changes the hash */
	e = base_entry;
	e.action = "org.create";
	e.subject = "d7a7f01fe-9555-40de-b4cd-8491d223b5d6";
	audit_hash(zero, &e, other);
	assert_memory_not_equal(ref, other, 32);
	memset(prev, 1, sizeof prev);
	audit_hash(prev, &base_entry, other);
	assert_memory_not_equal(ref, other, 32);
}

static void test_hash_refuses_null(void **state)
{
	uint8_t zero[32] = {0}, out[32];
	struct audit_entry e = base_entry;
	(void)state;

	e.detail = NULL;
	assert_int_equal(audit_hash(zero, &e, out), -1);
}

static void test_receipt_verifies_and_is_domain_separated(void **state)
{
	struct signer_key key;
	uint8_t seed[32], sha[32], sig[64], msg[17 + RECEIPT_MSG_LEN];
	char id[UUID_STR_LEN + 1], at[CLOCK_RFC3339_LEN + 1];
	(void)state;

	memset(seed, 7, sizeof seed);
	crypto_sign_seed_keypair(key.pk, key.sk, seed);
	uuid_v4(id);
	assert_int_equal(clock_format_us(1764054600123456LL, at), 0);
	assert_string_equal(at, "2025-11-25T07:10:00.123456Z");
	memset(sha, 0xab, sizeof sha);
	assert_int_equal(receipt_sign(&key, id, sha, at, sig), 0);
	memcpy(msg, "isacd receipt v1", 17);
	memcpy(msg + 17, id, UUID_STR_LEN);
	memcpy(msg + 17 + UUID_STR_LEN, sha, 32);
	memcpy(msg + 17 + UUID_STR_LEN + 32, at, CLOCK_RFC3339_LEN);
	assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof msg, key.pk), 0);
	/* the same bytes without the context do not verify */
	assert_int_not_equal(crypto_sign_verify_detached(sig, msg + 17, RECEIPT_MSG_LEN, key.pk),
	                     0);
	/* a bad length is refused */
	assert_int_equal(receipt_sign(&key, "short", sha, at, sig), -1);
}

static void test_uuid(void **state)
{
	char a[UUID_STR_LEN + 1], b[UUID_STR_LEN + 1];
	uint8_t bytes[16];
	(void)state;

	uuid_v4(a);
	uuid_v4(b);
	assert_string_not_equal(a, b);
	assert_true(uuid_parse(a, bytes));
	assert_int_equal(bytes[6] >> 4, 4);
	assert_int_equal(bytes[8] >> 6, 2);
	assert_true(uuid_parse("7A7F01FE-9555-40DE-B4CD-8491D223B5D6", NULL));
	assert_false(uuid_parse("7a7f01fe-9555-40de-b4cd-8491d223b5d", NULL));
	assert_false(uuid_parse("7a7f01fe-9555-40de-b4cd-8491d223b5d6x", NULL));
	assert_false(uuid_parse("7a7f01fe+9555-40de-b4cd-8491d223b5d6", NULL));
	assert_false(uuid_parse("7a7f01fe-9555-40de-b4cd-8491d223b5dg", NULL));
	assert_false(uuid_parse(NULL, NULL));
}

static void test_clock_bounds(void **state)
{
	char out[CLOCK_RFC3339_LEN + 1];
	(void)state;

	assert_int_equal(clock_format_us(0, out), 0);
	assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
	assert_int_equal(clock_format_us(-1, out), -1);
	assert_int_equal(clock_format_us(253402300800LL * 1000000, out), -1);
	assert_int_equal(clock_format_us(253402300799999999LL, out), 0);
	assert_string_equal(out, "9999-12-31T23:59:59.999999Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hash_deterministic),
	        cmocka_unit_test(test_hash_known_value),
	        cmocka_unit_test(test_hash_sensitive_to_every_field),
	        cmocka_unit_test(test_hash_refuses_null),
	        cmocka_unit_test(test_receipt_verifies_and_is_domain_separated),
	        cmocka_unit_test(test_uuid),
	        cmocka_unit_test(test_clock_bounds),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
