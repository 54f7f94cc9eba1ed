/*
 * receipt — the server's signed acknowledgement of a report.
 *
 * Signed bytes (Ed25519, server key):
 *   "isacd receipt v1" NUL ‖ report id (36 ASCII) ‖ SHA-256(body) (32 bytes)
 *   ‖ received_at (27 ASCII, "YYYY-MM-DDTHH:MM:SS.ffffffZ")
 * An operator verifies it with the key from GET /v1/server-key: it proves
 * the server accepted exactly these bytes at that time.
 */
#ifndef ISACD_RECEIPT_H
#define ISACD_RECEIPT_H

#include <stdint.h>
#include <jansson.h>
#include "clock.h"
#include "signer.h"
#include "uuid.h"

#define RECEIPT_MSG_LEN (UUID_STR_LEN + 32 + CLOCK_RFC3339_LEN)

/*
 * Sign a receipt. Returns 0, or -1 when an argument has the wrong length.
 */
int receipt_sign(const struct signer_key *key, const char *report_id, const uint8_t sha256[32],
                 const char *received_at, uint8_t sig[64]);

/*
 * The receipt as JSON: {alg, key_id, report_id, report_sha256 (hex),
 * received_at, signature (base64)}. New reference, NULL on allocation failure.
 */
json_t *receipt_json(const char *key_id, const char *report_id, const uint8_t sha256[32],
                     const char *received_at, const uint8_t sig[64]);

#endif
