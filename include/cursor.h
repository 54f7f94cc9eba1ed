/*
 * cursor — opaque, authenticated page cursors.
 *
 * A cursor is base64url(payload ‖ tag), tag = BLAKE2b-128 of the payload
  * keyed with a key derived from the server key ("isacd cursor v1"), so a
 * client can neither forge nor alter one: a changed byte answers "not a
 * cursor". The payload is NOT secret (base64 is no encryption): callers put
 * in it only what its holder already knows (its own ids, a position, a hash
 * of its own filters). Instances sharing the server key accept each
 * other's cursors. Callers still re-check every position they decode
 * against the query and the caller's rights.

 */
#ifndef ISACD_CURSOR_H
#define ISACD_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include "signer.h"

#define CURSOR_MAX_PAYLOAD 2304
#define CURSOR_MAX_TEXT    3200 /* base64url of payload + tag, with NUL */

/* Derive the cursor key from the server key. */
void cursor_key(const struct signer_key *key, uint8_t out[32]);

/*
 * Encode payload (a string of at most CURSOR_MAX_PAYLOAD bytes) into out.
 * Returns 0, or -1 when payload is too long or out too small.
 */
int cursor_encode(const uint8_t key[32], const char *payload, char *out, size_t out_len);

/*
 * Decode and authenticate a cursor into payload (NUL-terminated). Returns
 * 0, or -1 for anything that is not an unaltered cursor of this server.
 */
int cursor_decode(const uint8_t key[32], const char *cursor, char *payload, size_t payload_len);

#endif
