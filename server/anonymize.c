/*
 * anonymize — build the publishable part of a bulletin from one report.
 *
 * The bulletin is assembled, never filtered: the output starts empty and
 * receives only the members include/anonymize.h lists, each one a
 * vocabulary word copied from the validated report, a text that went
 * through the scanner (anonymize_text.c), an indicator that passed every
 * drop rule, or a generalized attribute. A member the schema gains later
 * (another free-text field, say) stays out until someone decides here how
 * to publish it.
 *
 * Generalization is k-anonymity over the registered operators: the sector
 * is published when k operators share it (else the whole of critical
 * infrastructure, else nothing), the region when k share sector and
 * region, and times to the hour only when the sector is a crowd; in a
 * small sector an hour-precise time names its member as surely as a name
 * would, so the day it is.
 *
 * Indicators keep the attacker side and lose whatever points back at the
 * reporter: its ranges, private addresses, its domains, its names and
 * terms, also when percent-encoded or defanged. Kept ones are deduplicated on a normalized key
 * (case folded where the type is case-insensitive, addresses compared as numbers) and published as
 * sent, in report order.
 *
 * Must never: copy a report member it does not know, publish a region or
 * sector the population does not cover, or let an indicator a drop rule
 * refused into "indicators".
 */
#include "anonymize.h"
#include "anonymize_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "jspec.h"

#define ANON_HOUR_US   3600000000LL
#define ANON_DAY_US    (24 * ANON_HOUR_US)
#define ANON_WORD_MAX  32 /* longest vocabulary word we copy */
#define ANON_KEY_EXTRA 64 /* dedup key room beyond type and value: 32 hex digits, "/128" */

struct anon_report {
	const json_t *report;
	const struct anonymize_org *org;
	struct anon_needles nl;
	json_t *out;        /* the bulletin being built */
	json_t *redactions; /* coordinator-only */
	json_t *dropped;    /* coordinator-only */
};

/* A vocabulary-shaped word, 1..32 of [A-Za-z0-9_+-]: no free text in an enum's place. */
static bool anon_word_ok(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++) {
		if (n >= ANON_WORD_MAX || !(anon_is_alnum((unsigned char)s[n]) || s[n] == '_' ||
		                            s[n] == '+' || s[n] == '-'))
			return false;
	}
	return n > 0;
}

/* A region as report_regions spells them: 1..32 of [a-z_]. */
static bool anon_region_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= ANON_WORD_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz_") == n;
}

/* ^T[0-9]{4}(\.[0-9]{3})?$, as report_schema checks it. */
static bool anon_technique_ok(const char *s)
{
	size_t n = (s != NULL) ? strlen(s) : 0;

	if ((n != 5 && n != 9) || s[0] != 'T' || (n == 9 && s[5] != '.'))
		return false;
	for (size_t i = 1; i < n; i++) {
		if (i != 5 && !anon_is_digit((unsigned char)s[i]))
			return false;
	}
	return true;
}

static bool anon_population_ok(const struct anonymize_population *pop)
{
	return pop != NULL && pop->same_sector >= 1 &&
	       pop->same_sector_region <= pop->same_sector && pop->same_sector <= pop->total;
}

/* Absent, null, or an array of objects whose members are strings. */
static bool anon_contacts_ok(const json_t *contacts)
{
	const char *key;
	size_t index;
	json_t *contact, *value;

	if (contacts == NULL || json_is_null(contacts))
		return true;
	if (!json_is_array(contacts))
		return false;
	json_array_foreach(contacts, index, contact)
	{
		if (!json_is_object(contact) || !json_is_string(json_object_get(contact, "name")))
			return false;
		json_object_foreach(contact, key, value)
		{
			if (!json_is_string(value) && !json_is_null(value))
				return false;
		}
	}
	return true;
}

static bool anon_set(json_t *obj, const char *key, json_t *value)
{
	return json_object_set_new(obj, key, value) == 0;
}

/* Scrub obj's member `key` into dst; an absent member is fine unless `required`. */
static bool anon_put_text(struct anon_report *ar, const json_t *obj, const char *key, json_t *dst,
                          const char *field, bool required)
{
	const json_t *value = json_object_get(obj, key);
	char *text = NULL;
	bool ok = false;

	if (value == NULL || json_is_null(value)) {
		ok = !required;
		goto out;
	}
	if (!json_is_string(value))
		goto out;
	text = anon_scrub(json_string_value(value), json_string_length(value), ar->org, &ar->nl,
	                  field, ar->redactions);
	ok = text != NULL && anon_set(dst, key, json_string(text));
out:
	free(text);
	return ok;
}

static bool anon_put_words(struct anon_report *ar)
{
	static const char *const keys[] = {"incident_type", "severity", "phase", "tlp"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *word = json_string_value(json_object_get(ar->report, keys[i]));

		if (!anon_word_ok(word) || !anon_set(ar->out, keys[i], json_string(word)))
			return false;
	}
	return true;
}

/* sector, region and time_precision by k-anonymity; *unit_us is the time rounding unit. */
static bool anon_put_generalized(struct anon_report *ar, const char *region,
                                 const struct anonymize_population *pop, long long *unit_us)
{
	unsigned k = (pop->k != 0) ? pop->k : ANONYMIZE_K_DEFAULT;
	const char *sector = json_string_value(json_object_get(ar->report, "sector"));
	json_t *sector_value, *region_value;

	if (!anon_word_ok(sector))
		return false;
	if (pop->same_sector >= k)
		sector_value = json_string(sector);
	else if (pop->total >= k)
		sector_value = json_string("critical_infrastructure");
	else
		sector_value = json_null();
	region_value = (region != NULL && pop->same_sector_region >= k) ? json_string(region)
	                                                                : json_null();
	*unit_us = (pop->same_sector >= k) ? ANON_HOUR_US : ANON_DAY_US;
	return anon_set(ar->out, "sector", sector_value) &&
	       anon_set(ar->out, "region", region_value) &&
	       anon_set(ar->out, "time_precision",
	                json_string((*unit_us == ANON_HOUR_US) ? "hour" : "day"));
}

/* The report's timestamp `key` rounded down to unit_us, in UTC, to the second. */
static bool anon_put_time(struct anon_report *ar, const char *key, long long unit_us, bool required)
{
	const json_t *value = json_object_get(ar->report, key);
	char text[CLOCK_RFC3339_LEN + 1];
	long long us;

	if (value == NULL || json_is_null(value))
		return !required;
	if (!json_is_string(value) || !jspec_parse_timestamp(json_string_value(value), &us))
		return false;
	us -= us % unit_us;
	if (clock_format_us(us, text) != 0)
		return false;
	memcpy(text + 19, "Z", 2); /* "2026-11-25T06:00:00.000000Z" -> "2026-11-25T06:00:00Z" */
	return anon_set(ar->out, key, json_string(text));
}

/* impact: class and the scrubbed description; services and outage_minutes never. */
static bool anon_put_impact(struct anon_report *ar)
{
	const json_t *impact = json_object_get(ar->report, "impact");
	const char *class = json_string_value(json_object_get(impact, "class"));
	json_t *dst = json_object();

	if (!anon_set(ar->out, "impact", dst))
		return false;
	return anon_word_ok(class) && anon_set(dst, "class", json_string(class)) &&
	       anon_put_text(ar, impact, "description", dst, "/impact/description", false);
}

static bool anon_put_techniques(struct anon_report *ar)
{
	const json_t *src = json_object_get(ar->report, "attack_techniques");
	json_t *dst = json_array(), *item;
	size_t index;

	if (!anon_set(ar->out, "attack_techniques", dst))
		return false;
	if (src != NULL && !json_is_null(src) && !json_is_array(src))
		return false;
	json_array_foreach(src, index, item)
	{
		if (!anon_technique_ok(json_string_value(item)) ||
		    json_array_append_new(dst, json_string(json_string_value(item))) != 0)
			return false;
	}
	return true;
}

static bool anon_is_one_of(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, list[i]) == 0)
			return true;
	}
	return false;
}

static const char *const anon_indicator_types[] = {
        "ipv4", "ipv6", "domain", "url", "email", "sha256", "sha1", "md5", "filename",
};

static const char *anon_drop_reason(enum anon_reason reason)
{
	switch (reason) {
	case ANON_OWN_DOMAIN:
		return "own-domain";
	case ANON_OWN_RANGE:
		return "own-range";
	case ANON_PRIVATE:
		return "private";
	default:
		return "identifying-term";
	}
}

/*
 * Parse an address indicator as its reader would: "203.0.113[.]7" is
 * 203.0.113.7 (anonymize_view.c). Sets *ok false on allocation failure.
 */
static bool anon_indicator_net(const char *value, struct anon_net *net, bool *ok)
{
	struct anon_view view;
	bool parsed = false;

	if (!anon_view_build(&view, value, strlen(value)))
		*ok = false;
	else
		parsed = anon_net_parse(view.s, view.n, net);
	anon_view_free(&view);
	return parsed;
}

/*
 * Why an indicator must not be published, or NULL to keep it. Addresses
 * are judged as networks, defanged ones refanged; host-bearing values
 * (domain, url, email) by the needles, own domains included, and by the
 * addresses inside them; every value by the needles. All of them also as
 * percent-decoded and refanged (anon_scan_first reads both). Sets *ok
 * false on allocation failure.
 */
static const char *anon_indicator_drop(struct anon_report *ar, const char *type, const char *value,
                                       const char *role, bool *ok)
{
	static const char *const host_types[] = {"domain", "url", "email"};
	unsigned what = ANON_SCAN_NEEDLES;
	struct anon_net net;
	enum anon_reason reason;

	if (strcmp(role, "attacker") != 0)
		return "victim";
	if (!anon_is_one_of(type, anon_indicator_types,
	                    sizeof(anon_indicator_types) / sizeof(anon_indicator_types[0])))
		return "unknown-type";
	if (strcmp(type, "ipv4") == 0 || strcmp(type, "ipv6") == 0) {
		if (!anon_indicator_net(value, &net, ok) || net.af != ((type[3] == '4') ? 4 : 6))
			return *ok ? "unparseable" : NULL;
		if ((reason = anon_net_reason(&net, ar->org)) != ANON_KEEP)
			return anon_drop_reason(reason);
	} else if (anon_is_one_of(type, host_types, sizeof(host_types) / sizeof(host_types[0]))) {
		what |= ANON_SCAN_ADDRESSES;
	}
	reason = anon_scan_first(value, strlen(value), ar->org, &ar->nl, what, ok);
	return (reason == ANON_KEEP) ? NULL : anon_drop_reason(reason);
}

static void anon_lower(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (char)anon_fold((unsigned char)s[i]);
}

/*
 * "type value" with the value normalized for comparison: addresses (also
 * defanged ones) as hex and prefix, domains, e-mails and digests case folded (a domain without
 * its root dot), URLs with scheme and authority folded. Malloc'd, or NULL.
 */
static char *anon_dedup_key(const char *type, const char *value)
{
	size_t type_n = strlen(type), n = strlen(value), size = type_n + 1 + n + ANON_KEY_EXTRA;
	char *key = malloc(size), *v, *slash;
	struct anon_net net;
	bool ok = true;
	int w;

	if (key == NULL)
		return NULL;
	w = snprintf(key, size, "%s ", type);
	v = key + w;
	if (type[0] == 'i' && anon_indicator_net(value, &net, &ok)) {
		for (size_t i = 0; i < 16; i++)
			w += snprintf(key + w, size - (size_t)w, "%02x", net.addr[i]);
		snprintf(key + w, size - (size_t)w, "/%u", net.prefix);
		return key;
	}
	if (!ok) {
		free(key);
		return NULL;
	}
	memcpy(v, value, n + 1);
	if (strcmp(type, "url") == 0) {
		slash = strstr(v, "://");
		slash = (slash != NULL) ? strpbrk(slash + 3, "/?#") : NULL;
		anon_lower(v, (slash != NULL) ? (size_t)(slash - v) : n);
	} else if (strcmp(type, "filename") != 0) {
		anon_lower(v, n);
		if (strcmp(type, "domain") == 0 && n > 1 && v[n - 1] == '.')
			v[n - 1] = '\0';
	}
	return key;
}

/* One indicator into indicators (kept, first of its key) or dropped_indicators. */
static bool anon_put_indicator(struct anon_report *ar, const json_t *item, json_t *kept,
                               json_t *seen)
{
	const char *type = json_string_value(json_object_get(item, "type"));
	const char *value = json_string_value(json_object_get(item, "value"));
	const char *role = json_string_value(json_object_get(item, "role"));
	const char *reason;
	char *key = NULL;
	bool ok = true;

	if (type == NULL || value == NULL || role == NULL) {
		ok = false;
		goto out;
	}
	reason = anon_indicator_drop(ar, type, value, role, &ok);
	if (!ok)
		goto out;
	if (reason != NULL) {
		ok = json_array_append_new(ar->dropped,
		                           json_pack("{s:s, s:s, s:s, s:s}", "type", type, "value",
		                                     value, "role", role, "reason", reason)) == 0;
		goto out;
	}
	key = anon_dedup_key(type, value);
	ok = key != NULL;
	if (ok && json_object_get(seen, key) == NULL)
		ok = json_object_set_new(seen, key, json_true()) == 0 &&
		     json_array_append_new(
		             kept, json_pack("{s:s, s:s}", "type", type, "value", value)) == 0;
out:
	free(key);
	return ok;
}

static bool anon_put_indicators(struct anon_report *ar)
{
	const json_t *src = json_object_get(ar->report, "indicators");
	json_t *kept = json_array(), *seen = json_object(), *item;
	bool ok = false;
	size_t index;

	if (!anon_set(ar->out, "indicators", kept) || seen == NULL)
		goto out;
	if (src != NULL && !json_is_null(src) && !json_is_array(src))
		goto out;
	json_array_foreach(src, index, item)
	{
		if (!anon_put_indicator(ar, item, kept, seen))
			goto out;
	}
	ok = true;
out:
	json_decref(seen);
	return ok;
}

static bool anon_put_all(struct anon_report *ar, const char *region,
                         const struct anonymize_population *pop)
{
	long long unit_us;

	return anon_put_text(ar, ar->report, "title", ar->out, "/title", true) &&
	       anon_put_text(ar, ar->report, "summary", ar->out, "/summary", true) &&
	       anon_put_words(ar) && anon_put_generalized(ar, region, pop, &unit_us) &&
	       anon_put_time(ar, "detected_at", unit_us, true) &&
	       anon_put_time(ar, "occurred_at", unit_us, false) && anon_put_impact(ar) &&
	       anon_put_indicators(ar) && anon_put_techniques(ar) &&
	       json_object_set(ar->out, "redactions", ar->redactions) == 0 &&
	       json_object_set(ar->out, "dropped_indicators", ar->dropped) == 0;
}

enum err_code anonymize_report(const json_t *report, const char *region,
                               const struct anonymize_org *org,
                               const struct anonymize_population *pop, json_t **out)
{
	struct anon_report ar = {.report = report, .org = org};
	enum err_code rc = ERR_INTERNAL;
	const json_t *contacts = json_object_get(report, "contacts");

	if (out == NULL || !json_is_object(report) || !anonymize_org_valid(org) ||
	    !anon_population_ok(pop) || (region != NULL && !anon_region_ok(region)) ||
	    !anon_contacts_ok(contacts))
		goto out;
	ar.out = json_object();
	ar.redactions = json_array();
	ar.dropped = json_array();
	if (ar.out == NULL || ar.redactions == NULL || ar.dropped == NULL ||
	    !anon_needles_build(&ar.nl, org, contacts) || !anon_put_all(&ar, region, pop))
		goto out;
	*out = ar.out;
	ar.out = NULL;
	rc = ERR_OK;
out:
	anon_needles_free(&ar.nl);
	json_decref(ar.out);
	json_decref(ar.redactions);
	json_decref(ar.dropped);
	return rc;
}
