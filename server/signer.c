/*
 * signer — the server key on disk and domain-separated signing.
 *
 * The key file holds only the 32-byte seed in base64; the key pair is
 * derived from it. The file must be private (0600); a key readable by
 * others is refused rather than silently used. Secrets are wiped after use
 * and never logged.
 */
#include "signer.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIGNER_MAX_MSG (16u * 1024 * 1024)

int signer_read_seed(const char *path, uint8_t seed[32], char *err, size_t err_len)
{
	char buf[128];
	size_t bin_len = 0;
	ssize_t n;
	int fd, rc = -1;
	struct stat st;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
		snprintf(err, err_len, "%s: must not be readable by group or others (chmod 600)",
		         path);
		goto out;
	}
	n = read(fd, buf, sizeof buf - 1);
	if (n <= 0) {
		snprintf(err, err_len, "%s: empty or unreadable", path);
		goto out;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (sodium_base642bin(seed, 32, buf, (size_t)n, NULL, &bin_len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    bin_len != 32) {
		snprintf(err, err_len, "%s: expected the base64 of a 32-byte Ed25519 seed", path);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(buf, sizeof buf);
	close(fd);
	return rc;
}

int signer_write_seed(const char *path, const uint8_t seed[32], char *err, size_t err_len)
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	size_t len;
	int fd, rc = -1;

	sodium_bin2base64(b64, sizeof b64, seed, 32, sodium_base64_VARIANT_ORIGINAL);
	len = strlen(b64);
	b64[len] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, b64, len + 1) != (ssize_t)(len + 1) || fsync(fd) != 0) {
		snprintf(err, err_len, "%s: write failed: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	close(fd);
	rc = 0;
out:
	sodium_memzero(b64, sizeof b64);
	return rc;
}

int signer_load_or_create(const char *path, struct signer_key *key, char *err, size_t err_len)
{
	uint8_t seed[32], h[32];
	int rc = -1;

	if (access(path, F_OK) != 0) {
		randombytes_buf(seed, sizeof seed);
		if (signer_write_seed(path, seed, err, err_len) != 0)
			goto out;
	} else if (signer_read_seed(path, seed, err, err_len) != 0) {
		goto out;
	}
	crypto_sign_seed_keypair(key->pk, key->sk, seed);
	crypto_hash_sha256(h, key->pk, sizeof key->pk);
	memcpy(key->key_id, "isacd-", 6);
	sodium_bin2hex(key->key_id + 6, sizeof key->key_id - 6, h, 8);
	rc = 0;
out:
	sodium_memzero(seed, sizeof seed);
	return rc;
}

int signer_sign(const struct signer_key *key, const char *ctx, const uint8_t *msg, size_t msg_len,
                uint8_t sig[64])
{
	size_t ctx_len = strlen(ctx) + 1;
	uint8_t *buf;

	if (msg_len > SIGNER_MAX_MSG)
		return -1;
	/* plain Ed25519 over ctx‖NUL‖msg; verifiers rebuild the same bytes */
	buf = malloc(ctx_len + msg_len);
	if (buf == NULL)
		return -1;
	memcpy(buf, ctx, ctx_len);
	if (msg_len > 0)
		memcpy(buf + ctx_len, msg, msg_len);
	crypto_sign_detached(sig, NULL, buf, ctx_len + msg_len, key->sk);
	free(buf);
	return 0;
}

void signer_wipe(struct signer_key *key)
{
	sodium_memzero(key->sk, sizeof key->sk);
}
