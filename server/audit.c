/*
 * audit — hash chaining of audit entries. Knows neither SQL nor HTTP, so
 * the unit tests and `isacd audit verify` share exactly this code.
 */
#include "audit.h"

#include <sodium.h>
#include <string.h>

#include "signer.h"

static void audit_be64(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static int audit_field(crypto_hash_sha256_state *st, const char *s)
{
	uint8_t len[4];
	size_t n;

	if (s == NULL)
		return -1;
	n = strlen(s);
	if (n > AUDIT_FIELD_MAX)
		return -1;
	len[0] = (uint8_t)(n >> 24);
	len[1] = (uint8_t)(n >> 16);
	len[2] = (uint8_t)(n >> 8);
	len[3] = (uint8_t)n;
	crypto_hash_sha256_update(st, len, sizeof len);
	crypto_hash_sha256_update(st, (const uint8_t *)s, n);
	return 0;
}

int audit_hash(const uint8_t prev[32], const struct audit_entry *e, uint8_t out[32])
{
	crypto_hash_sha256_state st;
	uint8_t num[8];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)SIGNER_CTX_AUDIT, sizeof SIGNER_CTX_AUDIT);
	crypto_hash_sha256_update(&st, prev, 32);
	audit_be64(num, (uint64_t)e->seq);
	crypto_hash_sha256_update(&st, num, sizeof num);
	audit_be64(num, (uint64_t)e->at_us);
	crypto_hash_sha256_update(&st, num, sizeof num);
	if (audit_field(&st, e->actor) != 0 || audit_field(&st, e->action) != 0 ||
	    audit_field(&st, e->subject) != 0 || audit_field(&st, e->detail) != 0)
		return -1;
	crypto_hash_sha256_final(&st, out);
	return 0;
}
