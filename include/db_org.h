/*
 * db_org — organizations, operator keys and bearer tokens in PostgreSQL.
 *
 * The only place their SQL lives. Functions take the caller's connection
 * (inside or outside a transaction) and return err codes from errors.def.
 */
#ifndef ISACD_DB_ORG_H
#define ISACD_DB_ORG_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "problem.h"
#include "uuid.h"

struct db_org {
	char id[UUID_STR_LEN + 1];
	char kind[16];
	char name[201];
	char sector[65];
	char region[65];
};

struct db_key {
	char key_id[129];
	char org_id[UUID_STR_LEN + 1];
	char org_kind[16];
	uint8_t public_key[32];
	bool revoked;
};

struct db_token {
	char id[UUID_STR_LEN + 1];
	char org_id[UUID_STR_LEN + 1];
	char org_kind[16];
};

/* Insert an organization (sector/region may be NULL). ERR_CONFLICT: the name exists. */
enum err_code db_org_insert(PGconn *c, const struct db_org *org);

/* Fetch by id. ERR_NOT_FOUND when absent. */
enum err_code db_org_get(PGconn *c, const char *id, struct db_org *out);

/* All organizations as a JSON array (new reference in *out). */
enum err_code db_org_list(PGconn *c, json_t **out);

/* Register a public key. ERR_CONFLICT: the key id exists. */
enum err_code db_key_insert(PGconn *c, const char *key_id, const char *org_id,
                            const uint8_t public_key[32]);

/* Look a key up with its organization's kind. ERR_NOT_FOUND when absent. */
enum err_code db_key_get(PGconn *c, const char *key_id, struct db_key *out);

/* Revoke a key. ERR_NOT_FOUND when absent or already revoked. */
enum err_code db_key_revoke(PGconn *c, const char *key_id);

/* Store a token's hash. ERR_CONFLICT on a (astronomically unlikely) duplicate. */
enum err_code db_token_insert(PGconn *c, const char *id, const char *org_id, const uint8_t hash[32],
                              const char *label);

/* Find a live (unrevoked) token by hash. ERR_NOT_FOUND otherwise. */
enum err_code db_token_lookup(PGconn *c, const uint8_t hash[32], struct db_token *out);

/* Revoke a token by id. ERR_NOT_FOUND when absent or already revoked. */
enum err_code db_token_revoke(PGconn *c, const char *id);

/* An organization with its profile and keys (api.md, GET /v1/coord/orgs/{id}). */
enum err_code db_org_view(PGconn *c, const char *id, json_t **out);

#endif
