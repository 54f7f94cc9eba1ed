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

#define DB_ORG_TS_LEN    32  /* an RFC 3339 timestamp as the TS() of the SQL writes it */
#define DB_ORG_LABEL_LEN 201 /* a token label: up to 200 bytes */

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

/* A page of organizations (api.md, GET /v1/coord/orgs); NULL members do not filter. */
struct db_org_filter {
	const char *kind;
	const char *name_part; /* substring of the name, compared lower-cased */
	const char *after_id;  /* the page starts after this organization (by lower(name), id) */
	int limit;
};

/* The page as a JSON array of list items (new reference in *out). */
enum err_code db_org_page(PGconn *c, const struct db_org_filter *f, json_t **out);

/*
 * Register a public key; created_at (may be NULL) receives its creation
 * time. ERR_CONFLICT: the key id exists.
 */
enum err_code db_key_insert(PGconn *c, const char *key_id, const char *org_id,
                            const uint8_t public_key[32], char created_at[DB_ORG_TS_LEN]);

/* Look a key up with its organization's kind. ERR_NOT_FOUND when absent. */
enum err_code db_key_get(PGconn *c, const char *key_id, struct db_key *out);

/*
 * Revoke a key; org_id and revoked_at (each may be NULL) receive its
 * organization and the time. ERR_NOT_FOUND when absent or already revoked.
 */
enum err_code db_key_revoke(PGconn *c, const char *key_id, char org_id[UUID_STR_LEN + 1],
                            char revoked_at[DB_ORG_TS_LEN]);

/* Store a token's hash. ERR_CONFLICT on a (astronomically unlikely) duplicate. */
enum err_code db_token_insert(PGconn *c, const char *id, const char *org_id, const uint8_t hash[32],
                              const char *label);

/* Find a live (unrevoked) token by hash. ERR_NOT_FOUND otherwise. */
enum err_code db_token_lookup(PGconn *c, const uint8_t hash[32], struct db_token *out);

/*
 * Lock a live token's row for the rest of the transaction and read its
 * organization and label. ERR_NOT_FOUND when absent or already revoked.
 */
enum err_code db_token_lock(PGconn *c, const char *id, char org_id[UUID_STR_LEN + 1],
                            char label[DB_ORG_LABEL_LEN]);

/* Revoke a token by id. ERR_NOT_FOUND when absent or already revoked. */
enum err_code db_token_revoke(PGconn *c, const char *id);

/* An organization with its profile and keys (api.md, GET /v1/coord/orgs/{id}). */
enum err_code db_org_view(PGconn *c, const char *id, json_t **out);

#endif
