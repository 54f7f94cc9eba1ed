/*
 * regime — reporting regimes and the assignment of one to an operator.
 *
 * A regime only holds three durations; what they mean for an incident
 * (due times, met/late/due/overdue/waived) is decided by the database at
 * read time so that every reader agrees at one now(). Changing a regime or
 * an operator's regime therefore moves every deadline of its open
 * incidents at once: that is the intent (a regulator's rule applies to what
 * is still due), and the audit log keeps what it was before.
 */
#include "regime.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "db_audit.h"
#include "db_org.h"
#include "db_regime.h"

#define REGIME_NAME_MAX 32

int regime_parse_duration(const char *s, long long *seconds)
{
	long long n = 0;
	size_t digits = 0;

	if (s == NULL)
		return -1;
	for (; s[digits] >= '0' && s[digits] <= '9'; digits++) {
		if (digits == 9)
			return -1;
		n = n * 10 + (s[digits] - '0');
	}
	if (digits == 0 || s[digits] == '\0' || s[digits + 1] != '\0')
		return -1;
	switch (s[digits]) {
	case 's':
		break;
	case 'm':
		n *= 60;
		break;
	case 'h':
		n *= 3600;
		break;
	case 'd':
		n *= 86400;
		break;
	default:
		return -1;
	}
	*seconds = n;
	return 0;
}

bool regime_name_valid(const char *name)
{
	size_t n = 0;

	if (name == NULL)
		return false;
	for (; name[n] != '\0'; n++) {
		char ch = name[n];
		if (n == REGIME_NAME_MAX || !((ch >= 'a' && ch <= 'z') ||
		                              (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return n > 0;
}

static bool regime_fail(struct jspec_error *err, const char *pointer, const char *detail)
{
	err->code = ERR_VALIDATION;
	snprintf(err->pointer, sizeof err->pointer, "%s", pointer);
	snprintf(err->detail, sizeof err->detail, "%s", detail);
	return false;
}

enum err_code regime_list(json_t **out)
{
	PGconn *c = db_conn();
	json_t *rows = NULL;
	enum err_code rc = c != NULL ? db_regime_list(c, &rows) : ERR_UNAVAILABLE;

	*out = NULL;
	if (rc == ERR_OK && (*out = json_pack("{s:o}", "regimes", rows)) == NULL)
		rc = ERR_INTERNAL;
	return rc;
}

static const struct jspec_field regime_spec[] = {
        {.name = "early_warning_s",
         .kind = JSPEC_INTEGER,
         .required = true,
         .min_int = REGIME_MIN_S,
         .max_int = REGIME_MAX_S},
        {.name = "notification_s",
         .kind = JSPEC_INTEGER,
         .required = true,
         .min_int = REGIME_MIN_S,
         .max_int = REGIME_MAX_S},
        {.name = "final_s",
         .kind = JSPEC_INTEGER,
         .required = true,
         .min_int = REGIME_MIN_S,
         .max_int = REGIME_MAX_S},
        {.name = NULL},
};

struct regime_set_tx {
	const char *name, *actor, *actor_org;
	long long ew, notif, final;
	json_t *out;
};

static enum err_code regime_set_run(PGconn *c, void *ctx)
{
	struct regime_set_tx *t = ctx;
	json_t *detail;
	enum err_code rc = db_regime_upsert(c, t->name, t->ew, t->notif, t->final);

	if (rc != ERR_OK)
		return rc;
	detail = json_pack("{s:I, s:I, s:I, s:s?}", "early_warning_s", (json_int_t)t->ew,
	                   "notification_s", (json_int_t)t->notif, "final_s", (json_int_t)t->final,
	                   "by_org", t->actor_org);
	rc = db_audit_append(c, t->actor, "regime.set", t->name, detail);
	json_decref(detail);
	json_decref(t->out); /* from an attempt that was rolled back */
	t->out = NULL;
	if (rc == ERR_OK)
		rc = db_regime_get(c, t->name, &t->out);
	return rc;
}

enum err_code regime_set(const char *name, const json_t *body, const char *actor,
                         const char *actor_org, json_t **out, struct jspec_error *err)
{
	struct regime_set_tx t = {name, actor, actor_org, 0, 0, 0, NULL};
	enum err_code rc;

	*out = NULL;
	if (!regime_name_valid(name)) {
		regime_fail(err, "", "the regime name is 1 to 32 of a-z, 0-9, _ and -");
		return err->code;
	}
	if (!jspec_check(body, regime_spec, err))
		return err->code;
	t.ew = json_integer_value(json_object_get(body, "early_warning_s"));
	t.notif = json_integer_value(json_object_get(body, "notification_s"));
	t.final = json_integer_value(json_object_get(body, "final_s"));
	if (t.notif < t.ew) {
		regime_fail(err, "/notification_s", "must not be shorter than early_warning_s");
		return err->code;
	}
	if (t.final < t.notif) {
		regime_fail(err, "/final_s", "must not be shorter than notification_s");
		return err->code;
	}
	rc = db_tx(regime_set_run, &t, false);
	if (rc == ERR_OK)
		*out = t.out;
	else
		json_decref(t.out);
	return rc;
}

static const struct jspec_field regime_org_spec[] = {
        {.name = "regime", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 200},
        {.name = NULL},
};

struct regime_org_tx {
	const char *org_id, *regime, *actor, *actor_org;
	struct jspec_error *err;
	char id[UUID_STR_LEN + 1]; /* the organization's id as stored */
};

static enum err_code regime_org_run(PGconn *c, void *ctx)
{
	struct regime_org_tx *t = ctx;
	char previous[REGIME_NAME_MAX + 1];
	struct db_org org;
	json_t *detail;
	enum err_code rc = db_org_get(c, t->org_id, &org);

	if (rc == ERR_OK && strcmp(org.kind, "operator") != 0) {
		rc = ERR_CONFLICT;
		snprintf(t->err->detail, sizeof t->err->detail,
		         "reporting regimes apply to operator organizations");
	}
	if (rc == ERR_OK && (rc = db_regime_lock(c, t->regime)) == ERR_NOT_FOUND) {
		regime_fail(t->err, "/regime", "no reporting regime has this name");
		rc = ERR_VALIDATION;
	}
	if (rc == ERR_OK)
		rc = db_org_regime_set(c, t->org_id, t->regime, previous, sizeof previous);
	if (rc != ERR_OK)
		return rc;
	snprintf(t->id, sizeof t->id, "%s", org.id);
	detail = json_pack("{s:s, s:s, s:s?}", "regime", t->regime, "previous", previous, "by_org",
	                   t->actor_org);
	rc = db_audit_append(c, t->actor, "org.regime", t->id, detail);
	json_decref(detail);
	return rc;
}

enum err_code regime_org_set(const char *org_id, const json_t *body, const char *actor,
                             const char *actor_org, json_t **out, struct jspec_error *err)
{
	struct regime_org_tx t = {org_id, NULL, actor, actor_org, err, {0}};
	enum err_code rc;

	*out = NULL;
	if (!jspec_check(body, regime_org_spec, err))
		return err->code;
	t.regime = json_string_value(json_object_get(body, "regime"));
	if (!regime_name_valid(t.regime)) {
		regime_fail(err, "/regime", "no reporting regime has this name");
		return err->code;
	}
	rc = db_tx(regime_org_run, &t, false);
	if (rc == ERR_OK &&
	    (*out = json_pack("{s:s, s:s}", "org_id", t.id, "regime", t.regime)) == NULL)
		rc = ERR_INTERNAL;
	return rc;
}
