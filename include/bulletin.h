/*
 * bulletin — from a report to a signed STIX 2.1 bulletin, and the
 * coordinator's review of it.
 *
 * One incident has one bulletin; every report of the incident and every
 * coordinator edit makes a new version with the same STIX ids. Policy
 * (bulletin_policy) decides whether a version publishes at once, waits for
 * a coordinator, or is withheld (TLP:RED never leaves the coordinators).
 * Published bytes are signed once and never re-serialized.
 */
#ifndef ISACD_BULLETIN_H
#define ISACD_BULLETIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "config.h"
#include "jspec.h"
#include "problem.h"
#include "signer.h"

struct bulletin_env {
	const struct config *cfg;
	const struct signer_key *key;
};

/*
 * The fate of a new version: "published", "pending_review" or "withheld".
 * Auto-publish needs TLP CLEAR or GREEN and a severity below
 * cfg->review_severity; RED is always withheld.
 */
const char *bulletin_policy(const struct config *cfg, const char *tlp, const char *severity);

/*
 * The worker's job: anonymize report_id and store it as the next version
 * of its incident's bulletin (creating the bulletin for a first report),
 * publishing it when policy says so. Runs inside the caller's transaction
 * c, so the version, the audit entry and the outbox completion commit
 * together. Returns ERR_OK, ERR_NOT_FOUND (no such report) or the first
 * failure (nothing of this job is then kept).
 */
enum err_code bulletin_from_report(PGconn *c, const struct bulletin_env *env,
                                   const char *report_id);

/*
 * Coordinator actions, each in its own transaction and audited with
 * `actor` ("token:<id>") with `actor_org` (the coordinator's organization)
 * in the entry's detail. On ERR_OK *out is the bulletin view (new reference).
 * edit: `changes` holds title / summary / impact_description (validated
 * here: ERR_* of jspec with err filled), scrubbed again; a new version
 * pending review. approve: signs and publishes the latest version.
 * reject: keeps `reason`. ERR_NOT_FOUND for an unknown id; ERR_CONFLICT
 * when the state forbids it (withheld, already published or rejected), with
 * a sentence in detail.
 */
enum err_code bulletin_edit(const struct bulletin_env *env, const char *id, const json_t *changes,
                            const char *actor, const char *actor_org, json_t **out,
                            struct jspec_error *err);
enum err_code bulletin_approve(const struct bulletin_env *env, const char *id, const char *actor,
                               const char *actor_org, json_t **out, char *detail,
                               size_t detail_len);
enum err_code bulletin_reject(const struct bulletin_env *env, const char *id, const char *reason,
                              const char *actor, const char *actor_org, json_t **out, char *detail,
                              size_t detail_len);

/* The coordinator's view of a bulletin (api.md). */
enum err_code bulletin_view(const struct bulletin_env *env, const char *id, json_t **out);

/*
 * The latest version's exact bundle bytes (malloc'd, caller frees), its
 * number, and its signature when published (*is_signed).
 */
enum err_code bulletin_bundle(const char *id, char **bytes, size_t *len, int *version,
                              uint8_t sig[64], bool *is_signed);

#endif
