/*
 * report — ingest of signed incident reports and the owner's read views.
 *
 * Ids and received_at are minted before the transaction so the receipt can
 * be signed once and stored with the row; a retried transaction reuses
 * them. Nothing here speaks HTTP.
 */
#include "report.h"

#include <sodium.h>
#include <string.h>

#include "db.h"
#include "db_audit.h"
#include "db_report.h"
#include "jspec.h"
#include "receipt.h"
#include "worker.h"

struct report_tx {
	const struct report_submission *s;
	struct report_accepted *a;
	const uint8_t *receipt_sig;
};

static const char *report_str(const json_t *doc, const char *name)
{
	return json_string_value(json_object_get(doc, name));
}

static enum err_code report_incident(PGconn *c, const struct report_tx *t,
                                     const struct db_incident_fields *f)
{
	const char *follows = report_str(t->s->doc, "incident_id");
	char owner[UUID_STR_LEN + 1];
	enum err_code rc;

	if (follows == NULL)
		return db_incident_insert(c, t->a->incident_id, t->s->op->org_id, t->a->received_at,
		                          f);
	rc = db_incident_lock(c, follows, owner);
	if (rc == ERR_NOT_FOUND || (rc == ERR_OK && strcmp(owner, t->s->op->org_id) != 0))
		return ERR_UNKNOWN_INCIDENT; /* another's incident reads as a missing one */
	if (rc != ERR_OK)
		return rc;
	return db_incident_followup(c, t->a->incident_id, t->a->received_at, f);
}

/*
 * detected_at in its one textual form, or NULL for a time outside what the
 * clock prints (deadlines then run from the incident's created_at).
 */
static const char *report_detected_at(const json_t *doc, char out[CLOCK_RFC3339_LEN + 1])
{
	long long us = 0;

	if (!jspec_parse_timestamp(report_str(doc, "detected_at"), &us) ||
	    clock_format_us(us, out) != 0)
		return NULL;
	return out;
}

static enum err_code report_ingest_tx(PGconn *c, void *ctx)
{
	const struct report_tx *t = ctx;
	const json_t *doc = t->s->doc;
	char detected[CLOCK_RFC3339_LEN + 1];
	const struct db_incident_fields f = {
	        report_str(doc, "title"),          report_str(doc, "sector"),
	        report_str(doc, "severity"),       report_str(doc, "incident_type"),
	        report_str(doc, "phase"),          report_str(doc, "tlp"),
	        report_detected_at(doc, detected),
	};
	const struct db_report_row row = {
	        t->a->id,
	        t->a->incident_id,
	        t->s->op->org_id,
	        t->s->op->key_id,
	        t->a->received_at,
	        f.phase,
	        f.severity,
	        f.tlp,
	        t->s->body,
	        t->s->body_len,
	        t->a->body_sha256,
	        t->s->op->signature_input,
	        t->s->op->signature,
	        t->s->signature_base,
	        t->s->op->content_digest,
	        t->receipt_sig,
	};
	json_t *detail = NULL;
	char hex[65];
	enum err_code rc;

	rc = db_seen_signature(c, t->s->op->sig_sha256);
	if (rc == ERR_OK)
		rc = report_incident(c, t, &f);
	if (rc == ERR_OK)
		rc = db_report_insert(c, &row);
	if (rc == ERR_OK)
		rc = db_outbox_insert(c, "anonymize", t->a->id);
	if (rc != ERR_OK)
		return rc;
	sodium_bin2hex(hex, sizeof hex, t->a->body_sha256, 32);
	detail = json_pack("{s:s, s:s, s:s, s:s}", "incident_id", t->a->incident_id, "org_id",
	                   t->s->op->org_id, "phase", f.phase, "sha256", hex);
	if (detail == NULL)
		return ERR_INTERNAL;
	{
		char actor[HTTPSIG_MAX_KEYID + 8];
		snprintf(actor, sizeof actor, "key:%s", t->s->op->key_id);
		rc = db_audit_append(c, actor, "report.received", t->a->id, detail);
	}
	json_decref(detail);
	return rc;
}

enum err_code report_ingest(const struct signer_key *key, const struct report_submission *s,
                            struct report_accepted *out)
{
	const char *follows = report_str(s->doc, "incident_id");
	struct report_tx t = {s, out, out->receipt_sig};
	enum err_code rc;

	memset(out, 0, sizeof *out);
	uuid_v4(out->id);
	if (follows != NULL) /* the follow-up's incident; checked in the transaction */
		snprintf(out->incident_id, sizeof out->incident_id, "%s", follows);
	else
		uuid_v4(out->incident_id);
	for (char *p = out->incident_id; *p != '\0'; p++) /* canonical lower case */
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	if (clock_format_us(clock_now_us(), out->received_at) != 0)
		return ERR_INTERNAL;
	crypto_hash_sha256(out->body_sha256, s->body, s->body_len);
	if (receipt_sign(key, out->id, out->body_sha256, out->received_at, out->receipt_sig) != 0)
		return ERR_INTERNAL;
	rc = db_tx(report_ingest_tx, &t, false);
	if (rc == ERR_OK)
		worker_wake();
	return rc;
}

json_t *report_accepted_json(const struct signer_key *key, const struct report_accepted *a)
{
	return json_pack(
	        "{s:s, s:s, s:s, s:o}", "id", a->id, "incident_id", a->incident_id, "received_at",
	        a->received_at, "receipt",
	        receipt_json(key->key_id, a->id, a->body_sha256, a->received_at, a->receipt_sig));
}

enum err_code report_get(const struct signer_key *key, const char *id, const char *org_id,
                         json_t **out)
{
	PGconn *c = db_conn();
	struct db_report_view v;
	enum err_code rc;

	*out = NULL;
	if (c == NULL)
		return ERR_UNAVAILABLE;
	rc = db_report_get(c, id, org_id, &v);
	if (rc != ERR_OK)
		return rc;
	json_object_set_new(
	        v.fields, "receipt",
	        receipt_json(key->key_id, v.id, v.body_sha256, v.received_at, v.receipt_sig));
	*out = v.fields;
	return ERR_OK;
}

enum err_code report_incident_get(const char *id, const char *org_id, json_t **out)
{
	PGconn *c = db_conn();

	*out = NULL;
	if (c == NULL)
		return ERR_UNAVAILABLE;
	return db_incident_get(c, id, org_id, out);
}
