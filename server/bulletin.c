/*
 * bulletin — anonymize, build STIX, decide, sign, store; and review.
 *
 * A version is made in three steps that every path shares: a draft (the
 * anonymizer's output, coordinator-only), a bundle built from the draft
 * with the bulletin's stable id map, and a fate from policy. Publishing
 * signs the stored bytes: "isacd bulletin v1" NUL || bundle. This file must
 * never put the draft's redactions, the reporter or the incident link into
 * a bundle: stix.c reads only the anonymized members.
 */
#include "bulletin.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anonymize.h"
#include "clock.h"
#include "db.h"
#include "db_audit.h"
#include "db_bulletin.h"
#include "feed.h"
#include "log.h"
#include "report_schema.h"
#include "stix.h"
#include "uuid.h"

#define BULLETIN_MAX_LIST 600 /* profile entries handed to the anonymizer */

const char *bulletin_policy(const struct config *cfg, const char *tlp, const char *severity)
{
	if (strcmp(tlp, "RED") == 0)
		return "withheld";
	if ((strcmp(tlp, "CLEAR") == 0 || strcmp(tlp, "GREEN") == 0) &&
	    report_vocab_index(report_severities, severity) <
	            report_vocab_index(report_severities, cfg->review_severity))
		return "published";
	return "pending_review";
}

/* The STIX form of a microsecond time: "YYYY-MM-DDTHH:MM:SS.mmmZ". */
static void bulletin_stix_time(int64_t us, char out[DB_STIX_TS_LEN + 1])
{
	char full[CLOCK_RFC3339_LEN + 1];

	if (clock_format_us(us, full) != 0)
		snprintf(full, sizeof full, "1970-01-01T00:00:00.000000Z");
	snprintf(out, DB_STIX_TS_LEN + 1, "%.23sZ", full);
}

/*
 * The STIX time of a new version: now rounded down to the draft's time
 * precision ("hour" or "day", as the anonymizer chose for this sector), so
 * bundle timestamps tell no more about when the report came than the
 * incident's own rounded times; strictly after prev (1 ms later when the
 * rounded time is not), so versions stay ordered.
 */
static void bulletin_next_modified(const char *prev, const char *precision,
                                   char out[DB_STIX_TS_LEN + 1])
{
	const int64_t hour_us = 3600LL * 1000000, day_us = 24 * hour_us;
	int64_t step = precision != NULL && strcmp(precision, "hour") == 0 ? hour_us : day_us;
	int64_t now = clock_now_us();
	long long prev_us = 0;

	now -= now % step;
	if (prev != NULL && *prev != '\0' && jspec_parse_timestamp(prev, &prev_us) &&
	    now <= prev_us)
		now = prev_us + 1000;
	bulletin_stix_time(now, out);
}

/* Point `out` at the strings of a JSON array (borrowed); *n = count. */
static int bulletin_strings(const json_t *array, const char **out, size_t max, size_t *n)
{
	size_t i;
	json_t *v;

	*n = 0;
	if (json_array_size(array) > max)
		return -1;
	json_array_foreach(array, i, v)
	{
		if (!json_is_string(v))
			return -1;
		out[(*n)++] = json_string_value(v);
	}
	return 0;
}

/* Everything the anonymizer needs to know about the reporter. */
struct bulletin_reporter {
	json_t *profile;
	const char *key_ids[BULLETIN_MAX_LIST], *domains[BULLETIN_MAX_LIST];
	const char *ranges[BULLETIN_MAX_LIST], *terms[BULLETIN_MAX_LIST];
	struct anonymize_org org;
};

static enum err_code bulletin_reporter_load(PGconn *c, const char *org_id, const char *name,
                                            struct bulletin_reporter *r)
{
	enum err_code rc = db_org_profile_get(c, org_id, &r->profile);

	if (rc != ERR_OK)
		return rc;
	memset(&r->org, 0, sizeof r->org);
	r->org.org_id = org_id;
	r->org.name = name;
	r->org.key_ids = r->key_ids;
	r->org.domains = r->domains;
	r->org.ranges = r->ranges;
	r->org.terms = r->terms;
	if (bulletin_strings(json_object_get(r->profile, "key_ids"), r->key_ids, BULLETIN_MAX_LIST,
	                     &r->org.n_key_ids) != 0 ||
	    bulletin_strings(json_object_get(r->profile, "domains"), r->domains, BULLETIN_MAX_LIST,
	                     &r->org.n_domains) != 0 ||
	    bulletin_strings(json_object_get(r->profile, "ranges"), r->ranges, BULLETIN_MAX_LIST,
	                     &r->org.n_ranges) != 0 ||
	    bulletin_strings(json_object_get(r->profile, "terms"), r->terms, BULLETIN_MAX_LIST,
	                     &r->org.n_terms) != 0)
		return ERR_INTERNAL;
	return ERR_OK;
}

/* "type|value" with the value lower-cased: how sightings of one value meet. */
static void bulletin_value_key(const char *type, const char *value, char *out, size_t out_len)
{
	size_t n = (size_t)snprintf(out, out_len, "%s|", type);

	for (const char *p = value; *p != '\0' && n + 1 < out_len; p++)
		out[n++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
	out[n < out_len ? n : out_len - 1] = '\0';
}

/* Record every indicator of the report for the coordinators' correlation. */
static enum err_code bulletin_sightings(PGconn *c, const struct db_report_source *src)
{
	const json_t *inds = json_object_get(src->doc, "indicators");
	const char *sector = json_string_value(json_object_get(src->doc, "sector"));
	size_t i;
	json_t *ind;

	json_array_foreach(inds, i, ind)
	{
		const char *type = json_string_value(json_object_get(ind, "type"));
		const char *value = json_string_value(json_object_get(ind, "value"));
		const char *role = json_string_value(json_object_get(ind, "role"));
		char key[2200];
		enum err_code rc;

		bulletin_value_key(type, value, key, sizeof key);
		rc = db_sighting_insert(c, key, type, value, role, src->report_id, src->incident_id,
		                        src->org_id, sector, src->received_at);
		if (rc != ERR_OK)
			return rc;
	}
	return ERR_OK;
}

/* Correlation counts of the kept indicators, only where k operators agree. */
static enum err_code bulletin_correlations(PGconn *c, const json_t *anon, unsigned k, json_t **out)
{
	size_t i;
	json_t *ind;

	*out = json_object();
	if (*out == NULL)
		return ERR_INTERNAL;
	json_array_foreach(json_object_get(anon, "indicators"), i, ind)
	{
		const char *type = json_string_value(json_object_get(ind, "type"));
		const char *value = json_string_value(json_object_get(ind, "value"));
		char key[2200], stix_key[2200];
		unsigned operators = 0, sectors = 0;
		enum err_code rc;

		bulletin_value_key(type, value, key, sizeof key);
		rc = db_indicator_counts(c, key, &operators, &sectors);
		if (rc != ERR_OK)
			return rc;
		if (operators < k)
			continue; /* counts below k would narrow the reporters down */
		snprintf(stix_key, sizeof stix_key, "%s|%s", type, value);
		json_object_set_new(*out, stix_key,
		                    json_pack("{s:i, s:i}", "operators", (int)operators, "sectors",
		                              (int)sectors));
	}
	return ERR_OK;
}

/* Build and serialize the bundle of a draft; *bytes is malloc'd. */
static enum err_code bulletin_serialize(PGconn *c, const struct bulletin_env *env,
                                        struct db_bulletin *b, const json_t *draft,
                                        const json_t *correlations, const char *modified,
                                        char **bytes)
{
	char isac_id[64], isac_created[DB_STIX_TS_LEN + 1];
	struct jspec_error err;
	struct stix_bulletin_in in;
	json_t *bundle = NULL;
	enum err_code rc = db_isac_identity(c, isac_id, isac_created);

	*bytes = NULL;
	if (rc != ERR_OK)
		return rc;
	memset(&in, 0, sizeof in);
	in.anon = draft;
	in.isac_identity_id = isac_id;
	in.isac_name = env->cfg->isac_name;
	in.isac_identity_created = isac_created;
	in.incident_id = b->stix_incident_id;
	in.created = b->created;
	in.modified = modified;
	in.id_map = b->id_map;
	in.correlations = correlations;
	in.err = &err;
	rc = stix_bundle(&in, &bundle);
	if (rc != ERR_OK) {
		log_emit(LOG_ERROR, "bulletin cannot be built",
		         json_pack("{s:s, s:s, s:s}", "bulletin_id", b->id, "pointer", err.pointer,
		                   "detail", err.detail));
		return rc == ERR_VALIDATION ? ERR_INTERNAL : rc;
	}
	*bytes = json_dumps(bundle, JSON_COMPACT);
	json_decref(bundle);
	return *bytes != NULL ? ERR_OK : ERR_INTERNAL;
}

/* Sign published bytes: "isacd bulletin v1" NUL || bundle. */
static enum err_code bulletin_sign(const struct bulletin_env *env, const char *bytes,
                                   uint8_t sig[64])
{
	return signer_sign(env->key, SIGNER_CTX_BULLETIN, (const uint8_t *)bytes, strlen(bytes),
	                   sig) == 0
	               ? ERR_OK
	               : ERR_INTERNAL;
}

/*
 * Store `draft` as the next version of b (b->version is the new number) with
 * the fate policy gives, and audit it. b is updated in memory and stored.
 */
static enum err_code bulletin_store_version(PGconn *c, const struct bulletin_env *env,
                                            struct db_bulletin *b, bool is_new, const json_t *draft,
                                            const json_t *correlations, const char *source,
                                            const char *report_id, const char *actor,
                                            const char *actor_org, const char *fate)
{
	char modified[DB_STIX_TS_LEN + 1];
	uint8_t sig[64];
	char *bytes = NULL;
	struct db_bulletin_version v;
	enum err_code rc;

	bulletin_next_modified(b->last_modified,
	                       json_string_value(json_object_get(draft, "time_precision")),
	                       modified);
	if (is_new)
		memcpy(b->created, modified, sizeof modified);
	rc = bulletin_serialize(c, env, b, draft, correlations, modified, &bytes);
	if (rc == ERR_OK && strcmp(fate, "published") == 0)
		rc = bulletin_sign(env, bytes, sig);
	if (rc != ERR_OK)
		goto out;
	snprintf(b->status, sizeof b->status, "%s", fate);
	if (strcmp(fate, "published") == 0)
		b->published_version = b->version;
	rc = is_new ? db_bulletin_insert(c, b) : db_bulletin_update(c, b, NULL);
	if (rc != ERR_OK)
		goto out;
	v = (struct db_bulletin_version){
	        b->id,         b->version,
	        modified,      source,
	        report_id,     actor,
	        draft,         bytes,
	        strlen(bytes), strcmp(fate, "published") == 0 ? sig : NULL};
	rc = db_bulletin_version_insert(c, &v);
	if (rc == ERR_OK && strcmp(fate, "published") == 0)
		rc = feed_publish(c, b->id, b->version, draft, bytes);
	if (rc == ERR_OK) {
		json_t *detail = json_pack("{s:i, s:s, s:s, s:s?, s:s?}", "version", b->version,
		                           "status", fate, "source", source, "report_id", report_id,
		                           "by_org", actor_org);
		rc = db_audit_append(c, actor,
		                     strcmp(fate, "published") == 0 ? "bulletin.published"
		                                                    : "bulletin.drafted",
		                     b->id, detail);
		json_decref(detail);
	}
	memcpy(b->last_modified, modified, sizeof modified);
out:
	free(bytes);
	return rc;
}

/* Anonymize a report with its reporter's profile and the population. */
static enum err_code bulletin_anonymize(PGconn *c, const struct bulletin_env *env,
                                        const struct db_report_source *src, json_t **draft)
{
	struct bulletin_reporter *rep = calloc(1, sizeof *rep);
	const char *sector = json_string_value(json_object_get(src->doc, "sector"));
	unsigned pop[3];
	struct anonymize_population p;
	enum err_code rc;

	*draft = NULL;
	if (rep == NULL)
		return ERR_INTERNAL;
	rc = bulletin_reporter_load(c, src->org_id, src->org_name, rep);
	if (rc == ERR_OK)
		rc = db_population(c, sector, src->region, pop);
	if (rc == ERR_OK) {
		p = (struct anonymize_population){env->cfg->k_anonymity, pop[0], pop[1], pop[2]};
		if (p.same_sector == 0) /* the reporter's org may be registered in another sector */
			p.same_sector = p.same_sector_region = 1;
		if (p.total < p.same_sector)
			p.total = p.same_sector;
		rc = anonymize_report(src->doc, src->region, &rep->org, &p, draft);
	}
	json_decref(rep->profile);
	free(rep);
	return rc;
}

enum err_code bulletin_from_report(PGconn *c, const struct bulletin_env *env, const char *report_id)
{
	struct db_report_source src = {0};
	struct db_bulletin b = {0};
	char latest[UUID_STR_LEN + 1];
	json_t *draft = NULL, *corr = NULL;
	bool is_new = false;
	const char *fate;
	enum err_code rc;

	rc = db_report_source_get(c, report_id, &src);
	if (rc == ERR_OK)
		rc = bulletin_sightings(c, &src);
	if (rc == ERR_OK)
		rc = db_report_latest(c, report_id, latest);
	if (rc == ERR_OK && strcmp(latest, report_id) != 0) {
		/*
		 * Jobs of one incident may finish out of order (several workers,
		 * retries): a version always shows the incident's latest report.
		 */
		json_decref(src.doc);
		memset(&src, 0, sizeof src);
		rc = db_report_source_get(c, latest, &src);
	}
	if (rc == ERR_OK)
		rc = bulletin_anonymize(c, env, &src, &draft);
	if (rc == ERR_OK)
		rc = bulletin_correlations(c, draft, env->cfg->k_anonymity, &corr);
	if (rc != ERR_OK)
		goto out;
	rc = db_bulletin_lock_incident(c, src.incident_id, &b);
	if (rc == ERR_NOT_FOUND) {
		char stix_uuid[UUID_STR_LEN + 1];
		is_new = true;
		memset(&b, 0, sizeof b);
		uuid_v4(b.id);
		uuid_v4(stix_uuid);
		snprintf(b.incident_id, sizeof b.incident_id, "%s", src.incident_id);
		snprintf(b.stix_incident_id, sizeof b.stix_incident_id, "incident--%s", stix_uuid);
		b.id_map = json_object();
		rc = b.id_map != NULL ? ERR_OK : ERR_INTERNAL;
	}
	if (rc != ERR_OK)
		goto out;
	b.version += 1;
	snprintf(b.tlp, sizeof b.tlp, "%s", json_string_value(json_object_get(draft, "tlp")));
	snprintf(b.severity, sizeof b.severity, "%s",
	         json_string_value(json_object_get(draft, "severity")));
	fate = bulletin_policy(env->cfg, b.tlp, b.severity);
	rc = bulletin_store_version(c, env, &b, is_new, draft, corr, "report", src.report_id,
	                            "worker", NULL, fate);
out:
	json_decref(src.doc);
	json_decref(b.id_map);
	json_decref(draft);
	json_decref(corr);
	return rc;
}

/* The text fields a coordinator may edit. */
static const struct jspec_field bulletin_edit_spec[] = {
        {.name = "title", .kind = JSPEC_STRING, .min = 1, .max = 200},
        {.name = "summary", .kind = JSPEC_STRING, .min = 1, .max = 20000},
        {.name = "impact_description", .kind = JSPEC_STRING, .min = 1, .max = 4000},
        {.name = NULL},
};

struct bulletin_action {
	const struct bulletin_env *env;
	const char *id;
	const char *actor;
	const char *actor_org; /* the coordinator's organization, for the audit */
	const json_t *changes; /* edit */
	const char *reason;    /* reject */
	char *detail;
	size_t detail_len;
};

/* Scrub the changed texts into a copy of the latest draft. */
static enum err_code bulletin_apply_edit(PGconn *c, const struct bulletin_action *a,
                                         const char *report_id, json_t *draft)
{
	static const struct {
		const char *field, *pointer;
	} fields[] = {{"title", "/title"},
	              {"summary", "/summary"},
	              {"impact_description", "/impact/description"}};
	struct db_report_source src = {0};
	struct bulletin_reporter *rep = calloc(1, sizeof *rep);
	json_t *redactions = json_object_get(draft, "redactions");
	enum err_code rc = rep != NULL ? db_report_source_get(c, report_id, &src) : ERR_INTERNAL;

	if (rc == ERR_OK)
		rc = bulletin_reporter_load(c, src.org_id, src.org_name, rep);
	for (size_t i = 0; rc == ERR_OK && i < sizeof fields / sizeof fields[0]; i++) {
		const char *text = json_string_value(json_object_get(a->changes, fields[i].field));
		char *clean;

		if (text == NULL)
			continue;
		/* the old text's redactions go with it; the new text brings its own */
		for (size_t j = json_array_size(redactions); j-- > 0;) {
			const char *field = json_string_value(
			        json_object_get(json_array_get(redactions, j), "field"));
			if (field != NULL && strcmp(field, fields[i].pointer) == 0)
				json_array_remove(redactions, j);
		}

		clean = anonymize_text(text, &rep->org, json_object_get(src.doc, "contacts"),

		                       fields[i].pointer, redactions);
		if (clean == NULL) {
			rc = ERR_INTERNAL;
			break;
		}
		if (strcmp(fields[i].field, "impact_description") == 0)
			json_object_set_new(json_object_get(draft, "impact"), "description",
			                    json_string(clean));
		else
			json_object_set_new(draft, fields[i].field, json_string(clean));
		free(clean);
	}
	json_decref(src.doc);
	if (rep != NULL)
		json_decref(rep->profile);
	free(rep);
	return rc;
}

static enum err_code bulletin_edit_tx(PGconn *c, void *ctx)
{
	const struct bulletin_action *a = ctx;
	struct db_bulletin b = {0};
	char report_id[UUID_STR_LEN + 1] = "", *bytes = NULL;
	size_t len = 0;
	uint8_t sig[64];
	bool is_signed = false;
	json_t *draft = NULL, *corr = NULL;
	enum err_code rc = db_bulletin_lock(c, a->id, &b);

	if (rc == ERR_OK && strcmp(b.status, "withheld") == 0) {
		snprintf(a->detail, a->detail_len, "a TLP:RED bulletin is never published");
		rc = ERR_CONFLICT;
	}
	if (rc == ERR_OK)
		rc = db_bulletin_version_get(c, b.id, b.version, &draft, &bytes, &len, report_id,
		                             sig, &is_signed);
	if (rc == ERR_OK)
		rc = bulletin_apply_edit(c, a, report_id, draft);
	if (rc == ERR_OK)
		rc = bulletin_correlations(c, draft, a->env->cfg->k_anonymity, &corr);
	if (rc == ERR_OK) {
		b.version += 1;
		rc = bulletin_store_version(c, a->env, &b, false, draft, corr, "edit", NULL,
		                            a->actor, a->actor_org, "pending_review");
	}
	free(bytes);
	json_decref(draft);
	json_decref(corr);
	json_decref(b.id_map);
	return rc;
}

static enum err_code bulletin_approve_tx(PGconn *c, void *ctx)
{
	const struct bulletin_action *a = ctx;
	struct db_bulletin b = {0};
	char report_id[UUID_STR_LEN + 1], *bytes = NULL;
	size_t len = 0;
	uint8_t sig[64];
	bool is_signed = false;
	json_t *draft = NULL, *detail = NULL;
	enum err_code rc = db_bulletin_lock(c, a->id, &b);

	if (rc == ERR_OK && strcmp(b.status, "pending_review") != 0) {
		snprintf(a->detail, a->detail_len, "%s",
		         strcmp(b.status, "withheld") == 0 ? "a TLP:RED bulletin is never published"
		         : strcmp(b.status, "published") == 0
		                 ? "the latest version is already published"
		                 : "the latest version was rejected; a new report or edit"
		                   " makes a version to review");
		rc = ERR_CONFLICT;
	}
	if (rc == ERR_OK)
		rc = db_bulletin_version_get(c, b.id, b.version, &draft, &bytes, &len, report_id,
		                             sig, &is_signed);
	if (rc == ERR_OK)
		rc = bulletin_sign(a->env, bytes, sig);
	if (rc == ERR_OK)
		rc = db_bulletin_version_publish(c, b.id, b.version, sig);
	if (rc == ERR_OK)
		rc = feed_publish(c, b.id, b.version, draft, bytes);
	if (rc == ERR_OK) {
		snprintf(b.status, sizeof b.status, "published");
		b.published_version = b.version;
		rc = db_bulletin_update(c, &b, NULL);
	}
	if (rc == ERR_OK) {
		detail = json_pack("{s:i, s:s}", "version", b.version, "by_org", a->actor_org);
		rc = db_audit_append(c, a->actor, "bulletin.approved", b.id, detail);
	}
	json_decref(detail);
	free(bytes);
	json_decref(draft);
	json_decref(b.id_map);
	return rc;
}

static enum err_code bulletin_reject_tx(PGconn *c, void *ctx)
{
	const struct bulletin_action *a = ctx;
	struct db_bulletin b = {0};
	json_t *detail = NULL;
	enum err_code rc = db_bulletin_lock(c, a->id, &b);

	if (rc == ERR_OK && strcmp(b.status, "pending_review") != 0) {
		snprintf(a->detail, a->detail_len,
		         "only a version pending review can be rejected"
		         " (this one is %s)",
		         b.status);
		rc = ERR_CONFLICT;
	}
	if (rc == ERR_OK) {
		snprintf(b.status, sizeof b.status, "rejected");
		rc = db_bulletin_update(c, &b, a->reason);
	}
	if (rc == ERR_OK) {
		detail = json_pack("{s:i, s:s, s:s}", "version", b.version, "reason", a->reason,
		                   "by_org", a->actor_org);
		rc = db_audit_append(c, a->actor, "bulletin.rejected", b.id, detail);
	}
	json_decref(detail);
	json_decref(b.id_map);
	return rc;
}

/* Run an action in its own transaction, then answer with the view. */
static enum err_code bulletin_act(struct bulletin_action *a, db_tx_fn fn, json_t **out)
{
	enum err_code rc = db_tx(fn, a, false);

	*out = NULL;
	if (rc == ERR_OK)
		rc = bulletin_view(a->env, a->id, out);
	return rc;
}

enum err_code bulletin_edit(const struct bulletin_env *env, const char *id, const json_t *changes,
                            const char *actor, const char *actor_org, json_t **out,
                            struct jspec_error *err)
{
	char detail[256] = "";
	struct bulletin_action a = {env,     id,   actor,  actor_org,
	                            changes, NULL, detail, sizeof detail};
	enum err_code rc;

	*out = NULL;
	if (!jspec_check(changes, bulletin_edit_spec, err))
		return err->code;
	if (json_object_size(changes) == 0) {
		err->code = ERR_MISSING_FIELD;
		snprintf(err->pointer, sizeof err->pointer, "%s", "");
		snprintf(err->detail, sizeof err->detail,
		         "give at least one of title, summary, impact_description");
		return ERR_MISSING_FIELD;
	}
	rc = bulletin_act(&a, bulletin_edit_tx, out);
	if (rc == ERR_CONFLICT) {
		snprintf(err->detail, sizeof err->detail, "%s", detail);
		err->pointer[0] = '\0';
	}
	return rc;
}

enum err_code bulletin_approve(const struct bulletin_env *env, const char *id, const char *actor,
                               const char *actor_org, json_t **out, char *detail, size_t detail_len)
{
	struct bulletin_action a = {env, id, actor, actor_org, NULL, NULL, detail, detail_len};

	return bulletin_act(&a, bulletin_approve_tx, out);
}

enum err_code bulletin_reject(const struct bulletin_env *env, const char *id, const char *reason,
                              const char *actor, const char *actor_org, json_t **out, char *detail,
                              size_t detail_len)
{
	struct bulletin_action a = {env, id, actor, actor_org, NULL, reason, detail, detail_len};

	return bulletin_act(&a, bulletin_reject_tx, out);
}

enum err_code bulletin_view(const struct bulletin_env *env, const char *id, json_t **out)
{
	PGconn *c = db_conn();
	const char *sig;
	enum err_code rc;

	*out = NULL;
	if (c == NULL)
		return ERR_UNAVAILABLE;
	rc = db_bulletin_view(c, id, out);
	if (rc != ERR_OK)
		return rc;
	sig = json_string_value(json_object_get(*out, "signature"));
	json_object_set_new(*out, "signature",
	                    sig != NULL ? json_pack("{s:s, s:s, s:s}", "alg", "ed25519", "key_id",
	                                            env->key->key_id, "value", sig)
	                                : json_null());
	return ERR_OK;
}

struct bulletin_bundle_ctx {
	const char *id;
	char **bytes;
	size_t *len;
	int *version;
	uint8_t *sig;
	bool *is_signed;
};

static enum err_code bulletin_bundle_tx(PGconn *c, void *ctx)
{
	struct bulletin_bundle_ctx *x = ctx;
	struct db_bulletin b = {0};
	char report_id[UUID_STR_LEN + 1];
	json_t *draft = NULL;
	enum err_code rc;

	free(*x->bytes); /* from an attempt db_tx retried */
	*x->bytes = NULL;
	rc = db_bulletin_lock(c, x->id, &b);
	if (rc == ERR_OK) {
		*x->version = b.version;

		rc = db_bulletin_version_get(c, b.id, b.version, &draft, x->bytes, x->len,
		                             report_id, x->sig, x->is_signed);
	}
	json_decref(draft);
	json_decref(b.id_map);
	return rc;
}

enum err_code bulletin_bundle(const char *id, char **bytes, size_t *len, int *version,
                              uint8_t sig[64], bool *is_signed)
{
	struct bulletin_bundle_ctx x = {id, bytes, len, version, sig, is_signed};

	*bytes = NULL;
	return db_tx(bulletin_bundle_tx, &x, false);
}
