/*
 * stix — the STIX 2.1 bundle of one bulletin (see include/stix.h).
 *
 * Why it is shaped this way:
 *
 * - The anonymizer's output is first *projected* onto the members listed
 *   in stix_anon_spec (everything else, "redactions" and
 *   "dropped_indicators" first of all, is simply never copied) and then
 *   checked with jspec. Every later step reads only that checked copy, so
 *   nothing unvetted can reach a bulletin by accident.
 *
 * - STIX ids are never derived from content. Each logical object has a
 *   key ("indicator|ipv4|203.0.113.45"); the caller's id_map turns keys
 *   into random ids and remembers new ones, so version 2 of a bulletin
 *   reuses every id of version 1. The map is worked on as a copy and
 *   merged back only when the whole bundle was built.
 *
 * - What STIX 2.1 has no property for is carried where it is legal:
 *   the Incident Core Extension 2.0 (draft) for what its definition
 *   names — determination, investigation_status, criticality (Appendix B,
 *   "5 Qualitative") and incident_types (event-type-ov) — and custom
 *   x_isacd_* properties for the rest. A top-level "severity" is not
 *   allowed: the OASIS core schema reserves that name.
 *
 * - The TLP marking definitions are copied, not invented: the objects
 *   OASIS publishes in cti-stix-common-objects (tlp-2.0), byte for byte in
 *   content, with no created_by_ref.
 *
 * Must never: publish a member of the input it was not told to, name the
 * reporting operator, derive an id from data, or know HTTP or the database.
 */
#include "stix.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report_schema.h"
#include "uuid.h"

/* Longest id_map key: relationship|indicator|<type>|<2048-byte value>|... */
#define STIX_KEY_MAX 4096
/* Above this many indicator x technique pairs, "indicates" is left out. */
#define STIX_MAX_INDICATES_PAIRS 1000

/* ---- vocabularies and their STIX spellings ---------------------------- */

struct stix_tlp {
	const char *level; /* our spelling, report_tlp_levels */
	const char *id;
	const char *name;    /* the marking definition's name */
	const char *tlp_2_0; /* the extension's value */
};

static const struct stix_tlp stix_tlps[] = {
        {"CLEAR", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear"},
        {"GREEN", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green"},
        {"AMBER", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber"},
        {"AMBER+STRICT", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
         "TLP:AMBER+STRICT", "amber+strict"},
        {"RED", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red"},
};

struct stix_indicator_kind {
	const char *type;  /* report_indicator_types */
	const char *path;  /* STIX patterning object path */
	const char *label; /* for the indicator's name */
};

static const struct stix_indicator_kind stix_indicator_kinds[] = {
        {"ipv4", "ipv4-addr:value", "IPv4 address"},
        {"ipv6", "ipv6-addr:value", "IPv6 address"},
        {"domain", "domain-name:value", "Domain name"},
        {"url", "url:value", "URL"},
        {"email", "email-addr:value", "E-mail address"},
        {"sha256", "file:hashes.'SHA-256'", "SHA-256 hash"},
        {"sha1", "file:hashes.'SHA-1'", "SHA-1 hash"},
        {"md5", "file:hashes.MD5", "MD5 hash"},
        {"filename", "file:name", "File name"},
};

struct stix_pair {
	const char *ours;
	const char *theirs;
};

/* Words for the victim class's name; NISC's names for the sectors. */
/* clang-format off */
static const struct stix_pair stix_sector_names[] = {
	{"information_communication", "information and communication"},
	{"finance", "finance"},                 {"aviation", "aviation"},
	{"airports", "airports"},               {"railways", "railways"},
	{"electric_power", "electric power"},   {"gas", "gas"},
	{"government", "government and administrative services"},
	{"medical", "medical"},                 {"water", "water"},
	{"logistics", "logistics"},             {"chemicals", "chemicals"},
	{"credit_cards", "credit cards"},       {"petroleum", "petroleum"},
	{"ports", "ports"},
};

static const struct stix_pair stix_region_names[] = {
	{"hokkaido", "Hokkaido"}, {"tohoku", "Tohoku"},   {"kanto", "Kanto"},
	{"chubu", "Chubu"},       {"kinki", "Kinki"},     {"chugoku", "Chugoku"},
	{"shikoku", "Shikoku"},   {"kyushu_okinawa", "Kyushu-Okinawa"},
};

/* Incident Core event-type-ov, only where a value truly means ours. */
static const struct stix_pair stix_event_types[] = {
	{"ransomware", "ransomware"},
	{"malware", "infected-by-known-malware"},
	{"phishing", "dissemination-phishing-emails"},
	{"ddos", "denial-of-service"},
	{"unauthorized_access", "unauthorized-access-system"},
	{"data_breach", "unauthorized-release"},
	{"supply_chain", "supply-chain-customer"},
	{"vulnerability_exploitation", "exploit"},
	{"other", "unspecified"},
};

/* Incident Core incident-investigation-ov by report phase. */
static const struct stix_pair stix_investigation_status[] = {
	{"early_warning", "open"}, {"notification", "open"}, {"final", "closed"},
};
/* clang-format on */

/* Incident Core criticality, Appendix B "5 Qualitative": low 15, moderate
 * 40, high 70, extreme 95; indexed like report_severities. */
static const int stix_criticality[] = {15, 40, 70, 95};

#define STIX_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *stix_lookup(const struct stix_pair *pairs, size_t n, const char *ours)
{
	for (size_t i = 0; ours != NULL && i < n; i++) {
		if (strcmp(pairs[i].ours, ours) == 0)
			return pairs[i].theirs;
	}
	return NULL;
}

static const struct stix_tlp *stix_tlp_find(const char *level)
{
	for (size_t i = 0; level != NULL && i < STIX_COUNT(stix_tlps); i++) {
		if (strcmp(stix_tlps[i].level, level) == 0)
			return &stix_tlps[i];
	}
	return NULL;
}

static const struct stix_indicator_kind *stix_kind_find(const char *type)
{
	for (size_t i = 0; type != NULL && i < STIX_COUNT(stix_indicator_kinds); i++) {
		if (strcmp(stix_indicator_kinds[i].type, type) == 0)
			return &stix_indicator_kinds[i];
	}
	return NULL;
}

/* ---- what we read from the anonymizer --------------------------------- */

static bool stix_sector_valid(const char *s, size_t n)
{
	(void)n;
	return strcmp(s, "critical_infrastructure") == 0 ||
	       report_vocab_index(report_sectors, s) >= 0;
}

static const char *const stix_time_precisions[] = {"hour", "day", NULL};
/* Only attacker indicators may be published; "victim" is refused. */
static const char *const stix_publishable_roles[] = {"attacker", NULL};

/* clang-format off */
static const struct jspec_field stix_impact_fields[] = {
	{.name = "class", .kind = JSPEC_ENUM, .required = true, .vocab = report_impact_classes},
	{.name = "description", .kind = JSPEC_STRING, .min = 1, .max = 16384},
	{.name = NULL},
};

static const struct jspec_field stix_indicator_fields[] = {
	{.name = "type", .kind = JSPEC_ENUM, .required = true, .vocab = report_indicator_types},
	{.name = "value", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 2048},
	{.name = "role", .kind = JSPEC_ENUM, .vocab = stix_publishable_roles},
	{.name = NULL},
};

static const struct jspec_field stix_indicator_item = {
	.kind = JSPEC_OBJECT, .fields = stix_indicator_fields,
};

static const struct jspec_field stix_technique_item = {
	.kind = JSPEC_STRING, .min = 5, .max = 9, .check = report_attack_technique_valid,
	.check_what = "an ATT&CK technique id like T1566 or T1566.001",
};

/* Bounds are looser than ingest's: redaction may lengthen free text. */
static const struct jspec_field stix_anon_spec[] = {
	{.name = "title", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 1024},
	{.name = "summary", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 65536},
	{.name = "incident_type", .kind = JSPEC_ENUM, .required = true,
	 .vocab = report_incident_types},
	{.name = "severity", .kind = JSPEC_ENUM, .required = true, .vocab = report_severities},
	{.name = "phase", .kind = JSPEC_ENUM, .required = true, .vocab = report_phases},
	{.name = "tlp", .kind = JSPEC_ENUM, .required = true, .vocab = report_tlp_levels},
	{.name = "sector", .kind = JSPEC_STRING, .min = 1, .max = 64, .check = stix_sector_valid,
	 .check_what = "a sector or critical_infrastructure"},
	{.name = "region", .kind = JSPEC_ENUM, .vocab = report_regions},
	{.name = "time_precision", .kind = JSPEC_ENUM, .vocab = stix_time_precisions},
	{.name = "detected_at", .kind = JSPEC_TIMESTAMP, .required = true},
	{.name = "occurred_at", .kind = JSPEC_TIMESTAMP},
	{.name = "impact", .kind = JSPEC_OBJECT, .required = true, .fields = stix_impact_fields},
	{.name = "indicators", .kind = JSPEC_ARRAY, .max = 1000, .item = &stix_indicator_item},
	{.name = "attack_techniques", .kind = JSPEC_ARRAY, .max = 100,
	 .item = &stix_technique_item},
	{.name = NULL},
};

static const struct jspec_field stix_correlation_spec[] = {
	{.name = "operators", .kind = JSPEC_INTEGER, .required = true, .min_int = 1,
	 .max_int = INT_MAX},
	{.name = "sectors", .kind = JSPEC_INTEGER, .min_int = 1, .max_int = INT_MAX},
	{.name = NULL},
};
/* clang-format on */

static json_t *stix_project_object(const json_t *doc, const struct jspec_field *fields);

/* v reduced to what spec f describes; scalars are shared, not copied. */
static json_t *stix_project_value(const json_t *v, const struct jspec_field *f)
{
	json_t *out;
	size_t i;
	const json_t *item;

	if (f->kind == JSPEC_OBJECT && json_is_object(v))
		return stix_project_object(v, f->fields);
	if (f->kind != JSPEC_ARRAY || !json_is_array(v))
		return json_incref((json_t *)v);
	out = json_array();
	json_array_foreach(v, i, item)
	{
		if (out != NULL &&
		    json_array_append_new(out, stix_project_value(item, f->item)) != 0) {
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}

/*
 * A new object holding only the members of the object doc that `fields`
 * names. NULL on allocation failure.
 */
static json_t *stix_project_object(const json_t *doc, const struct jspec_field *fields)
{
	json_t *out = json_object(), *v;

	for (const struct jspec_field *f = fields; out != NULL && f->name != NULL; f++) {
		v = json_object_get(doc, f->name);
		if (v != NULL && json_object_set_new(out, f->name, stix_project_value(v, f)) != 0) {
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}

/* Project then check; ERR_OK with *out a new reference, else *out NULL. */
static enum err_code stix_vet(const json_t *doc, const struct jspec_field *spec,
                              struct jspec_error *err, json_t **out)
{
	struct jspec_error local;
	enum err_code rc = ERR_OK;

	*out = NULL;
	if (!json_is_object(doc))
		return ERR_VALIDATION;
	*out = stix_project_object(doc, spec);
	if (*out == NULL)
		return ERR_INTERNAL;
	if (!jspec_check(*out, spec, err != NULL ? err : &local)) {
		json_decref(*out);
		*out = NULL;
		rc = ERR_VALIDATION;
	}
	return rc;
}

/* ---- timestamps and ids ------------------------------------------------ */

/* RFC 3339 s rewritten as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC). 0 or -1. */
static int stix_timestamp(const char *s, char out[STIX_TIMESTAMP_LEN + 1], long long *epoch_us)
{
	long long us;
	time_t secs;
	struct tm tm;
	int n;

	if (!jspec_parse_timestamp(s, &us))
		return -1;
	secs = (time_t)(us / 1000000);
	if (gmtime_r(&secs, &tm) == NULL)
		return -1;
	n = snprintf(out, STIX_TIMESTAMP_LEN + 1, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	             (int)(us % 1000000 / 1000));
	if (n != STIX_TIMESTAMP_LEN)
		return -1;
	if (epoch_us != NULL)
		*epoch_us = us;
	return 0;
}

/* "<type>--<uuid>" */
static bool stix_id_valid(const char *id, const char *type)
{
	size_t n = strlen(type);

	return id != NULL && strncmp(id, type, n) == 0 && id[n] == '-' && id[n + 1] == '-' &&
	       uuid_parse(id + n + 2, NULL);
}

/* ---- building -------------------------------------------------------- */

struct stix_build {
	const struct stix_bulletin_in *in;
	json_t *anon;           /* projected and checked copy of in->anon */
	json_t *ids;            /* working copy of in->id_map */
	json_t *objects;        /* the bundle's objects, in order */
	json_t *indicator_keys; /* id_map keys of the indicators, in order */
	json_t *technique_keys; /* id_map keys of the attack patterns, in order */
	json_t *seen;           /* keys already placed, to drop repeats */
	const char *marking_id;
	char created[STIX_TIMESTAMP_LEN + 1];
	char modified[STIX_TIMESTAMP_LEN + 1];
	char isac_created[STIX_TIMESTAMP_LEN + 1];
	char detected_at[STIX_TIMESTAMP_LEN + 1];
	enum err_code rc; /* first failure; ERR_OK while all is well */
};

static void stix_fail(struct stix_build *b, enum err_code code)
{
	if (b->rc == ERR_OK)
		b->rc = code;
}

/* A string member of the checked input, or NULL (absent or null). */
static const char *stix_anon_str(const struct stix_build *b, const char *name)
{
	return json_string_value(json_object_get(b->anon, name));
}

/*
 * The id for key: the caller's, when it has one of the right type, else a
 * fresh "<type>--<uuid>" recorded in b->ids. The string lives as long as
 * b->ids. NULL with b->rc set on a malformed entry or allocation failure.
 */
static const char *stix_id_for(struct stix_build *b, const char *key, const char *type)
{
	json_t *v = json_object_get(b->ids, key);
	char uuid[UUID_STR_LEN + 1];

	if (v != NULL) {
		if (!stix_id_valid(json_string_value(v), type)) {
			stix_fail(b, ERR_VALIDATION);
			return NULL;
		}
		return json_string_value(v);
	}
	uuid_v4(uuid);
	v = json_sprintf("%s--%s", type, uuid);
	if (v == NULL || json_object_set_new(b->ids, key, v) != 0) {
		stix_fail(b, ERR_INTERNAL);
		return NULL;
	}
	return json_string_value(v);
}

/* Set key to a new value v (stolen); a NULL v is an allocation failure. */
static void stix_set(struct stix_build *b, json_t *obj, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		stix_fail(b, ERR_INTERNAL);
}

/* Set key to the string s, unless s is NULL (an absent optional member). */
static void stix_set_opt(struct stix_build *b, json_t *obj, const char *key, const char *s)
{
	if (s != NULL)
		stix_set(b, obj, key, json_string(s));
}

/* Append obj (stolen) to the bundle; a NULL obj is an allocation failure. */
static void stix_append(struct stix_build *b, json_t *obj)
{
	if (obj == NULL || json_array_append_new(b->objects, obj) != 0)
		stix_fail(b, ERR_INTERNAL);
}

/* Common properties of every object we author. NULL when out of memory. */
static json_t *stix_sdo(const struct stix_build *b, const char *type, const char *id,
                        const char *created, const char *modified)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}", "type", type, "spec_version",
	                 "2.1", "id", id, "created_by_ref", b->in->isac_identity_id, "created",
	                 created, "modified", modified, "object_marking_refs", b->marking_id);
}

static void stix_add_isac(struct stix_build *b)
{
	const char *id = b->in->isac_identity_id;
	json_t *obj = stix_sdo(b, "identity", id, b->isac_created, b->isac_created);

	if (obj != NULL) {
		stix_set(b, obj, "name", json_string(b->in->isac_name));
		stix_set(b, obj, "identity_class", json_string("organization"));
	}
	stix_append(b, obj);
}

/* The Incident Core Extension 2.0 entry: only properties it defines. */
static json_t *stix_incident_core(const struct stix_build *b)
{
	const char *phase = stix_anon_str(b, "phase");
	const char *type = stix_lookup(stix_event_types, STIX_COUNT(stix_event_types),
	                               stix_anon_str(b, "incident_type"));
	int severity = report_vocab_index(report_severities, stix_anon_str(b, "severity"));
	json_t *ext;

	if (severity < 0 || (size_t)severity >= STIX_COUNT(stix_criticality))
		return NULL;

	/* determination: the ISAC relays the operator's account and has not
	 * made its own; "suspected" is the value the extension asks for then. */
	ext = json_pack("{s:s, s:s, s:s, s:i}", "extension_type", "property-extension",
	                "determination", "suspected", "investigation_status",
	                stix_lookup(stix_investigation_status,
	                            STIX_COUNT(stix_investigation_status), phase),
	                "criticality", stix_criticality[severity]);
	if (ext != NULL && type != NULL &&
	    json_object_set_new(ext, "incident_types", json_pack("[s]", type)) != 0) {
		json_decref(ext);
		ext = NULL;
	}
	return ext == NULL ? NULL : json_pack("{s:o}", STIX_INCIDENT_CORE_EXTENSION_ID, ext);
}

static void stix_add_incident(struct stix_build *b)
{
	const json_t *impact = json_object_get(b->anon, "impact");
	char occurred[STIX_TIMESTAMP_LEN + 1];
	const char *occurred_at = stix_anon_str(b, "occurred_at");
	json_t *obj = stix_sdo(b, "incident", b->in->incident_id, b->created, b->modified);

	if (obj == NULL) {
		stix_fail(b, ERR_INTERNAL);
		return;
	}
	if (occurred_at != NULL && stix_timestamp(occurred_at, occurred, NULL) != 0)
		stix_fail(b, ERR_VALIDATION);
	stix_set(b, obj, "name", json_string(stix_anon_str(b, "title")));
	stix_set(b, obj, "description", json_string(stix_anon_str(b, "summary")));
	stix_set(b, obj, "extensions", stix_incident_core(b));
	stix_set_opt(b, obj, "x_isacd_incident_type", stix_anon_str(b, "incident_type"));
	stix_set_opt(b, obj, "x_isacd_severity", stix_anon_str(b, "severity"));
	stix_set_opt(b, obj, "x_isacd_phase", stix_anon_str(b, "phase"));
	stix_set_opt(b, obj, "x_isacd_sector", stix_anon_str(b, "sector"));
	stix_set_opt(b, obj, "x_isacd_region", stix_anon_str(b, "region"));
	stix_set_opt(b, obj, "x_isacd_time_precision", stix_anon_str(b, "time_precision"));
	stix_set_opt(b, obj, "x_isacd_detected_at", b->detected_at);
	stix_set_opt(b, obj, "x_isacd_occurred_at", occurred_at != NULL ? occurred : NULL);
	stix_set_opt(b, obj, "x_isacd_impact_class",
	             json_string_value(json_object_get(impact, "class")));
	stix_set_opt(b, obj, "x_isacd_impact_description",
	             json_string_value(json_object_get(impact, "description")));
	stix_append(b, obj);
}

/* "An operator in the electric power sector in the Kanto region" */
static json_t *stix_victim_name(const char *sector, const char *region)
{
	const char *sector_words =
	        stix_lookup(stix_sector_names, STIX_COUNT(stix_sector_names), sector);
	const char *region_words =
	        stix_lookup(stix_region_names, STIX_COUNT(stix_region_names), region);
	const char *where = region_words != NULL ? region_words : "";
	const char *tail = region_words != NULL ? " region" : "";
	const char *in = region_words != NULL ? " in the " : "";

	if (sector_words != NULL)
		return json_sprintf("An operator in the %s sector%s%s%s", sector_words, in, where,
		                    tail);
	if (sector != NULL && strcmp(sector, "critical_infrastructure") == 0)
		return json_sprintf("A critical-infrastructure operator%s%s%s", in, where, tail);
	return json_sprintf("An operator whose sector is withheld%s%s%s", in, where, tail);
}

static void stix_add_victim(struct stix_build *b)
{
	const char *sector = stix_anon_str(b, "sector");
	const char *stix_sector = sector == NULL                       ? NULL
	                          : report_sector_stix(sector) != NULL ? report_sector_stix(sector)
	                                                               : "infrastructure";
	const char *id = stix_id_for(b, "identity|victim", "identity");
	json_t *obj = id != NULL ? stix_sdo(b, "identity", id, b->created, b->modified) : NULL;

	if (obj == NULL) {
		stix_fail(b, ERR_INTERNAL);
		return;
	}
	stix_set(b, obj, "name", stix_victim_name(sector, stix_anon_str(b, "region")));
	stix_set(b, obj, "description",
	         json_string("The class of organizations the reporting operator belongs to, "
	                     "generalized for publication. It never names an organization."));
	stix_set(b, obj, "identity_class", json_string("class"));
	if (stix_sector != NULL)
		stix_set(b, obj, "sectors", json_pack("[s]", stix_sector));
	stix_append(b, obj);
}

/* True the first time key is met in this bundle. */
static bool stix_first_time(struct stix_build *b, const char *key)
{
	if (json_object_get(b->seen, key) != NULL)
		return false;
	if (json_object_set_new(b->seen, key, json_true()) != 0)
		stix_fail(b, ERR_INTERNAL);
	return true;
}

/* " Reported by 3 operators in 2 sectors." or "" when not correlated. */
static json_t *stix_correlation_text(struct stix_build *b, const char *type, const char *value)
{
	char key[STIX_KEY_MAX];
	json_t *entry, *vetted = NULL, *text;
	json_int_t ops, sectors;

	if (b->in->correlations == NULL)
		return json_string("");
	if (snprintf(key, sizeof key, "%s|%s", type, value) >= (int)sizeof key)
		return json_string("");
	entry = json_object_get(b->in->correlations, key);
	if (entry == NULL)
		return json_string("");
	stix_fail(b, stix_vet(entry, stix_correlation_spec, b->in->err, &vetted));
	if (vetted == NULL)
		return NULL;
	ops = json_integer_value(json_object_get(vetted, "operators"));
	sectors = json_integer_value(json_object_get(vetted, "sectors"));
	if (sectors > 0)
		text = json_sprintf(" Reported by %lld operator%s in %lld sector%s.",
		                    (long long)ops, ops == 1 ? "" : "s", (long long)sectors,
		                    sectors == 1 ? "" : "s");
	else
		text = json_sprintf(" Reported by %lld operator%s.", (long long)ops,
		                    ops == 1 ? "" : "s");
	json_decref(vetted);
	return text;
}

/* The indicator object for one checked (type, value) under id. */
static json_t *stix_indicator(struct stix_build *b, const char *id, const char *type,
                              const char *value)
{
	const struct stix_indicator_kind *kind = stix_kind_find(type);
	char pattern[STIX_PATTERN_MAX];
	json_t *obj, *counts;

	if (kind == NULL || stix_pattern(type, value, pattern, sizeof pattern) != 0) {
		stix_fail(b, ERR_VALIDATION);
		return NULL;
	}
	counts = stix_correlation_text(b, type, value);
	obj = counts == NULL ? NULL : stix_sdo(b, "indicator", id, b->created, b->modified);
	if (obj != NULL) {
		stix_set(b, obj, "name", json_sprintf("%s %s", kind->label, value));
		stix_set(b, obj, "description",
		         json_sprintf("Attacker indicator from an incident shared by %s.%s",
		                      b->in->isac_name, json_string_value(counts)));
		stix_set(b, obj, "indicator_types", json_pack("[s]", "malicious-activity"));
		stix_set(b, obj, "pattern", json_string(pattern));
		stix_set(b, obj, "pattern_type", json_string("stix"));
		stix_set(b, obj, "pattern_version", json_string("2.1"));
		stix_set(b, obj, "valid_from", json_string(b->detected_at));
	}
	json_decref(counts);
	return obj;
}

static void stix_add_indicators(struct stix_build *b)
{
	const json_t *list = json_object_get(b->anon, "indicators");
	const json_t *item;
	const char *type, *value, *id;
	char key[STIX_KEY_MAX];
	size_t i;

	json_array_foreach(list, i, item)
	{
		type = json_string_value(json_object_get(item, "type"));
		value = json_string_value(json_object_get(item, "value"));
		if (snprintf(key, sizeof key, "indicator|%s|%s", type, value) >= (int)sizeof key) {
			stix_fail(b, ERR_VALIDATION);
			return;
		}
		if (!stix_first_time(b, key))
			continue;
		id = stix_id_for(b, key, "indicator");
		if (id == NULL)
			return;
		stix_append(b, stix_indicator(b, id, type, value));
		if (json_array_append_new(b->indicator_keys, json_string(key)) != 0)
			stix_fail(b, ERR_INTERNAL);
		if (b->rc != ERR_OK)
			return;
	}
}

/* The attack pattern for technique t (checked: T1234 or T1234.567). */
static json_t *stix_attack_pattern(const struct stix_build *b, const char *id, const char *t)
{
	char url[64];
	json_t *obj;

	if (strlen(t) == 9)
		snprintf(url, sizeof url, "https://attack.mitre.org/techniques/%.5s/%s/", t, t + 6);
	else
		snprintf(url, sizeof url, "https://attack.mitre.org/techniques/%s/", t);
	obj = stix_sdo(b, "attack-pattern", id, b->created, b->modified);
	if (obj != NULL &&
	    (json_object_set_new(obj, "name", json_string(t)) != 0 ||
	     json_object_set_new(obj, "external_references",
	                         json_pack("[{s:s, s:s, s:s}]", "source_name", "mitre-attack",
	                                   "external_id", t, "url", url)) != 0)) {
		json_decref(obj);
		obj = NULL;
	}
	return obj;
}

static void stix_add_attack_patterns(struct stix_build *b)
{
	const json_t *list = json_object_get(b->anon, "attack_techniques");
	const json_t *item;
	const char *t, *id;
	char key[64];
	size_t i;

	json_array_foreach(list, i, item)
	{
		t = json_string_value(item);
		snprintf(key, sizeof key, "attack-pattern|%s", t); /* t is at most 9 bytes */
		if (!stix_first_time(b, key))
			continue;
		id = stix_id_for(b, key, "attack-pattern");
		if (id == NULL)
			return;
		stix_append(b, stix_attack_pattern(b, id, t));
		if (json_array_append_new(b->technique_keys, json_string(key)) != 0)
			stix_fail(b, ERR_INTERNAL);
		if (b->rc != ERR_OK)
			return;
	}
}

/* source --type--> target, both named by id_map key ("incident" for ours). */
static void stix_relate(struct stix_build *b, const char *src_key, const char *type,
                        const char *dst_key)
{
	char key[STIX_KEY_MAX];
	const char *id, *src, *dst;
	json_t *obj;

	if (b->rc != ERR_OK)
		return;
	if (snprintf(key, sizeof key, "relationship|%s|%s|%s", src_key, type, dst_key) >=
	    (int)sizeof key) {
		stix_fail(b, ERR_VALIDATION);
		return;
	}
	src = strcmp(src_key, "incident") == 0
	              ? b->in->incident_id
	              : json_string_value(json_object_get(b->ids, src_key));
	dst = json_string_value(json_object_get(b->ids, dst_key));
	id = stix_id_for(b, key, "relationship");
	if (id == NULL)
		return;
	obj = stix_sdo(b, "relationship", id, b->created, b->modified);
	if (obj != NULL) {
		stix_set(b, obj, "relationship_type", json_string(type));
		stix_set(b, obj, "source_ref", json_string(src));
		stix_set(b, obj, "target_ref", json_string(dst));
	}
	stix_append(b, obj);
}

/*
 * related-to is the one relationship STIX 2.1 allows from its stub
 * incident to anything; "targets" (incident to identity) is defined by the
 * Incident Core Extension, attack-pattern targets identity and indicator
 * indicates attack-pattern by STIX 2.1 itself.
 */
static void stix_add_relationships(struct stix_build *b)
{
	size_t n_ind = json_array_size(b->indicator_keys);
	size_t n_tech = json_array_size(b->technique_keys);
	const char *ind, *tech;

	for (size_t i = 0; i < n_ind; i++)
		stix_relate(b, "incident", "related-to",
		            json_string_value(json_array_get(b->indicator_keys, i)));
	for (size_t t = 0; t < n_tech; t++)
		stix_relate(b, "incident", "related-to",
		            json_string_value(json_array_get(b->technique_keys, t)));
	stix_relate(b, "incident", "targets", "identity|victim");
	for (size_t t = 0; t < n_tech; t++)
		stix_relate(b, json_string_value(json_array_get(b->technique_keys, t)), "targets",
		            "identity|victim");
	if (n_ind * n_tech > STIX_MAX_INDICATES_PAIRS)
		return;
	for (size_t i = 0; i < n_ind; i++) {
		ind = json_string_value(json_array_get(b->indicator_keys, i));
		for (size_t t = 0; t < n_tech; t++) {
			tech = json_string_value(json_array_get(b->technique_keys, t));
			stix_relate(b, ind, "indicates", tech);
		}
	}
}

/* ---- public ---------------------------------------------------------- */

const char *stix_tlp_marking_id(const char *tlp)
{
	const struct stix_tlp *t = stix_tlp_find(tlp);

	return t != NULL ? t->id : NULL;
}

json_t *stix_tlp_marking(const char *tlp)
{
	const struct stix_tlp *t = stix_tlp_find(tlp);

	if (t == NULL)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:{s:s, s:s}}}", "type",
	                 "marking-definition", "spec_version", "2.1", "id", t->id, "created",
	                 STIX_TLP2_CREATED, "name", t->name, "extensions", STIX_TLP2_EXTENSION_ID,
	                 "extension_type", "property-extension", "tlp_2_0", t->tlp_2_0);
}

int stix_pattern(const char *type, const char *value, char *out, size_t out_len)
{
	const struct stix_indicator_kind *kind = stix_kind_find(type);
	size_t n;
	int w;

	if (out == NULL || out_len == 0)
		return -1;
	out[0] = '\0';
	if (kind == NULL || value == NULL)
		return -1;
	w = snprintf(out, out_len, "[%s = '", kind->path);
	if (w < 0 || (size_t)w >= out_len)
		goto fail;
	n = (size_t)w;
	for (const char *p = value; *p != '\0'; p++) {
		bool escape = *p == '\'' || *p == '\\';

		if (n + (escape ? 2 : 1) >= out_len)
			goto fail;
		if (escape)
			out[n++] = '\\';
		out[n++] = *p;
	}
	if (n + 2 >= out_len)
		goto fail;
	out[n++] = '\'';
	out[n++] = ']';
	out[n] = '\0';
	return 0;
fail:
	out[0] = '\0';
	return -1;
}

/* Everything stix_bundle() checks before it mints a single id. */
static enum err_code stix_check_inputs(const struct stix_bulletin_in *in, struct stix_build *b)
{
	long long created_us, modified_us;
	const char *isac_created = in->isac_identity_created;
	enum err_code rc;

	if (!stix_id_valid(in->isac_identity_id, "identity") ||
	    !stix_id_valid(in->incident_id, "incident") || in->isac_name == NULL ||
	    in->isac_name[0] == '\0' || !json_is_object(in->id_map) ||
	    (in->correlations != NULL && !json_is_object(in->correlations)))
		return ERR_VALIDATION;
	if (stix_timestamp(in->created, b->created, &created_us) != 0 ||
	    stix_timestamp(in->modified, b->modified, &modified_us) != 0 ||
	    modified_us < created_us ||
	    stix_timestamp(isac_created != NULL ? isac_created : in->created, b->isac_created,
	                   NULL) != 0)
		return ERR_VALIDATION;
	rc = stix_vet(in->anon, stix_anon_spec, in->err, &b->anon);
	if (rc != ERR_OK)
		return rc;
	if (stix_timestamp(stix_anon_str(b, "detected_at"), b->detected_at, NULL) != 0)
		return ERR_VALIDATION;
	b->marking_id = stix_tlp_marking_id(stix_anon_str(b, "tlp"));
	return b->marking_id != NULL ? ERR_OK : ERR_VALIDATION;
}

/* All objects, in bundle order; b->rc says whether it worked. */
static void stix_build_objects(struct stix_build *b)
{
	stix_add_isac(b);
	stix_append(b, stix_tlp_marking(stix_anon_str(b, "tlp")));
	stix_add_incident(b);
	if (b->rc == ERR_OK)
		stix_add_victim(b);
	if (b->rc == ERR_OK)
		stix_add_indicators(b);
	if (b->rc == ERR_OK)
		stix_add_attack_patterns(b);
	if (b->rc == ERR_OK)
		stix_add_relationships(b);
}

enum err_code stix_bundle(const struct stix_bulletin_in *in, json_t **bundle)
{
	struct stix_build b = {.in = in, .rc = ERR_OK};
	char uuid[UUID_STR_LEN + 1];
	json_t *out = NULL;

	if (bundle == NULL || in == NULL)
		return ERR_INTERNAL;
	*bundle = NULL;
	if (in->err != NULL)
		*in->err = (struct jspec_error){.code = ERR_OK};
	b.rc = stix_check_inputs(in, &b);
	if (b.rc != ERR_OK)
		goto out;
	b.ids = json_copy(in->id_map); /* shallow: values are immutable strings */
	b.objects = json_array();
	b.indicator_keys = json_array();
	b.technique_keys = json_array();
	b.seen = json_object();
	if (b.ids == NULL || b.objects == NULL || b.indicator_keys == NULL ||
	    b.technique_keys == NULL || b.seen == NULL) {
		b.rc = ERR_INTERNAL;
		goto out;
	}
	stix_build_objects(&b);
	if (b.rc != ERR_OK)
		goto out;
	uuid_v4(uuid);
	out = json_pack("{s:s, s:s+, s:O}", "type", "bundle", "id", "bundle--", uuid, "objects",
	                b.objects);
	if (out == NULL || json_object_update(in->id_map, b.ids) != 0) {
		b.rc = ERR_INTERNAL;
		goto out;
	}
	*bundle = out;
	out = NULL;
out:
	json_decref(out);
	json_decref(b.anon);
	json_decref(b.ids);
	json_decref(b.objects);
	json_decref(b.indicator_keys);
	json_decref(b.technique_keys);
	json_decref(b.seen);
	return b.rc;
}
