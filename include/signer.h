/*
 * signer — the server's own Ed25519 key and every context it signs under.
 *
 * Everything the server signs is domain-separated: the signed bytes start
 * with one of the context strings below (NUL included), so a signature made
 * for one purpose can never be replayed as another. This header is the one
 * list of those contexts; adding a purpose means adding a line here.
 */
#ifndef ISACD_SIGNER_H
#define ISACD_SIGNER_H

#include <stddef.h>
#include <stdint.h>

/* Context strings; the trailing NUL is part of the signed bytes. */
#define SIGNER_CTX_RECEIPT  "isacd receipt v1"
#define SIGNER_CTX_BULLETIN "isacd bulletin v1"
#define SIGNER_CTX_AUDIT    "isacd audit v1"

#define SIGNER_KEY_ID_LEN 22 /* "isacd-" + 16 hex */

struct signer_key {
	uint8_t pk[32];
	uint8_t sk[64];
	char key_id[SIGNER_KEY_ID_LEN + 1];
};

/*
 * Load the key from path (a file holding the base64 32-byte seed and a
 * newline), or create it with mode 0600 when the file does not exist.
 * key_id is "isacd-" + the first 8 bytes of SHA-256(pk) in hex.
 * Returns 0, or -1 with a reason in err (the file unreadable, malformed,
 * or readable by others: its mode must not grant group/other access).
 */
int signer_load_or_create(const char *path, struct signer_key *key, char *err, size_t err_len);

/*
 * Sign ctx‖NUL‖msg (ctx one of SIGNER_CTX_*) with the key. Returns 0, or -1
 * if the message is over 16 MiB or memory ran out.
 */
int signer_sign(const struct signer_key *key, const char *ctx, const uint8_t *msg, size_t msg_len,
                uint8_t sig[64]);

/* Write a new random seed to path as base64 (mode 0600, refusing to overwrite). */
int signer_write_seed(const char *path, const uint8_t seed[32], char *err, size_t err_len);

/* Read a base64 seed file into seed. Returns 0 or -1 with a reason. */
int signer_read_seed(const char *path, uint8_t seed[32], char *err, size_t err_len);

/* Wipe the secret half. */
void signer_wipe(struct signer_key *key);

#endif
