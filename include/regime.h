/*
 * regime — reporting regimes: how long an operator has, from an incident's
 * detection, for its early warning, notification and final report; and
 * which regime each operator organization reports under.
 *
 * Validates every body (jspec, then the order early warning <= notification
 * <= final) and audits every change with the caller as actor and its
 * organization as "by_org". The deadlines of incidents are computed by the
 * database at read time (migration 0006), not here.
 */
#ifndef ISACD_REGIME_H
#define ISACD_REGIME_H

#include <stdbool.h>
#include <jansson.h>
#include "jspec.h"
#include "problem.h"

/* A regime duration's bounds, in seconds (1 s to 365 days). */
#define REGIME_MIN_S 1
#define REGIME_MAX_S 31536000

/*
 * Parse a duration "N" followed by one unit, s m h or d ("90s", "24h",
 * "30d"): N is 1 to 9 decimal digits, nothing else is allowed around it.
 * Pure. Returns 0 with *seconds set, or -1 (nothing written) when the text
 * is not such a duration. Bounds are the caller's (REGIME_MIN_S..MAX_S).
 */
int regime_parse_duration(const char *s, long long *seconds);

/* True for a regime name: 1 to 32 of [a-z0-9_-]. Pure. */
bool regime_name_valid(const char *name);

/* {"regimes": [{"name", "early_warning_s", "notification_s", "final_s", "organizations"}]}. */
enum err_code regime_list(json_t **out);

/*
 * Create or replace regime `name` from body {"early_warning_s",
 * "notification_s", "final_s"}, audited "regime.set" as actor (actor_org
 * may be NULL). *out is the regime as regime_list shows it (caller owns).
 * Errors fill err: a bad name or body, or durations out of order, are
 * ERR_VALIDATION (and jspec's codes).
 */
enum err_code regime_set(const char *name, const json_t *body, const char *actor,
                         const char *actor_org, json_t **out, struct jspec_error *err);

/*
 * Assign the regime of body {"regime": name} to an operator organization,
 * audited "org.regime". *out = {"org_id", "regime"} (caller owns).
 * ERR_NOT_FOUND for an unknown organization, ERR_CONFLICT for one that is
 * not an operator, ERR_VALIDATION (pointer /regime) for an unknown regime;
 * err says why.
 */
enum err_code regime_org_set(const char *org_id, const json_t *body, const char *actor,
                             const char *actor_org, json_t **out, struct jspec_error *err);

#endif
