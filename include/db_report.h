/*
 * db_report — SQL of incidents, reports, the replay guard and the outbox.
 */
#ifndef ISACD_DB_REPORT_H
#define ISACD_DB_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "clock.h"
#include "problem.h"
#include "uuid.h"

/* The columns that mirror a report onto its incident for triage. */
struct db_incident_fields {
	const char *title, *sector, *severity, *incident_type, *phase, *tlp;
	const char *detected_at; /* clock_format_us text or NULL; the first report's only */
};

struct db_report_row {
	const char *id, *incident_id, *org_id, *key_id;
	const char *received_at; /* clock_format_us text */
	const char *phase, *severity, *tlp;
	const uint8_t *body;
	size_t body_len;
	const uint8_t *body_sha256; /* 32 */
	const char *signature_input, *signature, *signature_base, *content_digest;
	const uint8_t *receipt_sig; /* 64 */
};

/* A stored report as read back for its owner. */
struct db_report_view {
	json_t *fields; /* id, incident_id, key_id, received_at, phase, … and "report" (the body) */
	char id[UUID_STR_LEN + 1];
	char received_at[CLOCK_RFC3339_LEN + 1];
	uint8_t body_sha256[32];
	uint8_t receipt_sig[64];
};

/* Record a request signature; ERR_SIG_REPLAYED when it was seen before. */
enum err_code db_seen_signature(PGconn *c, const uint8_t sig_sha256[32]);

/* Delete replay-guard rows older than max_age_s seconds. */
enum err_code db_seen_signature_purge(PGconn *c, unsigned max_age_s);

/*
 * Lock an incident for a follow-up and return its owner. ERR_NOT_FOUND when
 * absent.
 */
enum err_code db_incident_lock(PGconn *c, const char *incident_id, char owner[UUID_STR_LEN + 1]);

enum err_code db_incident_insert(PGconn *c, const char *id, const char *org_id, const char *at,
                                 const struct db_incident_fields *f);

enum err_code db_incident_followup(PGconn *c, const char *id, const char *at,
                                   const struct db_incident_fields *f);

enum err_code db_report_insert(PGconn *c, const struct db_report_row *row);

/* Queue work for the worker (kind "anonymize", subject a report id). */
enum err_code db_outbox_insert(PGconn *c, const char *kind, const char *subject_id);

/*
 * A report owned by org_id (NULL: any owner, for coordinators). ERR_NOT_FOUND
 * when absent or owned by another organization. On ERR_OK the caller owns
 * view->fields.
 */
enum err_code db_report_get(PGconn *c, const char *id, const char *org_id,
                            struct db_report_view *view);

/* An incident with its reports' summaries, owned by org_id (NULL: any). */
enum err_code db_incident_get(PGconn *c, const char *id, const char *org_id, json_t **out);

/* Filters of the coordinator queue; NULL means any. */
struct db_incident_filter {
	const char *sector, *severity, *phase, *status, *review;
	const char *title_like;          /* LIKE-escaped substring of the title */
	const char *after_ts, *after_id; /* keyset cursor, both or neither */
	int limit;
	const char *overdue; /* "true", "false" or NULL (migration 0006's deadlines) */
};

/* A page of the coordinator queue, newest first, as a JSON array. */
enum err_code db_coord_incidents(PGconn *c, const struct db_incident_filter *f, json_t **out);

/* An incident with its organization. ERR_NOT_FOUND when absent. */
enum err_code db_coord_incident(PGconn *c, const char *id, json_t **out);

/* One stored report with what re-verifying it needs. */
struct db_coord_report {
	json_t *fields;   /* id, received_at, phase, …, signature_base, key_revoked (borrowed) */
	const char *body; /* the stored body as text */
	uint8_t public_key[32];
	uint8_t body_sha256[32];
	uint8_t receipt_sig[64];
	char id[UUID_STR_LEN + 1];
	char received_at[CLOCK_RFC3339_LEN + 1];
};

/* Call fn for each report of an incident in arrival order; stops at its first error. */
enum err_code db_coord_reports(PGconn *c, const char *incident_id,
                               enum err_code (*fn)(void *ctx, const struct db_coord_report *r),
                               void *ctx);

#endif
