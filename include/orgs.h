/*
 * orgs — managing organizations and operator keys: the directory page,
 * creation, key registration, rotation and revocation. The coordinator API
 * (h_orgs.c) and `isacd admin` (admin.c) both go through here, so the rules
 * and the audit entries are the same whoever acts.
 *
 * Validates every body (jspec) and query parameter (ERR_BAD_QUERY naming
 * it); every change runs in one transaction with its audit entries
 * (actor, and the acting coordinator organization as "by_org").
 */
#ifndef ISACD_ORGS_H
#define ISACD_ORGS_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "jspec.h"
#include "problem.h"
#include "signer.h"
#include "uuid.h"

/* Who acts, for the audit log: actor ("token:<id>", "cli") and its organization (may be NULL). */
struct orgs_actor {
	const char *actor;
	const char *org_id;
};

/* Query parameters as received; NULL when absent. */
struct orgs_query {
	const char *kind, *q, *limit, *cursor;
};

/*
 * A directory page: {"orgs": [{"id", "kind", "name", "sector", "region",
 * "created_at", "active_keys", "active_tokens"}], "next_cursor": …|null},
 * ordered by lower(name), id. Cursors are authenticated with the server key
 * and bound to the kind and q they were made with. ERR_BAD_QUERY (detail
 * names the parameter), ERR_UNAVAILABLE.
 */
enum err_code orgs_list(const struct signer_key *key, const struct orgs_query *q, json_t **out,
                        char *detail, size_t detail_len);

/*
 * Create an organization from {"kind", "name", "sector"?, "region"?}
 * (operators need both, each from its vocabulary), audited `org.created`.
 * id receives the new organization's id. Validation errors fill err;
 * ERR_CONFLICT when the name is taken (case-insensitively).
 */
enum err_code orgs_create(const json_t *body, const struct orgs_actor *who,
                          char id[UUID_STR_LEN + 1], struct jspec_error *err);

/*
 * Register an operator's Ed25519 key from {"public_key": base64 of 32 bytes,
 * "key_id"?: 1–128 bytes, with path_safe_id only of [A-Za-z0-9._:-] (the
 * API's rule; the CLI has always taken any bytes, RFC 9421 keyids may hold
 * quotes) (default "op-" + 16 hex of the key's SHA-256, as `isacd admin
 * key-add` derives it), "replaces"?: an active key id of the same
 * organization, revoked in the same transaction}. Audited
 * `key.added` (and `key.revoked`). *out = {"key_id", "org_id",
 * "created_at", "revoked": [ids]}. ERR_NOT_FOUND (no such organization),
 * ERR_NOT_OPERATOR (not an operator), ERR_CONFLICT (key id taken), and
 * validation errors (bad key, unknown replaced key) with err filled.
 */
enum err_code orgs_key_add(const char *org_id, const json_t *body, bool path_safe_id,
                           const struct orgs_actor *who, json_t **out, struct jspec_error *err);

/*
 * Revoke a key, audited `key.revoked`. *out = {"key_id", "org_id",
 * "revoked_at"}. ERR_NOT_FOUND when it is unknown or already revoked.
 */
enum err_code orgs_key_revoke(const char *key_id, const struct orgs_actor *who, json_t **out);

/* True for a key id of 1–128 bytes of [A-Za-z0-9._:-]: it never needs %-encoding in a path. */
bool orgs_key_id_ok(const char *s, size_t n);

#endif
