/*
 * cursor — authenticated opaque cursors (see cursor.h). Pure: no SQL, no
 * HTTP. Tags are compared in constant time.
 */
#include "cursor.h"

#include <sodium.h>
#include <string.h>

#define CURSOR_TAG 16
#define CURSOR_CTX "isacd cursor v1"

void cursor_key(const struct signer_key *key, uint8_t out[32])
{
	/* the secret half's seed keys the derivation; the context separates it */
	crypto_generichash(out, 32, (const unsigned char *)CURSOR_CTX, sizeof CURSOR_CTX, key->sk,
	                   32);
}

int cursor_encode(const uint8_t key[32], const char *payload, char *out, size_t out_len)
{
	uint8_t buf[CURSOR_MAX_PAYLOAD + CURSOR_TAG];
	size_t n = strlen(payload);

	if (n > CURSOR_MAX_PAYLOAD ||
	    out_len < sodium_base64_ENCODED_LEN(n + CURSOR_TAG,
	                                        sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return -1;
	memcpy(buf, payload, n);
	crypto_generichash(buf + n, CURSOR_TAG, buf, n, key, 32);
	sodium_bin2base64(out, out_len, buf, n + CURSOR_TAG,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

int cursor_decode(const uint8_t key[32], const char *cursor, char *payload, size_t payload_len)
{
	uint8_t buf[CURSOR_MAX_PAYLOAD + CURSOR_TAG], tag[CURSOR_TAG];
	size_t n = 0;

	if (cursor == NULL || strlen(cursor) >= CURSOR_MAX_TEXT ||
	    sodium_base642bin(buf, sizeof buf, cursor, strlen(cursor), NULL, &n, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n < CURSOR_TAG)
		return -1;
	n -= CURSOR_TAG;
	crypto_generichash(tag, CURSOR_TAG, buf, n, key, 32);
	if (sodium_memcmp(tag, buf + n, CURSOR_TAG) != 0 || n >= payload_len ||
	    memchr(buf, '\0', n) != NULL)
		return -1;
	memcpy(payload, buf, n);
	payload[n] = '\0';
	return 0;
}
