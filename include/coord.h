/*
 * coord — what coordinators see and manage beyond bulletins: the triage
 * queue, an incident with its reports re-verified, the indicator view,
 * organizations and their anonymization profiles.
 *
 * Validates every query parameter and cursor (ERR_BAD_QUERY naming the
 * parameter) and every body (jspec). Cursors are authenticated (cursor.h)
 * with the server key, and still only ever used as a position.
 */
#ifndef ISACD_COORD_H
#define ISACD_COORD_H

#include <stddef.h>
#include <jansson.h>
#include "bulletin.h"
#include "jspec.h"
#include "problem.h"

/* Query parameters as received; NULL when absent. */
struct coord_incident_query {
	const char *sector, *severity, *phase, *status, *review, *q, *limit, *cursor;
	const char *overdue; /* "true" or "false" */
};

/* A queue page: {"incidents": […], "next_cursor": "…"|null}. */
enum err_code coord_incidents(const struct signer_key *key, const struct coord_incident_query *q,
                              json_t **out, char *detail, size_t detail_len);

/* An incident, its organization, its reports re-verified, its bulletin. */
enum err_code coord_incident(const struct bulletin_env *env, const char *id, json_t **out);

/* An indicator page: {"indicators": […], "next_cursor": …}. */
enum err_code coord_indicators(const struct signer_key *key, const char *q, const char *limit,
                               const char *cursor, json_t **out, char *detail, size_t detail_len);

/* An organization with its profile and keys. */
enum err_code coord_org(const char *id, json_t **out);

/*
 * Replace an operator's profile lists present in body ({"domains", "ranges",
 * "terms"}), audited as `actor` with `actor_org` (may be NULL) in the
 * detail; *out is the organization. Validation
 * errors fill err. ERR_NOT_FOUND for an unknown organization, ERR_CONFLICT
 * for one that is not an operator.
 */
enum err_code coord_org_profile(const char *id, const json_t *body, const char *actor,
                                const char *actor_org, json_t **out, struct jspec_error *err);

/*
 * Issue a bearer token for a coordinator or subscriber organization,
 * audited as actor (with actor_org, may be NULL). *out = {"id", "org_id",
 * "token"}: the token is shown here once and stored only as its SHA-256.
 * ERR_NOT_FOUND (no such organization), ERR_FORBIDDEN (an operator: they
 * sign instead), ERR_TOO_LONG (label over 200 bytes).
 */
enum err_code coord_token_issue(const char *org_id, const char *label, const char *actor,
                                const char *actor_org, json_t **out);

/* Revoke a token by id, audited. ERR_NOT_FOUND when absent or already revoked. */
enum err_code coord_token_revoke(const char *id, const char *actor, const char *actor_org);

/*
 * Rotate a token: issue a new one for the same organization (with `label`,
 * or the old token's label when NULL) and revoke the old one in the same
 * transaction, both audited (token.issued with "replaces", token.revoked
 * with "replaced_by"). *out = {"id", "org_id", "token", "replaced"}, the
 * token shown this once. ERR_NOT_FOUND when the old token is unknown or
 * already revoked, ERR_TOO_LONG for a label over 200 bytes.
 */
enum err_code coord_token_rotate(const char *id, const char *label, const char *actor,
                                 const char *actor_org, json_t **out);

/*
 * Query helpers shared by the coordinator listings. Each fills detail with
 * "<param>: <why>" and returns ERR_BAD_QUERY on a bad value, else ERR_OK.
 */
enum err_code coord_bad(char *detail, size_t len, const char *param, const char *why);

/* value (NULL: absent) must be one of vocab. */
enum err_code coord_vocab(const char *param, const char *value, const char *const *vocab,
                          char *detail, size_t len);

/* `limit`: 1..100, 50 when s is NULL. */
enum err_code coord_limit(const char *s, int *limit, char *detail, size_t len);

/* An authenticated cursor (cursor.h) of text, as a JSON string (NULL on failure). */
json_t *coord_cursor_encode(const struct signer_key *key, const char *text);

/* Decode a cursor into out (NUL-terminated); -1 when it is not ours, unaltered. */
int coord_cursor_decode(const struct signer_key *key, const char *cursor, char *out,
                        size_t out_len);

#endif
