/*
 * report — the domain of incident reports: ingest and the owner's views.
 *
 * report_ingest is the one place a report becomes durable: incident,
 * report, replay guard, outbox job and audit entry commit together or not
 * at all, and the receipt is returned only after COMMIT.
 */
#ifndef ISACD_REPORT_H
#define ISACD_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "auth.h"
#include "clock.h"
#include "problem.h"
#include "signer.h"
#include "uuid.h"

struct report_submission {
	const struct auth_operator *op; /* the authenticated signer */
	const char *signature_base;     /* as verified */
	const uint8_t *body;            /* exact bytes received */
	size_t body_len;
	const json_t *doc; /* the body, parsed and validated */
};

struct report_accepted {
	char id[UUID_STR_LEN + 1];
	char incident_id[UUID_STR_LEN + 1];
	char received_at[CLOCK_RFC3339_LEN + 1];
	uint8_t body_sha256[32];
	uint8_t receipt_sig[64];
};

/*
 * Store a validated report. Returns ERR_OK after COMMIT with *out filled;
 * ERR_UNKNOWN_INCIDENT when incident_id names no incident of this operator;
 * ERR_SIG_REPLAYED when the signature was used before; ERR_UNAVAILABLE or
 * ERR_INTERNAL when the database fails (nothing stored).
 */
enum err_code report_ingest(const struct signer_key *key, const struct report_submission *s,
                            struct report_accepted *out);

/* The 201 body: id, incident_id, received_at, receipt. New reference. */
json_t *report_accepted_json(const struct signer_key *key, const struct report_accepted *a);

/*
 * A report as its owner sees it (org_id NULL: any owner), with its receipt.
 * ERR_NOT_FOUND when absent or another organization's.
 */
enum err_code report_get(const struct signer_key *key, const char *id, const char *org_id,
                         json_t **out);

/* An incident with its reports' timeline; same visibility rule. */
enum err_code report_incident_get(const char *id, const char *org_id, json_t **out);

#endif
