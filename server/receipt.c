/*
 * receipt — build, sign and render report receipts. The byte layout in
 * receipt.h is a promise to operators: never change it without a new
 * context version.
 */
#include "receipt.h"

#include <sodium.h>
#include <string.h>

static int receipt_message(const char *report_id, const uint8_t sha256[32], const char *received_at,
                           uint8_t msg[RECEIPT_MSG_LEN])
{
	if (strlen(report_id) != UUID_STR_LEN || strlen(received_at) != CLOCK_RFC3339_LEN)
		return -1;
	memcpy(msg, report_id, UUID_STR_LEN);
	memcpy(msg + UUID_STR_LEN, sha256, 32);
	memcpy(msg + UUID_STR_LEN + 32, received_at, CLOCK_RFC3339_LEN);
	return 0;
}

int receipt_sign(const struct signer_key *key, const char *report_id, const uint8_t sha256[32],
                 const char *received_at, uint8_t sig[64])
{
	uint8_t msg[RECEIPT_MSG_LEN];

	if (receipt_message(report_id, sha256, received_at, msg) != 0)
		return -1;
	return signer_sign(key, SIGNER_CTX_RECEIPT, msg, sizeof msg, sig);
}

json_t *receipt_json(const char *key_id, const char *report_id, const uint8_t sha256[32],
                     const char *received_at, const uint8_t sig[64])
{
	char hex[65], b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2hex(hex, sizeof hex, sha256, 32);
	sodium_bin2base64(b64, sizeof b64, sig, 64, sodium_base64_VARIANT_ORIGINAL);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "alg", "ed25519", "key_id", key_id,
	                 "report_id", report_id, "report_sha256", hex, "received_at", received_at,
	                 "signature", b64);
}
