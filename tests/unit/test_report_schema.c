/*
 * test_report_schema — unit tests for server/report_schema.c.
 *
 * Starts from one realistic, valid report and changes one thing per check,
 * so every assertion names exactly the field it is about. Pins the
 * vocabularies and the STIX mapping word for word: other modules and
 * clients depend on their spelling.
 *
 * Must never: depend on the network, the database or the clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report_schema.h"

static const char valid_report[] =
        "{"
        "\"title\": \"Ransomware on billing servers\","
        "\"summary\": \"At 06:10 JST the SOC saw mass file renames on three billing servers. "
        "Hosts isolated; backups verified. 請求システムのサーバ3台で暗号化を確認。\","
        "\"incident_type\": \"ransomware\","
        "\"severity\": \"high\","
        "\"sector\": \"electric_power\","
        "\"detected_at\": \"2026-11-25T07:30:00Z\","
        "\"occurred_at\": \"2026-11-25T15:10:00+09:00\","
        "\"phase\": \"early_warning\","
        "\"incident_id\": \"5f0c6f0e-8d3b-4c1e-9a57-2f6b1d2c3e4f\","
        "\"tlp\": \"AMBER+STRICT\","
        "\"impact\": {"
        "  \"class\": \"moderate\","
        "  \"description\": \"Billing delayed; no effect on supply.\","
        "  \"services\": [\"billing\", \"customer portal\"],"
        "  \"outage_minutes\": 95"
        "},"
        "\"indicators\": ["
        "  {\"type\": \"ipv4\", \"value\": \"198.51.100.23\", \"role\": \"attacker\","
        "   \"description\": \"C2 server\"},"
        "  {\"type\": \"domain\", \"value\": \"update-check.example.net\", \"role\": \"attacker\"},"
        "  {\"type\": \"sha256\", \"value\": "
        "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
        "   \"role\": \"attacker\"},"
        "  {\"type\": \"ipv4\", \"value\": \"192.0.2.10\", \"role\": \"victim\"}"
        "],"
        "\"attack_techniques\": [\"T1486\", \"T1566.001\"],"
        "\"contacts\": [{\"name\": \"山田 太郎\", \"email\": \"soc@example.co.jp\","
        "  \"phone\": \"+81-3-1234-5678\", \"role\": \"CSIRT lead\"}]"
        "}";

static json_t *report(void)
{
	json_error_t jerr;
	json_t *doc = json_loads(valid_report, JSON_REJECT_DUPLICATES, &jerr);

	if (doc == NULL)
		fail_msg("valid_report does not parse: %s", jerr.text);
	return doc;
}

/*
 * Set (or, with value NULL, delete) the member at a simple JSON pointer
 * such as "/impact/services/0" in doc; steals `value`.
 */
static void set_at(json_t *doc, const char *pointer, json_t *value)
{
	char path[256], *seg, *next, *save = NULL;
	json_t *parent = doc;

	snprintf(path, sizeof(path), "%s", pointer + 1);
	seg = strtok_r(path, "/", &save);
	while ((next = strtok_r(NULL, "/", &save)) != NULL) {
		parent = json_is_array(parent) ? json_array_get(parent, strtoul(seg, NULL, 10))
		                               : json_object_get(parent, seg);
		assert_non_null(parent);
		seg = next;
	}
	if (json_is_array(parent)) {
		size_t i = strtoul(seg, NULL, 10);

		if (value == NULL)
			json_array_remove(parent, i);
		else if (i == json_array_size(parent))
			json_array_append_new(parent, value);
		else
			json_array_set_new(parent, i, value);
	} else if (value == NULL) {
		json_object_del(parent, seg);
	} else {
		json_object_set_new(parent, seg, value);
	}
}

/* Validate doc (consumed) and assert the outcome. */
static void expect_doc(json_t *doc, enum err_code code, const char *pointer)
{
	struct jspec_error err;
	bool ok = report_schema_validate(doc, &err);

	if (err.code != code || strcmp(err.pointer, pointer) != 0)
		fail_msg("want %d at \"%s\", got %d at \"%s\" (%s)", code, pointer, err.code,
		         err.pointer, err.detail);
	assert_int_equal(ok, code == ERR_OK);
	if (code != ERR_OK)
		assert_true(strlen(err.detail) > 0);
	json_decref(doc);
}

/* The valid report with one member set (or deleted), then validated. */
static void expect_with(const char *at, json_t *value, enum err_code code, const char *pointer)
{
	json_t *doc = report();

	set_at(doc, at, value);
	expect_doc(doc, code, pointer);
}

/* A string of `count` copies of `unit`; the caller frees. */
static char *repeat(const char *unit, size_t count)
{
	size_t n = strlen(unit);
	char *s = malloc(n * count + 1);

	assert_non_null(s);
	for (size_t i = 0; i < count; i++)
		memcpy(s + i * n, unit, n);
	s[n * count] = '\0';
	return s;
}

/* Set a string of `count` × `unit` at `at` and expect the outcome. */
static void expect_repeated(const char *at, const char *unit, size_t count, enum err_code code,
                            const char *pointer)
{
	char *s = repeat(unit, count);

	expect_with(at, json_string(s), code, pointer);
	free(s);
}

static void test_valid_report(void **state)
{
	json_t *doc = report();

	(void)state;
	expect_doc(json_deep_copy(doc), ERR_OK, "");
	/* the minimal report: required members only */
	json_object_del(doc, "occurred_at");
	json_object_del(doc, "incident_id");
	json_object_del(doc, "indicators");
	json_object_del(doc, "attack_techniques");
	json_object_del(doc, "contacts");
	json_object_set_new(doc, "impact", json_pack("{s:s}", "class", "none"));
	expect_doc(doc, ERR_OK, "");
	/* optional members may be null */
	expect_with("/occurred_at", json_null(), ERR_OK, "");
	expect_with("/incident_id", json_null(), ERR_OK, "");
	expect_with("/indicators", json_null(), ERR_OK, "");
	expect_with("/impact/services", json_null(), ERR_OK, "");
	expect_with("/indicators/0/description", json_null(), ERR_OK, "");
	/* empty optional arrays are fine */
	expect_with("/indicators", json_array(), ERR_OK, "");
	expect_with("/attack_techniques", json_array(), ERR_OK, "");
	expect_with("/contacts", json_array(), ERR_OK, "");
	expect_with("/impact/services", json_array(), ERR_OK, "");
}

static void test_document_shape(void **state)
{
	struct jspec_error err;
	json_t *arr = json_array();

	(void)state;
	assert_false(report_schema_validate(arr, &err));
	assert_int_equal(err.code, ERR_WRONG_TYPE);
	assert_string_equal(err.pointer, "");
	assert_false(report_schema_validate(NULL, &err));
	assert_int_equal(err.code, ERR_WRONG_TYPE);
	assert_false(report_schema_validate(arr, NULL));
	json_decref(arr);
}

static void test_required_members(void **state)
{
	static const char *const required[] = {
	        "title",       "summary", "incident_type", "severity", "sector",
	        "detected_at", "phase",   "tlp",           "impact",
	};
	char pointer[64];

	(void)state;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		snprintf(pointer, sizeof(pointer), "/%s", required[i]);
		expect_with(pointer, NULL, ERR_MISSING_FIELD, pointer);
		expect_with(pointer, json_null(), ERR_WRONG_TYPE, pointer);
	}
	expect_with("/impact/class", NULL, ERR_MISSING_FIELD, "/impact/class");
	expect_with("/indicators/1/type", NULL, ERR_MISSING_FIELD, "/indicators/1/type");
	expect_with("/indicators/1/value", NULL, ERR_MISSING_FIELD, "/indicators/1/value");
	expect_with("/indicators/1/role", NULL, ERR_MISSING_FIELD, "/indicators/1/role");
	expect_with("/indicators/1/value", json_null(), ERR_WRONG_TYPE, "/indicators/1/value");
	expect_with("/contacts/0/name", NULL, ERR_MISSING_FIELD, "/contacts/0/name");
}

static void test_unknown_members(void **state)
{
	json_t *doc;

	(void)state;
	expect_with("/reporter", json_string("x"), ERR_UNKNOWN_FIELD, "/reporter");
	expect_with("/impact/colour", json_string("red"), ERR_UNKNOWN_FIELD, "/impact/colour");
	expect_with("/indicators/2/extra", json_true(), ERR_UNKNOWN_FIELD, "/indicators/2/extra");
	expect_with("/contacts/0/fax", json_string("x"), ERR_UNKNOWN_FIELD, "/contacts/0/fax");
	doc = report();
	json_object_set_new(doc, "a/b~", json_true());
	expect_doc(doc, ERR_UNKNOWN_FIELD, "/a~1b~0");
	/* unknown beats a missing member of the same object */
	doc = report();
	json_object_del(doc, "title");
	json_object_set_new(doc, "Title", json_string("x"));
	expect_doc(doc, ERR_UNKNOWN_FIELD, "/Title");
	/* the declarative check runs before any cross-field rule */
	doc = report();
	set_at(doc, "/indicators/0/value", json_string("not an address"));
	set_at(doc, "/contacts/0/fax", json_string("x"));
	expect_doc(doc, ERR_UNKNOWN_FIELD, "/contacts/0/fax");
}

static void test_wrong_types(void **state)
{
	(void)state;
	expect_with("/title", json_integer(1), ERR_WRONG_TYPE, "/title");
	expect_with("/severity", json_integer(3), ERR_WRONG_TYPE, "/severity");
	expect_with("/detected_at", json_integer(1795591800), ERR_WRONG_TYPE, "/detected_at");
	expect_with("/impact", json_string("moderate"), ERR_WRONG_TYPE, "/impact");
	expect_with("/impact/outage_minutes", json_real(1.5), ERR_WRONG_TYPE,
	            "/impact/outage_minutes");
	expect_with("/impact/outage_minutes", json_string("95"), ERR_WRONG_TYPE,
	            "/impact/outage_minutes");
	expect_with("/impact/services", json_string("billing"), ERR_WRONG_TYPE, "/impact/services");
	expect_with("/impact/services/1", json_integer(2), ERR_WRONG_TYPE, "/impact/services/1");
	expect_with("/indicators", json_object(), ERR_WRONG_TYPE, "/indicators");
	expect_with("/indicators/3", json_string("1.2.3.4"), ERR_WRONG_TYPE, "/indicators/3");
	expect_with("/indicators/3", json_null(), ERR_WRONG_TYPE, "/indicators/3");
	expect_with("/attack_techniques/0", json_integer(1486), ERR_WRONG_TYPE,
	            "/attack_techniques/0");
	expect_with("/contacts/0", json_string("x"), ERR_WRONG_TYPE, "/contacts/0");
	expect_with("/incident_id", json_integer(5), ERR_WRONG_TYPE, "/incident_id");
}

static void test_top_level_string_bounds(void **state)
{
	(void)state;
	expect_repeated("/title", "a", 0, ERR_TOO_SHORT, "/title");
	expect_repeated("/title", "a", 1, ERR_OK, "");
	expect_repeated("/title", "a", 200, ERR_OK, "");
	expect_repeated("/title", "a", 201, ERR_TOO_LONG, "/title");
	/* bytes, not characters: 日 is 3 bytes */
	expect_repeated("/title", "\u65e5", 66, ERR_OK, "");             /* 198 */
	expect_repeated("/title", "\u65e5", 67, ERR_TOO_LONG, "/title"); /* 201 */
	expect_repeated("/title", "\u00e9", 100, ERR_OK, "");            /* 200 */
	expect_repeated("/title", "\u00e9", 101, ERR_TOO_LONG, "/title");
	expect_repeated("/title", "\xf0\x9f\x94\x92", 50, ERR_OK, ""); /* 200 */
	expect_repeated("/title", "\xf0\x9f\x94\x92", 51, ERR_TOO_LONG, "/title");
	expect_repeated("/summary", "s", 0, ERR_TOO_SHORT, "/summary");
	expect_repeated("/summary", "s", 20000, ERR_OK, "");
	expect_repeated("/summary", "s", 20001, ERR_TOO_LONG, "/summary");
	expect_repeated("/summary", "\u65e5", 6666, ERR_OK, "");               /* 19998 */
	expect_repeated("/summary", "\u65e5", 6667, ERR_TOO_LONG, "/summary"); /* 20001 */
}

static void test_impact_bounds(void **state)
{
	json_t *services;

	(void)state;
	expect_repeated("/impact/description", "d", 0, ERR_TOO_SHORT, "/impact/description");
	expect_repeated("/impact/description", "d", 4000, ERR_OK, "");
	expect_repeated("/impact/description", "d", 4001, ERR_TOO_LONG, "/impact/description");
	expect_repeated("/impact/services/0", "s", 0, ERR_TOO_SHORT, "/impact/services/0");
	expect_repeated("/impact/services/1", "s", 200, ERR_OK, "");
	expect_repeated("/impact/services/1", "s", 201, ERR_TOO_LONG, "/impact/services/1");
	services = json_array();
	for (int i = 0; i < 20; i++)
		json_array_append_new(services, json_string("svc"));
	expect_with("/impact/services", json_deep_copy(services), ERR_OK, "");
	json_array_append_new(services, json_string("svc"));
	expect_with("/impact/services", services, ERR_TOO_LONG, "/impact/services");
	expect_with("/impact/outage_minutes", json_integer(0), ERR_OK, "");
	expect_with("/impact/outage_minutes", json_integer(10000000), ERR_OK, "");
	expect_with("/impact/outage_minutes", json_integer(-1), ERR_VALIDATION,
	            "/impact/outage_minutes");
	expect_with("/impact/outage_minutes", json_integer(10000001), ERR_VALIDATION,
	            "/impact/outage_minutes");
}

/* An indicators array of `count` valid entries. */
static json_t *indicators(size_t count)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < count; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "type", "md5", "value",
		                                     "d41d8cd98f00b204e9800998ecf8427e", "role",
		                                     "attacker"));
	return arr;
}

static void test_indicator_bounds(void **state)
{
	(void)state;
	expect_with("/indicators", indicators(1000), ERR_OK, "");
	expect_with("/indicators", indicators(1001), ERR_TOO_LONG, "/indicators");
	expect_with("/indicators/1/type", json_string("filename"), ERR_OK, "");
	expect_repeated("/indicators/1/value", "v", 0, ERR_TOO_SHORT, "/indicators/1/value");
	expect_repeated("/indicators/1/value", "v", 2048, ERR_VALIDATION, "/indicators/1/value");
	expect_repeated("/indicators/1/value", "v", 2049, ERR_TOO_LONG, "/indicators/1/value");
	expect_repeated("/indicators/0/description", "d", 0, ERR_TOO_SHORT,
	                "/indicators/0/description");
	expect_repeated("/indicators/0/description", "d", 1000, ERR_OK, "");
	expect_repeated("/indicators/0/description", "d", 1001, ERR_TOO_LONG,
	                "/indicators/0/description");
}

static void test_filename_at_value_bound(void **state)
{
	char *name = repeat("f", 2048);
	json_t *doc = report();

	(void)state;
	set_at(doc, "/indicators/1/type", json_string("filename"));
	set_at(doc, "/indicators/1/value", json_string(name));
	expect_doc(doc, ERR_OK, "");
	free(name);
}

static void test_attack_techniques(void **state)
{
	static const char *const good[] = {"T1566", "T1566.001", "T0000", "T9999.999"};
	static const char *const bad[] = {"T15a6",     "t1566",  "X1566",  "T1566.01", "T1566-001",
	                                  "T1566.0a1", "T156 6", "T1566.", "T1566001"};
	json_t *many = json_array();

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		expect_with("/attack_techniques/1", json_string(good[i]), ERR_OK, "");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_with("/attack_techniques/1", json_string(bad[i]), ERR_VALIDATION,
		            "/attack_techniques/1");
	expect_with("/attack_techniques/1", json_string("T156"), ERR_TOO_SHORT,
	            "/attack_techniques/1");
	expect_with("/attack_techniques/1", json_string("T1566.0011"), ERR_TOO_LONG,
	            "/attack_techniques/1");
	for (int i = 0; i < 100; i++)
		json_array_append_new(many, json_string("T1486"));
	expect_with("/attack_techniques", json_deep_copy(many), ERR_OK, "");
	json_array_append_new(many, json_string("T1486"));
	expect_with("/attack_techniques", many, ERR_TOO_LONG, "/attack_techniques");
}

static void test_contacts(void **state)
{
	json_t *many = json_array();

	(void)state;
	for (int i = 0; i < 10; i++)
		json_array_append_new(many, json_pack("{s:s}", "name", "CSIRT"));
	expect_with("/contacts", json_deep_copy(many), ERR_OK, "");
	json_array_append_new(many, json_pack("{s:s}", "name", "CSIRT"));
	expect_with("/contacts", many, ERR_TOO_LONG, "/contacts");
	expect_repeated("/contacts/0/name", "n", 0, ERR_TOO_SHORT, "/contacts/0/name");
	expect_repeated("/contacts/0/name", "n", 200, ERR_OK, "");
	expect_repeated("/contacts/0/name", "n", 201, ERR_TOO_LONG, "/contacts/0/name");
	expect_repeated("/contacts/0/email", "e", 2, ERR_TOO_SHORT, "/contacts/0/email");
	expect_repeated("/contacts/0/email", "e", 3, ERR_OK, "");
	expect_repeated("/contacts/0/email", "e", 254, ERR_OK, "");
	expect_repeated("/contacts/0/email", "e", 255, ERR_TOO_LONG, "/contacts/0/email");
	expect_repeated("/contacts/0/phone", "1", 2, ERR_TOO_SHORT, "/contacts/0/phone");
	expect_repeated("/contacts/0/phone", "1", 3, ERR_OK, "");
	expect_repeated("/contacts/0/phone", "1", 40, ERR_OK, "");
	expect_repeated("/contacts/0/phone", "1", 41, ERR_TOO_LONG, "/contacts/0/phone");
	expect_repeated("/contacts/0/role", "r", 0, ERR_TOO_SHORT, "/contacts/0/role");
	expect_repeated("/contacts/0/role", "r", 100, ERR_OK, "");
	expect_repeated("/contacts/0/role", "r", 101, ERR_TOO_LONG, "/contacts/0/role");
}

static void test_times(void **state)
{
	(void)state;
	expect_with("/detected_at", json_string("2026-11-25 07:30:00"), ERR_VALIDATION,
	            "/detected_at");
	expect_with("/occurred_at", json_string("2026-02-30T00:00:00Z"), ERR_VALIDATION,
	            "/occurred_at");
	expect_with("/occurred_at", json_string("2026-11-25T07:30:00Z"), ERR_OK, "");
	expect_with("/occurred_at", json_string("2026-11-25T07:30:00.000001Z"), ERR_VALIDATION,
	            "/occurred_at");
	expect_with("/occurred_at", json_string("2026-11-25T07:31:00Z"), ERR_VALIDATION,
	            "/occurred_at");
	/* compared as instants, not as text: 16:30+09:00 is 07:30Z */
	expect_with("/occurred_at", json_string("2026-11-25T16:30:00+09:00"), ERR_OK, "");
	expect_with("/occurred_at", json_string("2026-11-25T16:30:01+09:00"), ERR_VALIDATION,
	            "/occurred_at");
	expect_with("/occurred_at", json_string("2026-11-25T02:29:59-05:00"), ERR_OK, "");
	expect_with("/occurred_at", json_string("2026-11-25T02:30:01-05:00"), ERR_VALIDATION,
	            "/occurred_at");
	expect_with("/occurred_at", json_string("2020-01-01T00:00:00Z"), ERR_OK, "");
}

static void test_incident_id(void **state)
{
	(void)state;
	expect_with("/incident_id", json_string("5F0C6F0E-8D3B-4C1E-9A57-2F6B1D2C3E4F"), ERR_OK,
	            "");
	expect_with("/incident_id", json_string("5f0c6f0e8d3b4c1e9a572f6b1d2c3e4f"), ERR_VALIDATION,
	            "/incident_id");
	expect_with("/incident_id", json_string("INC-2026-0001"), ERR_VALIDATION, "/incident_id");
}

/* Every word of `vocab` is accepted at `at`; `wrong` is not. */
static void expect_vocabulary(const char *at, const char *const *vocab, const char *wrong)
{
	for (size_t i = 0; vocab[i] != NULL; i++)
		expect_with(at, json_string(vocab[i]), ERR_OK, "");
	expect_with(at, json_string(wrong), ERR_NOT_IN_VOCABULARY, at);
	expect_with(at, json_string(""), ERR_NOT_IN_VOCABULARY, at);
}

static void expect_words(const char *const *vocab, const char *const *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_non_null(vocab[i]);
		assert_string_equal(vocab[i], want[i]);
	}
	assert_null(vocab[n]);
}

#define EXPECT_WORDS(vocab, ...)                                                                   \
	do {                                                                                       \
		static const char *const want_[] = {__VA_ARGS__};                                  \
		expect_words(vocab, want_, sizeof(want_) / sizeof(want_[0]));                      \
	} while (0)

static void test_vocabularies_spelled_exactly(void **state)
{
	(void)state;
	EXPECT_WORDS(report_sectors, "information_communication", "finance", "aviation", "airports",
	             "railways", "electric_power", "gas", "government", "medical", "water",
	             "logistics", "chemicals", "credit_cards", "petroleum", "ports");
	EXPECT_WORDS(report_regions, "hokkaido", "tohoku", "kanto", "chubu", "kinki", "chugoku",
	             "shikoku", "kyushu_okinawa");
	EXPECT_WORDS(report_incident_types, "ransomware", "malware", "phishing", "ddos",
	             "unauthorized_access", "data_breach", "supply_chain", "insider_threat",
	             "vulnerability_exploitation", "defacement", "service_outage", "other");
	EXPECT_WORDS(report_severities, "low", "medium", "high", "critical");
	EXPECT_WORDS(report_phases, "early_warning", "notification", "final");
	EXPECT_WORDS(report_tlp_levels, "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED");
	EXPECT_WORDS(report_impact_classes, "none", "minor", "moderate", "significant", "severe");
	EXPECT_WORDS(report_indicator_types, "ipv4", "ipv6", "domain", "url", "email", "sha256",
	             "sha1", "md5", "filename");
	EXPECT_WORDS(report_indicator_roles, "attacker", "victim");
}

static void test_vocabularies_in_report(void **state)
{
	(void)state;
	expect_vocabulary("/incident_type", report_incident_types, "worm");
	expect_vocabulary("/severity", report_severities, "Critical");
	expect_vocabulary("/sector", report_sectors, "kanto");
	expect_vocabulary("/phase", report_phases, "interim");
	expect_vocabulary("/tlp", report_tlp_levels, "WHITE");
	expect_vocabulary("/impact/class", report_impact_classes, "catastrophic");
	expect_vocabulary("/indicators/2/role", report_indicator_roles, "bystander");
	expect_with("/tlp", json_string("amber"), ERR_NOT_IN_VOCABULARY, "/tlp");
	expect_with("/tlp", json_string("TLP:AMBER"), ERR_NOT_IN_VOCABULARY, "/tlp");
	expect_with("/indicators/2/type", json_string("hash"), ERR_NOT_IN_VOCABULARY,
	            "/indicators/2/type");
}

static void test_sector_stix(void **state)
{
	static const char *const want[][2] = {
	        {"information_communication", "telecommunications"},
	        {"finance", "financial-services"},
	        {"aviation", "transportation"},
	        {"airports", "transportation"},
	        {"railways", "transportation"},
	        {"electric_power", "energy"},
	        {"gas", "energy"},
	        {"government", "government-public-services"},
	        {"medical", "healthcare"},
	        {"water", "infrastructure-water"},
	        {"logistics", "transportation"},
	        {"chemicals", "chemical"},
	        {"credit_cards", "financial-services"},
	        {"petroleum", "energy"},
	        {"ports", "transportation"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_non_null(report_sector_stix(want[i][0]));
		assert_string_equal(report_sector_stix(want[i][0]), want[i][1]);
	}
	for (size_t i = 0; report_sectors[i] != NULL; i++)
		assert_non_null(report_sector_stix(report_sectors[i]));
	assert_null(report_sector_stix("energy"));
	assert_null(report_sector_stix(""));
	assert_null(report_sector_stix(NULL));
}

static void test_vocab_index(void **state)
{
	(void)state;
	assert_int_equal(report_vocab_index(report_severities, "low"), 0);
	assert_int_equal(report_vocab_index(report_severities, "critical"), 3);
	assert_int_equal(report_vocab_index(report_tlp_levels, "AMBER+STRICT"), 3);
	assert_int_equal(report_vocab_index(report_severities, "Low"), -1);
	assert_int_equal(report_vocab_index(report_severities, ""), -1);
	assert_int_equal(report_vocab_index(report_severities, NULL), -1);
	assert_int_equal(report_vocab_index(NULL, "low"), -1);
	assert_int_equal(report_vocab_index(report_regions, "kyushu_okinawa"), 7);
}

/* Values an indicator of a type must accept, and must refuse. */
struct indicator_cases {
	const char *type;
	const char *good[12];
	const char *bad[24];
};

static const struct indicator_cases indicator_cases[] = {
        {"ipv4",
         .good = {"192.0.2.1", "0.0.0.0", "255.255.255.255", "198.51.100.0/24", "10.0.0.0/8",
                  "192.0.2.1/0", "192.0.2.1/32"},
         .bad = {"256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "0x7f.0.0.1", "192.0.2.1/33",
                 "192.0.2.1/", "192.0.2.1/024", "192.0.2.1/-1", "192.0.2.1/24/8", "192.0.2.1/ 8",
                 "/24", " 192.0.2.1", "192.0.2.1 ", "::1", "example.com",
                 "192.0.2.1111111111111111111111111111111111111111111111111"}},
        {"ipv6",
         .good = {"2001:db8::1", "::", "::1", "2001:DB8:0:0:8:800:200C:417A", "::ffff:192.0.2.1",
                  "2001:db8::/32", "2001:db8::/0", "2001:db8::1/128"},
         .bad = {"2001:db8::/129", "2001:db8:::1", "2001:db8::g", "fe80::1%eth0", "[2001:db8::1]",
                 "192.0.2.1", "1:2:3:4:5:6:7:8:9"}},
        {"domain",
         .good = {"example.com", "EXAMPLE.co.jp", "xn--wgv71a119e.jp", "a.b", "example.com.",
                  "a-b.example", "3com.com", "example.123a"},
         .bad = {"localhost", "example..com", ".example.com", "example.com..", ".", "-ex.com",
                 "ex-.com", "ex_ample.com", "\u65e5\u672c\u8a9e.jp", "1.2.3.4", "exa mple.com",
                 "example.com/", "http://example.com"}},
        {"url",
         .good = {"http://example.com/", "https://example.com/a?b=c#d", "hxxp://evil.example",
                  "svn+ssh://host/repo", "ftp://192.0.2.1/x",
                  "https://\u4f8b\u3048.jp/\u30d1\u30b9"},
         .bad = {"example.com", "HTTP://example.com", "http://", "http:/x", "://x", "1http://x",
                 "ht_tp://x", "http://exa mple.com", "http://x\ty", "http://x\ny", "http://x\x7fy",
                 "http://x\u00a0y", "http://x\u3000y", "http://x\302\205y", "http://x\ufeffy"}},
        {"email",
         .good = {"soc@example.co.jp", "first.last+tag@sub.example.com",
                  "\u30e6\u30fc\u30b6\u30fc@example.jp"},
         .bad = {"noat.example.com", "a@b@example.com", "@example.com", "user@", "user@localhost",
                 "us er@example.com", "user@exa mple.com", "user@example.com.",
                 "user\u3000x@example.com"}},
        {"sha256",
         .good = {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                  "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"},
         .bad = {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
                 "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                 "da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
        {"sha1",
         .good = {"da39a3ee5e6b4b0d3255bfef95601890afd80709",
                  "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"},
         .bad = {"da39a3ee5e6b4b0d3255bfef95601890afd8070",
                 "da39a3ee5e6b4b0d3255bfef95601890afd807090",
                 "da39a3ee5e6b4b0d3255bfef95601890afd8070z"}},
        {"md5", .good = {"d41d8cd98f00b204e9800998ecf8427e", "D41D8CD98F00B204E9800998ECF8427E"},
         .bad = {"d41d8cd98f00b204e9800998ecf8427", "d41d8cd98f00b204e9800998ecf8427e0",
                 "d41d8cd98f00b204e9800998ecf8427-", " d41d8cd98f00b204e9800998ecf8427e"}},
        {"filename",
         .good = {"invoice.pdf.exe", "C:\\Users\\Public\\x.exe", "\u5831\u544a\u66f8.docx",
                  "my file.txt", ".bashrc"},
         .bad = {"dir/file", "/etc/passwd", "a\nb", "a\001b", "a\177b", "a\302\205b", ".", ".."}},
};

/* Put `value` at /indicators/2 as a `type`; true when the report validates. */
static bool indicator_valid(const char *type, const char *value, struct jspec_error *err)
{
	json_t *doc = report();
	bool ok;

	set_at(doc, "/indicators/2/type", json_string(type));
	set_at(doc, "/indicators/2/value", json_string(value));
	ok = report_schema_validate(doc, err);
	json_decref(doc);
	return ok;
}

static void test_indicator_values(void **state)
{
	const struct indicator_cases *c = *state;
	struct jspec_error err;

	for (size_t i = 0; i < sizeof(c->good) / sizeof(c->good[0]) && c->good[i] != NULL; i++) {
		if (!indicator_valid(c->type, c->good[i], &err))
			fail_msg("%s \"%s\" refused: %s", c->type, c->good[i], err.detail);
	}
	for (size_t i = 0; i < sizeof(c->bad) / sizeof(c->bad[0]) && c->bad[i] != NULL; i++) {
		if (indicator_valid(c->type, c->bad[i], &err))
			fail_msg("%s \"%s\" accepted", c->type, c->bad[i]);
		assert_int_equal(err.code, ERR_VALIDATION);
		assert_string_equal(err.pointer, "/indicators/2/value");
		assert_true(strlen(err.detail) > 0);
		/* the detail never quotes the value back */
		if (strlen(c->bad[i]) > 3)
			assert_null(strstr(err.detail, c->bad[i]));
	}
}

/* Detail text names the problem in terms the submitter can act on. */
static void expect_indicator_detail(const char *type, const char *value, const char *needle)
{
	struct jspec_error err;
	json_t *doc = report();

	set_at(doc, "/indicators/1/type", json_string(type));
	set_at(doc, "/indicators/1/value", json_string(value));
	assert_false(report_schema_validate(doc, &err));
	assert_string_equal(err.pointer, "/indicators/1/value");
	if (strstr(err.detail, needle) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", err.detail, needle);
	json_decref(doc);
}

static void test_indicator_details(void **state)
{
	(void)state;
	expect_indicator_detail("ipv4", "300.1.1.1", "not a valid IPv4 address");
	expect_indicator_detail("ipv6", "2001:db8:::1", "not a valid IPv6 address");
	expect_indicator_detail("domain", "\u4f8b\u3048.jp", "use the A-label (xn--) form");
	expect_indicator_detail("email", "a@\u4f8b\u3048.jp", "use the A-label (xn--) form");
	expect_indicator_detail("domain", "nodot", "domain name");
	expect_indicator_detail("url", "example.com", "URL");
	expect_indicator_detail("email", "x", "e-mail");
	expect_indicator_detail("sha256", "abc", "SHA-256");
	expect_indicator_detail("sha1", "abc", "SHA-1");
	expect_indicator_detail("md5", "abc", "MD5");
	expect_indicator_detail("filename", "a/b", "file name");
}

static void test_domain_lengths(void **state)
{
	char name[300];
	char *label63 = repeat("a", 63);
	char *label64 = repeat("a", 64);

	(void)state;
	snprintf(name, sizeof(name), "%s.example", label63);
	expect_with("/indicators/1/value", json_string(name), ERR_OK, "");
	snprintf(name, sizeof(name), "%s.example", label64);
	expect_with("/indicators/1/value", json_string(name), ERR_VALIDATION,
	            "/indicators/1/value");
	/* 3 × 63 + 3 dots + 61 = 253 bytes; one more is 254 */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label63, label63, label63, label63);
	assert_int_equal(strlen(name), 253);
	expect_with("/indicators/1/value", json_string(name), ERR_OK, "");
	strcat(name, ".");
	expect_with("/indicators/1/value", json_string(name), ERR_OK, ""); /* root dot */
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label63, label63, label63, label63);
	expect_with("/indicators/1/value", json_string(name), ERR_VALIDATION,
	            "/indicators/1/value");
	free(label63);
	free(label64);
}

static void test_first_bad_indicator_wins(void **state)
{
	json_t *doc = report();

	(void)state;
	set_at(doc, "/indicators/1/value", json_string("not..a.domain"));
	set_at(doc, "/indicators/3/value", json_string("999.0.0.1"));
	expect_doc(doc, ERR_VALIDATION, "/indicators/1/value");
	/* time rule is checked before indicators */
	doc = report();
	set_at(doc, "/indicators/1/value", json_string("not..a.domain"));
	set_at(doc, "/occurred_at", json_string("2027-01-01T00:00:00Z"));
	expect_doc(doc, ERR_VALIDATION, "/occurred_at");
}

/* Assert every STRING and ARRAY in a spec has 0 < max and min <= max. */
static void walk_spec(const struct jspec_field *f, const char *where, unsigned depth)
{
	assert_true(depth < 16);
	switch (f->kind) {
	case JSPEC_STRING:
	case JSPEC_ARRAY:
		if (f->max == 0 || f->min > f->max)
			fail_msg("%s: bounds %zu..%zu", where, f->min, f->max);
		if (f->kind == JSPEC_ARRAY) {
			assert_non_null(f->item);
			walk_spec(f->item, where, depth + 1);
		}
		break;
	case JSPEC_OBJECT:
		assert_non_null(f->fields);
		for (const struct jspec_field *g = f->fields; g->name != NULL; g++)
			walk_spec(g, g->name, depth + 1);
		break;
	case JSPEC_ENUM:
		assert_non_null(f->vocab);
		assert_non_null(f->vocab[0]);
		break;
	case JSPEC_INTEGER:
		assert_true(f->min_int <= f->max_int);
		break;
	default:
		break;
	}
}

static void test_report_spec_is_bounded(void **state)
{
	struct jspec_error err;
	size_t n = 0;

	(void)state;
	for (const struct jspec_field *f = report_spec; f->name != NULL; f++, n++)
		walk_spec(f, f->name, 0);
	assert_int_equal(n, 14);
	if (!jspec_spec_valid(report_spec, &err))
		fail_msg("report_spec: %s: %s", err.pointer, err.detail);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_valid_report),
	        cmocka_unit_test(test_document_shape),
	        cmocka_unit_test(test_required_members),
	        cmocka_unit_test(test_unknown_members),
	        cmocka_unit_test(test_wrong_types),
	        cmocka_unit_test(test_top_level_string_bounds),
	        cmocka_unit_test(test_impact_bounds),
	        cmocka_unit_test(test_indicator_bounds),
	        cmocka_unit_test(test_filename_at_value_bound),
	        cmocka_unit_test(test_attack_techniques),
	        cmocka_unit_test(test_contacts),
	        cmocka_unit_test(test_times),
	        cmocka_unit_test(test_incident_id),
	        cmocka_unit_test(test_vocabularies_spelled_exactly),
	        cmocka_unit_test(test_vocabularies_in_report),
	        cmocka_unit_test(test_sector_stix),
	        cmocka_unit_test(test_vocab_index),
	        cmocka_unit_test_prestate(test_indicator_values,
	                                  (void *)&indicator_cases[0]), /* ipv4 */
	        cmocka_unit_test_prestate(test_indicator_values,
	                                  (void *)&indicator_cases[1]), /* ipv6 */
	        cmocka_unit_test_prestate(test_indicator_values,
	                                  (void *)&indicator_cases[2]), /* domain */
	        cmocka_unit_test_prestate(test_indicator_values,
	                                  (void *)&indicator_cases[3]), /* url */
	        cmocka_unit_test_prestate(test_indicator_values,
	                                  (void *)&indicator_cases[4]), /* email */
	        cmocka_unit_test_prestate(test_indicator_values,
	                                  (void *)&indicator_cases[5]), /* sha256 */
	        cmocka_unit_test_prestate(test_indicator_values,
	                                  (void *)&indicator_cases[6]), /* sha1 */
	        cmocka_unit_test_prestate(test_indicator_values,
	                                  (void *)&indicator_cases[7]), /* md5 */
	        cmocka_unit_test_prestate(test_indicator_values,
	                                  (void *)&indicator_cases[8]), /* filename */
	        cmocka_unit_test(test_indicator_details),
	        cmocka_unit_test(test_domain_lengths),
	        cmocka_unit_test(test_first_bad_indicator_wins),
	        cmocka_unit_test(test_report_spec_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
