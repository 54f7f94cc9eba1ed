/*
 * db_bulletin — SQL of bulletins and their versions, anonymization profiles,
 * the k-anonymity population, indicator sightings, the ISAC identity and
 * the outbox claims of the worker.
 *
 * Everything here is coordinator-side data: the link between a bulletin and
 * its incident, report and organization lives only in these tables.
 */
#ifndef ISACD_DB_BULLETIN_H
#define ISACD_DB_BULLETIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "clock.h"
#include "problem.h"
#include "uuid.h"

#define DB_STIX_TS_LEN 24 /* "2026-11-25T07:00:00.000Z" */

/* What the worker needs to anonymize one report. */
struct db_report_source {
	char report_id[UUID_STR_LEN + 1];
	char incident_id[UUID_STR_LEN + 1];
	char org_id[UUID_STR_LEN + 1];
	char org_name[201];
	char region[65];
	char received_at[CLOCK_RFC3339_LEN + 1];
	json_t *doc; /* the report body, parsed; owned by the caller */
};

struct db_bulletin {
	char id[UUID_STR_LEN + 1];
	char incident_id[UUID_STR_LEN + 1];
	char stix_incident_id[64];
	char status[16];
	char tlp[16];
	char severity[16];
	char created[DB_STIX_TS_LEN + 1];       /* first version's STIX created */
	char last_modified[DB_STIX_TS_LEN + 1]; /* latest version's STIX modified */
	int version;
	int published_version; /* 0: none */
	json_t *id_map;        /* owned by the caller */
};

struct db_bulletin_version {
	const char *bulletin_id;
	int version;
	const char *modified;
	const char *source;    /* "report" or "edit" */
	const char *report_id; /* NULL for an edit */
	const char *actor;
	const json_t *draft;
	const char *bundle; /* serialized STIX */
	size_t bundle_len;
	const uint8_t *signature; /* NULL unless published now */
};

/* One report's anonymization inputs. ERR_NOT_FOUND when absent. */
enum err_code db_report_source_get(PGconn *c, const char *report_id, struct db_report_source *out);

/*
 * An organization's anonymization profile as {"domains":[…], "ranges":[…],
 * "terms":[…], "key_ids":[…]} (new reference in *out).
 */
enum err_code db_org_profile_get(PGconn *c, const char *org_id, json_t **out);

/* Replace the lists given (NULL leaves that list alone). Inside a transaction. */
enum err_code db_org_profile_replace(PGconn *c, const char *org_id, const json_t *domains,
                                     const json_t *ranges, const json_t *terms);

/* Registered operators: out[0] same sector and region, out[1] same sector, out[2] all. */
enum err_code db_population(PGconn *c, const char *sector, const char *region, unsigned out[3]);

/* Record one indicator of a report (idempotent per report and value). */
enum err_code db_sighting_insert(PGconn *c, const char *value_key, const char *type,
                                 const char *value, const char *role, const char *report_id,
                                 const char *incident_id, const char *org_id, const char *sector,
                                 const char *seen_at);

/* Distinct operators and sectors that reported value_key as an attacker indicator. */
enum err_code db_indicator_counts(PGconn *c, const char *value_key, unsigned *operators,
                                  unsigned *sectors);

/* The ISAC's STIX identity id and its created timestamp (ms). */
enum err_code db_isac_identity(PGconn *c, char id[64], char created[DB_STIX_TS_LEN + 1]);

/* Lock the bulletin of an incident (FOR UPDATE). ERR_NOT_FOUND when none yet. */
enum err_code db_bulletin_lock_incident(PGconn *c, const char *incident_id,
                                        struct db_bulletin *out);

/* Lock a bulletin by id (FOR UPDATE). ERR_NOT_FOUND when absent. */
enum err_code db_bulletin_lock(PGconn *c, const char *bulletin_id, struct db_bulletin *out);

/* Insert a new bulletin (its version 1 follows with db_bulletin_version_insert). */
enum err_code db_bulletin_insert(PGconn *c, const struct db_bulletin *b);

/* Store status, tlp, severity, version, published_version, id_map and reason. */
enum err_code db_bulletin_update(PGconn *c, const struct db_bulletin *b, const char *reject_reason);

enum err_code db_bulletin_version_insert(PGconn *c, const struct db_bulletin_version *v);

/* Mark a stored version published with its signature. */
enum err_code db_bulletin_version_publish(PGconn *c, const char *bulletin_id, int version,
                                          const uint8_t sig[64]);

/*
 * A version's draft (new reference), bundle bytes (malloc'd; caller frees),
 * the report of the latest report-made version up to it, and its signature
 * when published (*is_signed).
 */
enum err_code db_bulletin_version_get(PGconn *c, const char *bulletin_id, int version,
                                      json_t **draft, char **bundle, size_t *bundle_len,
                                      char report_id[UUID_STR_LEN + 1], uint8_t sig[64],
                                      bool *is_signed);

/* The coordinator's view of a bulletin (see api.md). ERR_NOT_FOUND when absent. */
enum err_code db_bulletin_view(PGconn *c, const char *bulletin_id, json_t **out);

/* The bulletin id of an incident, or ERR_NOT_FOUND. */
enum err_code db_bulletin_of_incident(PGconn *c, const char *incident_id,
                                      char id[UUID_STR_LEN + 1]);

/*
 * Claim the oldest due outbox job of `kind` (FOR UPDATE SKIP LOCKED, inside
 * the caller's transaction). ERR_NOT_FOUND when none is due.
 */
enum err_code db_outbox_claim(PGconn *c, const char *kind, const char *worker, long long *job_id,
                              char subject[UUID_STR_LEN + 1]);

enum err_code db_outbox_done(PGconn *c, long long job_id);

/* Record a failure; the job is due again after 2^attempts s (±25 %), at most max_delay_s. */
enum err_code db_outbox_retry(PGconn *c, long long job_id, const char *error, unsigned max_delay_s);

/*
 * A page of the coordinators' indicator view (JSON array), value keys after
 * `after` (NULL: from the start) containing `like` (LIKE-escaped, lower
 * case; NULL: any). last_key receives the page's last value key.
 */
enum err_code db_coord_indicators(PGconn *c, const char *like, const char *after, int limit,
                                  json_t **out, char *last_key, size_t last_key_len);

/* The latest report (by received_at) of the incident report_id belongs to. */
enum err_code db_report_latest(PGconn *c, const char *report_id, char latest[UUID_STR_LEN + 1]);

#endif
