/*
 * subscriber — who receives bulletins, and what a subscriber reads.
 *
 * Management (coordinators, API and CLI): a subscriber's TLP clearance
 * (never RED) and sectors, its subscriptions (filters that narrow, never
 * widen, plus an optional webhook), and the recipients a coordinator names
 * for a bulletin. Reading: the JSON feed of entitled publications and the
 * exact signed bytes of one. Entitlement itself is the SQL function
 * entitled(); nothing here decides it differently.
 */
#ifndef ISACD_SUBSCRIBER_H
#define ISACD_SUBSCRIBER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "jspec.h"
#include "problem.h"
#include "signer.h"

/* Who acts, for the audit log: "token:<id>" or "cli", and the actor's organization (may be NULL).
 */
struct subscriber_actor {
	const char *actor;
	const char *org_id;
};

/*
 * Set a subscriber's {"clearance": [...], "sectors": [...]}; *out is the
 * subscriber view. ERR_NOT_FOUND unless org_id is a subscriber organization.
 */
enum err_code subscriber_set(const char *org_id, const json_t *body,
                             const struct subscriber_actor *who, json_t **out,
                             struct jspec_error *err);

/* The subscriber with its live subscriptions. */
enum err_code subscriber_view(const char *org_id, json_t **out);

/*
 * Add a subscription {"min_severity"?, "incident_types"?, "sectors"?,
 * "webhook_url"?}; *out is {"id": …} plus the subscriber view.
 */
enum err_code subscriber_subscribe(const char *org_id, const json_t *body,
                                   const struct subscriber_actor *who, json_t **out,
                                   struct jspec_error *err);

/* Revoke a subscription. ERR_NOT_FOUND when absent or already revoked. */
enum err_code subscriber_unsubscribe(const char *id, const struct subscriber_actor *who);

/* Name a bulletin's recipients {"orgs": [subscriber ids]}; *out {"bulletin_id", "recipients": n}.
 */
enum err_code subscriber_recipients(const char *bulletin_id, const json_t *body,
                                    const struct subscriber_actor *who, json_t **out,
                                    struct jspec_error *err);

/*
 * A page of the JSON feed for subscriber: entitled publications after the
 * cursor, narrowed by subscription's filters when given. *out =
 * {"bulletins": […], "next_cursor": …}. ERR_BAD_QUERY (detail names the
 * parameter) for a bad limit, cursor or subscription.
 */
enum err_code subscriber_feed(const struct signer_key *key, const char *subscriber,
                              const char *cursor, const char *limit, const char *subscription,
                              json_t **out, char *detail, size_t detail_len);

/* The exact bytes (malloc'd) and signature of an entitled published version. */
enum err_code subscriber_bundle(const char *subscriber, const char *bulletin_id,
                                const char *version, char **bytes, size_t *len, uint8_t sig[64]);

#endif
