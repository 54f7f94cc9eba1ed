/*
 * test_stix — unit tests for server/stix.c.
 *
 * Builds bundles from realistic anonymizer outputs (every TLP level, every
 * indicator type with quotes, backslashes and non-ASCII, no indicators, no
 * techniques, a withheld or generalized sector, a follow-up version), checks
 * their structure here (unique ids, refs that resolve inside the bundle,
 * markings on every object, stable ids across versions) and has every one
 * validated against the OASIS STIX 2.1 JSON schemas by
 * ../shared/tools/validate_stix.py, which must also refuse a broken bundle.
 *
 * Must never: depend on the network or the database. Needs /usr/bin/python3
 * with python3-jsonschema and shared/ beside the repository (tests run from
 * the repository root); a missing validator fails the tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <sodium.h>

#include "report_schema.h"
#include "stix.h"
#include "uuid.h"

#define ISAC_ID     "identity--8e2a1c84-5b1e-4c4f-9d0e-3f1d2a6b7c90"
#define ISAC_TS     "2026-01-05T00:00:00.000Z"
#define INCIDENT_ID "incident--0b6f3a52-7d0c-4e59-a1f2-c8e4d9b1a7e3"
#define CREATED     "2026-11-25T07:00:00.000Z"
#define MODIFIED    "2026-11-25T07:00:00.000Z"
#define MODIFIED_2  "2026-11-26T09:30:00.250Z"

/* Strings that appear only in fields stix must never publish. */
#define SECRET_ORG  "Kanto Denryoku Holdings"
#define SECRET_IP   "10.20.30.40"
#define SECRET_HOST "scada-gw01.kanto-denryoku.example"

static const char base_anon[] =
        "{"
        "\"title\": \"Ransomware on billing servers\","
        "\"summary\": \"Mass file renames on three billing servers; hosts isolated. "
        "請求システムで暗号化を確認。\","
        "\"incident_type\": \"ransomware\","
        "\"severity\": \"high\","
        "\"phase\": \"early_warning\","
        "\"tlp\": \"AMBER\","
        "\"sector\": \"electric_power\","
        "\"region\": \"kanto\","
        "\"time_precision\": \"hour\","
        "\"detected_at\": \"2026-11-25T06:00:00Z\","
        "\"occurred_at\": \"2026-11-25T14:00:00+09:00\","
        "\"impact\": {\"class\": \"moderate\", \"description\": \"Billing delayed.\"},"
        "\"indicators\": ["
        "  {\"type\": \"ipv4\", \"value\": \"203.0.113.45\"},"
        "  {\"type\": \"sha256\", \"value\": "
        "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}"
        "],"
        "\"attack_techniques\": [\"T1486\", \"T1566.001\"],"
        "\"redactions\": [{\"field\": \"/summary\", \"term\": \"" SECRET_ORG "\"}],"
        "\"dropped_indicators\": [{\"type\": \"ipv4\", \"value\": \"" SECRET_IP "\"},"
        "  {\"type\": \"domain\", \"value\": \"" SECRET_HOST "\"}]"
        "}";

/* The marking definitions as OASIS publishes them (cti-stix-common-objects). */
static const char *const oasis_tlp[][2] = {
        {"CLEAR", "{\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": "
                  "\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\", \"created\": "
                  "\"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:CLEAR\", \"extensions\": "
                  "{\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": "
                  "{\"extension_type\": \"property-extension\", \"tlp_2_0\": \"clear\"}}}"},
        {"GREEN", "{\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": "
                  "\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\", \"created\": "
                  "\"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:GREEN\", \"extensions\": "
                  "{\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": "
                  "{\"extension_type\": \"property-extension\", \"tlp_2_0\": \"green\"}}}"},
        {"AMBER", "{\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": "
                  "\"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421\", \"created\": "
                  "\"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:AMBER\", \"extensions\": "
                  "{\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": "
                  "{\"extension_type\": \"property-extension\", \"tlp_2_0\": \"amber\"}}}"},
        {"AMBER+STRICT",
         "{\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": "
         "\"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003\", \"created\": "
         "\"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:AMBER+STRICT\", \"extensions\": "
         "{\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": "
         "{\"extension_type\": \"property-extension\", \"tlp_2_0\": \"amber+strict\"}}}"},
        {"RED", "{\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": "
                "\"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1\", \"created\": "
                "\"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:RED\", \"extensions\": "
                "{\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": "
                "{\"extension_type\": \"property-extension\", \"tlp_2_0\": \"red\"}}}"},
};

/* ---- helpers ------------------------------------------------------------ */

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *doc = json_loads(text, 0, &e);

	if (doc == NULL)
		fail_msg("bad test JSON at %d: %s", e.line, e.text);
	return doc;
}

static json_t *base(void)
{
	return load(base_anon);
}

static struct stix_bulletin_in input(const json_t *anon, json_t *id_map)
{
	struct stix_bulletin_in in = {
	        .anon = anon,
	        .isac_identity_id = ISAC_ID,
	        .isac_name = "Demo ISAC",
	        .isac_identity_created = ISAC_TS,
	        .incident_id = INCIDENT_ID,
	        .created = CREATED,
	        .modified = MODIFIED,
	        .id_map = id_map,
	};
	return in;
}

/* Build or fail the test; the caller owns the bundle. */
static json_t *build(const struct stix_bulletin_in *in)
{
	json_t *bundle = (json_t *)1;

	assert_int_equal(stix_bundle(in, &bundle), ERR_OK);
	assert_non_null(bundle);
	return bundle;
}

/* Build anon with a fresh id map. */
static json_t *build_anon(const json_t *anon)
{
	json_t *ids = json_object();
	struct stix_bulletin_in in = input(anon, ids);
	json_t *bundle = build(&in);

	json_decref(ids);
	return bundle;
}

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static size_t count_type(const json_t *bundle, const char *type)
{
	size_t i, n = 0;
	const json_t *o;

	json_array_foreach(json_object_get(bundle, "objects"), i, o) n +=
	        strcmp(str(o, "type"), type) == 0;
	return n;
}

static size_t count_rel(const json_t *bundle, const char *rel_type)
{
	size_t i, n = 0;
	const json_t *o;

	json_array_foreach(json_object_get(bundle, "objects"), i, o)
	{
		const char *t = str(o, "relationship_type");

		n += t != NULL && strcmp(t, rel_type) == 0;
	}
	return n;
}

/* The first object of a type (and name, when name is not NULL). */
static const json_t *find(const json_t *bundle, const char *type, const char *name)
{
	size_t i;
	const json_t *o;

	json_array_foreach(json_object_get(bundle, "objects"), i, o)
	{
		if (strcmp(str(o, "type"), type) == 0 &&
		    (name == NULL || (str(o, "name") != NULL && strcmp(str(o, "name"), name) == 0)))
			return o;
	}
	return NULL;
}

static bool stix_id_of_type(const char *id, const char *type)
{
	size_t n = strlen(type);

	return id != NULL && strncmp(id, type, n) == 0 && strncmp(id + n, "--", 2) == 0 &&
	       uuid_parse(id + n + 2, NULL);
}

static void assert_ref_resolves(const json_t *ids, const json_t *ref)
{
	assert_true(json_is_string(ref));
	if (json_object_get(ids, json_string_value(ref)) == NULL)
		fail_msg("dangling reference %s", json_string_value(ref));
}

/*
 * Everything every bundle must satisfy: unique well-formed ids, one
 * marking definition equal to the OASIS object for tlp, created_by_ref and
 * object_marking_refs on every other object, refs resolving inside the
 * bundle, and nothing from the anonymizer's private members.
 */
static void check_bundle(const json_t *bundle, const char *tlp, const char *modified)
{
	json_t *ids = json_object(), *oasis = NULL;
	const json_t *o, *r;
	size_t i, j;
	char *text;

	assert_string_equal(str(bundle, "type"), "bundle");
	assert_true(stix_id_of_type(str(bundle, "id"), "bundle"));
	json_array_foreach(json_object_get(bundle, "objects"), i, o)
	{
		assert_true(stix_id_of_type(str(o, "id"), str(o, "type")));
		assert_null(json_object_get(ids, str(o, "id")));
		json_object_set_new(ids, str(o, "id"), json_true());
		assert_string_equal(str(o, "spec_version"), "2.1");
	}
	for (size_t k = 0; k < sizeof oasis_tlp / sizeof oasis_tlp[0]; k++) {
		if (strcmp(oasis_tlp[k][0], tlp) == 0)
			oasis = load(oasis_tlp[k][1]);
	}
	assert_non_null(oasis);
	assert_int_equal(count_type(bundle, "marking-definition"), 1);
	assert_true(json_equal(oasis, (json_t *)find(bundle, "marking-definition", NULL)));
	json_array_foreach(json_object_get(bundle, "objects"), i, o)
	{
		if (strcmp(str(o, "type"), "marking-definition") == 0)
			continue;
		assert_string_equal(str(o, "created_by_ref"), ISAC_ID);
		assert_int_equal(json_array_size(json_object_get(o, "object_marking_refs")), 1);
		assert_string_equal(json_string_value(json_array_get(
		                            json_object_get(o, "object_marking_refs"), 0)),
		                    stix_tlp_marking_id(tlp));
		assert_ref_resolves(ids, json_object_get(o, "created_by_ref"));
		json_array_foreach(json_object_get(o, "object_marking_refs"), j, r)
		        assert_ref_resolves(ids, r);
		if (json_object_get(o, "source_ref") != NULL) {
			assert_ref_resolves(ids, json_object_get(o, "source_ref"));
			assert_ref_resolves(ids, json_object_get(o, "target_ref"));
		}
		if (strcmp(str(o, "id"), ISAC_ID) == 0) {
			assert_string_equal(str(o, "created"), ISAC_TS);
			continue;
		}
		assert_string_equal(str(o, "created"), CREATED);
		assert_string_equal(str(o, "modified"), modified);
	}
	text = json_dumps(bundle, 0);
	assert_null(strstr(text, "redactions"));
	assert_null(strstr(text, "dropped_indicators"));
	assert_null(strstr(text, SECRET_ORG));
	assert_null(strstr(text, SECRET_IP));
	assert_null(strstr(text, SECRET_HOST));
	free(text);
	json_decref(oasis);
	json_decref(ids);
}

/*
 * The one error the shipped OASIS bundle.json makes on a valid bulletin:
 * its list of object schemas omits "incident" (as it once omitted
 * infrastructure, oasis-open/cti-stix2-json-schemas#133, and
 * malware-analysis, #147), and its fallback for other types matches any SDO
 * twice (core and cyber-observable-core under a oneOf), so every bundle
 * holding an incident gets exactly this line for it:
 *   FILE: bundle--…: objects/2: {'type': 'incident', …} is not valid under
 *   any of the given schemas
 * The validator also checks each object on its own against its type's
 * schema (sdos/incident.json for ours), and any error there, or anywhere
 * else, is a different line, so tolerating this one line hides nothing.
 */
static bool known_schema_defect(const char *line)
{
	static const char tail[] = "} is not valid under any of the given schemas";
	size_t n = strlen(line), t = sizeof tail - 1;

	return strstr(line, ": bundle--") != NULL && strstr(line, ": objects/") != NULL &&
	       strstr(line, ": {'type': 'incident', ") != NULL && n > t &&
	       strcmp(line + n - t, tail) == 0;
}

/*
 * 0 when validate_stix.py accepts the bundles (one file each), or refuses
 * them only for known_schema_defect(); otherwise 1, after printing what it
 * said when `say`.
 */
static int run_validator_said(json_t *const *bundles, size_t n, bool say)
{
	const char *tool = getenv("STIX_VALIDATOR");
	char paths[16][32], out[32] = "/tmp/stix-out-XXXXXX", cmd[1024];
	char *line = NULL;
	size_t len, cap = 0, lines = 0, other = 0;
	ssize_t got;
	int status, fd;
	FILE *f;

	if (tool == NULL)
		tool = "../shared/tools/validate_stix.py";
	assert_true(n > 0 && n <= 16);
	if (access(tool, R_OK) != 0)
		fail_msg("validator %s not found (run from the repository root)", tool);
	len = (size_t)snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s", tool);
	for (size_t i = 0; i < n; i++) {
		snprintf(paths[i], sizeof paths[i], "/tmp/stix-XXXXXX");
		fd = mkstemp(paths[i]);
		assert_true(fd >= 0);
		assert_int_equal(json_dumpfd(bundles[i], fd, JSON_INDENT(1)), 0);
		close(fd);
		len += (size_t)snprintf(cmd + len, sizeof cmd - len, " %s", paths[i]);
		assert_true(len < sizeof cmd);
	}
	fd = mkstemp(out);
	assert_true(fd >= 0);
	close(fd);
	len += (size_t)snprintf(cmd + len, sizeof cmd - len, " >%s 2>&1", out);
	assert_true(len < sizeof cmd);
	status = system(cmd);
	f = fopen(out, "r");
	assert_non_null(f);
	while ((got = getline(&line, &cap, f)) > 0) {
		if (line[got - 1] == '\n')
			line[got - 1] = '\0';
		lines++;
		if (!known_schema_defect(line)) {
			other++;
			if (say)
				print_message("validator: %s\n", line);
		}
	}
	free(line);
	fclose(f);
	unlink(out);
	for (size_t i = 0; i < n; i++)
		unlink(paths[i]);
	assert_true(status != -1 && WIFEXITED(status));
	if (WEXITSTATUS(status) == 0)
		return 0;
	return WEXITSTATUS(status) == 1 && lines > 0 && other == 0 ? 0 : 1;
}

static int run_validator(json_t *const *bundles, size_t n)
{
	return run_validator_said(bundles, n, true);
}

static void assert_valid(json_t *bundle)
{
	assert_int_equal(run_validator(&bundle, 1), 0);
}

/* ---- marking definitions and patterns ---------------------------------- */

static void test_tlp_marking_ids(void **state)
{
	(void)state;
	assert_string_equal(stix_tlp_marking_id("CLEAR"),
	                    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487");
	assert_string_equal(stix_tlp_marking_id("GREEN"),
	                    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb");
	assert_string_equal(stix_tlp_marking_id("AMBER"),
	                    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421");
	assert_string_equal(stix_tlp_marking_id("AMBER+STRICT"),
	                    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003");
	assert_string_equal(stix_tlp_marking_id("RED"),
	                    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1");
	assert_null(stix_tlp_marking_id("WHITE"));
	assert_null(stix_tlp_marking_id("green"));
	assert_null(stix_tlp_marking_id("AMBER+"));
	assert_null(stix_tlp_marking_id(""));
	assert_null(stix_tlp_marking_id(NULL));
	/* every level ingest accepts has a marking */
	for (size_t i = 0; report_tlp_levels[i] != NULL; i++)
		assert_non_null(stix_tlp_marking_id(report_tlp_levels[i]));
}

static void test_tlp_marking_objects(void **state)
{
	json_t *all[5];

	(void)state;
	for (size_t k = 0; k < 5; k++) {
		json_t *want = load(oasis_tlp[k][1]);

		all[k] = stix_tlp_marking(oasis_tlp[k][0]);
		assert_true(json_equal(want, all[k]));
		assert_null(json_object_get(all[k], "created_by_ref"));
		json_decref(want);
	}
	assert_null(stix_tlp_marking("WHITE"));
	assert_int_equal(run_validator(all, 5), 0);
	for (size_t k = 0; k < 5; k++)
		json_decref(all[k]);
}

struct pattern_case {
	const char *type, *value, *want;
};

static const struct pattern_case pattern_cases[] = {
        {"ipv4", "203.0.113.45", "[ipv4-addr:value = '203.0.113.45']"},
        {"ipv4", "198.51.100.0/24", "[ipv4-addr:value = '198.51.100.0/24']"},
        {"ipv6", "2001:db8::1", "[ipv6-addr:value = '2001:db8::1']"},
        {"domain", "update-check.example.net", "[domain-name:value = 'update-check.example.net']"},
        {"domain", "xn--r8jz45g.example", "[domain-name:value = 'xn--r8jz45g.example']"},
        {"url", "https://evil.example/a'b\\c?q=1",
         "[url:value = 'https://evil.example/a\\'b\\\\c?q=1']"},
        {"email", "o'brien@phish.example", "[email-addr:value = 'o\\'brien@phish.example']"},
        {"sha256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
         "[file:hashes.'SHA-256' = "
         "'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855']"},
        {"sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
         "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']"},
        {"md5", "d41d8cd98f00b204e9800998ecf8427e",
         "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"},
        {"filename", "請求書 'final'.pdf.exe", "[file:name = '請求書 \\'final\\'.pdf.exe']"},
        {"filename", "a\\\\b'", "[file:name = 'a\\\\\\\\b\\'']"},
        {"filename", "]' OR [file:name = 'x", "[file:name = ']\\' OR [file:name = \\'x']"},
};

/* The literal between the outer quotes, unescaped, must be the value. */
static void assert_literal_round_trips(const char *pattern, const char *value)
{
	/* a path like hashes.'SHA-256' holds quotes before " = " */
	const char *p = strstr(pattern, " = '") + 4;
	char back[256];
	size_t n = 0;

	for (; *p != '\0' && !(p[0] == '\'' && p[1] == ']' && p[2] == '\0'); p++) {
		if (*p == '\\') {
			p++;
			assert_true(*p == '\\' || *p == '\'');
		} else {
			assert_true(*p != '\''); /* an unescaped quote would end the literal */
		}
		back[n++] = *p;
		assert_true(n < sizeof back);
	}
	back[n] = '\0';
	assert_string_equal(back, value);
}

static void test_patterns(void **state)
{
	char out[STIX_PATTERN_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof pattern_cases / sizeof pattern_cases[0]; i++) {
		const struct pattern_case *c = &pattern_cases[i];

		assert_int_equal(stix_pattern(c->type, c->value, out, sizeof out), 0);
		assert_string_equal(out, c->want);
		assert_literal_round_trips(out, c->value);
	}
	for (size_t i = 0; report_indicator_types[i] != NULL; i++)
		assert_int_equal(stix_pattern(report_indicator_types[i], "x", out, sizeof out), 0);
	assert_int_equal(stix_pattern("mutex", "x", out, sizeof out), -1);
	assert_string_equal(out, "");
	assert_int_equal(stix_pattern(NULL, "x", out, sizeof out), -1);
	assert_int_equal(stix_pattern("ipv4", NULL, out, sizeof out), -1);
}

static void test_pattern_bounds(void **state)
{
	const char *want = "[url:value = 'a\\'b']";
	size_t need = strlen(want) + 1;
	char out[64], *big;

	(void)state;
	assert_int_equal(stix_pattern("url", "a'b", out, need), 0);
	assert_string_equal(out, want);
	for (size_t n = 1; n < need; n++) {
		memset(out, 'Z', sizeof out);
		assert_int_equal(stix_pattern("url", "a'b", out, n), -1);
		assert_int_equal(out[0], '\0');
		assert_int_equal(out[n], 'Z'); /* nothing written past the bound */
	}
	assert_int_equal(stix_pattern("url", "a", out, 0), -1);
	/* the longest value we accept, every byte escaped, fits STIX_PATTERN_MAX */
	big = malloc(2049);
	memset(big, '\'', 2048);
	big[2048] = '\0';
	{
		char *p = malloc(STIX_PATTERN_MAX);

		assert_int_equal(stix_pattern("filename", big, p, STIX_PATTERN_MAX), 0);
		assert_int_equal(strlen(p), strlen("[file:name = '']") + 4096);
		free(p);
	}
	free(big);
}

/* ---- bundles ----------------------------------------------------------- */

static void test_every_tlp_validates(void **state)
{
	json_t *bundles[5];

	(void)state;
	for (size_t k = 0; k < 5; k++) {
		json_t *anon = base();

		json_object_set_new(anon, "tlp", json_string(oasis_tlp[k][0]));
		bundles[k] = build_anon(anon);
		check_bundle(bundles[k], oasis_tlp[k][0], MODIFIED);
		json_decref(anon);
	}
	assert_int_equal(run_validator(bundles, 5), 0);
	for (size_t k = 0; k < 5; k++)
		json_decref(bundles[k]);
}

static void test_object_order_and_counts(void **state)
{
	static const char *const want[] = {
	        "identity",  "marking-definition", "incident",       "identity",
	        "indicator", "indicator",          "attack-pattern", "attack-pattern",
	};
	json_t *anon = base(), *bundle = build_anon(anon);
	const json_t *objects = json_object_get(bundle, "objects");

	(void)state;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		assert_string_equal(str(json_array_get(objects, i), "type"), want[i]);
	assert_string_equal(str(json_array_get(objects, 0), "id"), ISAC_ID);
	assert_string_equal(str(json_array_get(objects, 2), "id"), INCIDENT_ID);
	/* 2 + 2 related-to, 1 + 2 targets, 2 x 2 indicates */
	assert_int_equal(json_array_size(objects), 8 + 4 + 3 + 4);
	assert_int_equal(count_rel(bundle, "related-to"), 4);
	assert_int_equal(count_rel(bundle, "targets"), 3);
	assert_int_equal(count_rel(bundle, "indicates"), 4);
	check_bundle(bundle, "AMBER", MODIFIED);
	assert_valid(bundle);
	json_decref(bundle);
	json_decref(anon);
}

static void test_isac_identity(void **state)
{
	json_t *anon = base(), *bundle = build_anon(anon);
	const json_t *isac = json_array_get(json_object_get(bundle, "objects"), 0);

	(void)state;
	assert_string_equal(str(isac, "name"), "Demo ISAC");
	assert_string_equal(str(isac, "identity_class"), "organization");
	assert_string_equal(str(isac, "created"), ISAC_TS);
	assert_string_equal(str(isac, "modified"), ISAC_TS);
	json_decref(bundle);
	json_decref(anon);
}

static void test_incident_properties(void **state)
{
	json_t *anon = base(), *bundle = build_anon(anon);
	const json_t *inc = find(bundle, "incident", NULL), *ext;

	(void)state;
	assert_string_equal(str(inc, "name"), "Ransomware on billing servers");
	assert_non_null(strstr(str(inc, "description"), "請求システム"));
	assert_null(json_object_get(inc, "severity")); /* reserved by the core schema */
	assert_string_equal(str(inc, "x_isacd_severity"), "high");
	assert_string_equal(str(inc, "x_isacd_incident_type"), "ransomware");
	assert_string_equal(str(inc, "x_isacd_phase"), "early_warning");
	assert_string_equal(str(inc, "x_isacd_sector"), "electric_power");
	assert_string_equal(str(inc, "x_isacd_region"), "kanto");
	assert_string_equal(str(inc, "x_isacd_time_precision"), "hour");
	assert_string_equal(str(inc, "x_isacd_detected_at"), "2026-11-25T06:00:00.000Z");
	assert_string_equal(str(inc, "x_isacd_occurred_at"), "2026-11-25T05:00:00.000Z");
	assert_string_equal(str(inc, "x_isacd_impact_class"), "moderate");
	assert_string_equal(str(inc, "x_isacd_impact_description"), "Billing delayed.");
	ext = json_object_get(json_object_get(inc, "extensions"), STIX_INCIDENT_CORE_EXTENSION_ID);
	assert_string_equal(str(ext, "extension_type"), "property-extension");
	assert_string_equal(str(ext, "determination"), "suspected");
	assert_string_equal(str(ext, "investigation_status"), "open");
	assert_int_equal(json_integer_value(json_object_get(ext, "criticality")), 70);
	assert_string_equal(
	        json_string_value(json_array_get(json_object_get(ext, "incident_types"), 0)),
	        "ransomware");
	assert_int_equal(json_object_size(ext), 5);
	json_decref(bundle);
	json_decref(anon);
}

static void test_incident_vocabulary_mapping(void **state)
{
	static const char *const severity[] = {"low", "medium", "high", "critical"};
	static const int criticality[] = {15, 40, 70, 95};
	json_t *anon = base(), *bundle;
	const json_t *ext;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		json_object_set_new(anon, "severity", json_string(severity[i]));
		json_object_set_new(anon, "phase", json_string("final"));
		json_object_set_new(anon, "incident_type", json_string("insider_threat"));
		bundle = build_anon(anon);
		ext = json_object_get(json_object_get(find(bundle, "incident", NULL), "extensions"),
		                      STIX_INCIDENT_CORE_EXTENSION_ID);
		assert_int_equal(json_integer_value(json_object_get(ext, "criticality")),
		                 criticality[i]);
		assert_string_equal(str(ext, "investigation_status"), "closed");
		assert_null(json_object_get(ext, "incident_types")); /* no honest event type */
		json_decref(bundle);
	}
	/* every incident type, with and without an event type, is accepted */
	for (size_t i = 0; report_incident_types[i] != NULL; i++) {
		json_object_set_new(anon, "incident_type", json_string(report_incident_types[i]));
		bundle = build_anon(anon);
		json_decref(bundle);
	}
	json_decref(anon);
}

static json_t *every_indicator_anon(void)
{
	json_t *anon = base();

	json_object_set_new(
	        anon, "indicators",
	        load("["
	             "{\"type\": \"ipv4\", \"value\": \"203.0.113.45\", \"role\": \"attacker\"},"
	             "{\"type\": \"ipv6\", \"value\": \"2001:db8::dead:beef\"},"
	             "{\"type\": \"domain\", \"value\": \"xn--r8jz45g.example\"},"
	             "{\"type\": \"url\", \"value\": \"https://evil.example/p?a='1'&b=\\\\x\"},"
	             "{\"type\": \"email\", \"value\": \"o'brien@phish.example\"},"
	             "{\"type\": \"sha256\", \"value\": "
	             "\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"},"
	             "{\"type\": \"sha1\", \"value\": "
	             "\"da39a3ee5e6b4b0d3255bfef95601890afd80709\"},"
	             "{\"type\": \"md5\", \"value\": \"d41d8cd98f00b204e9800998ecf8427e\"},"
	             "{\"type\": \"filename\", \"value\": \"請求書 \\\"確認\\\" 'v2'.pdf.exe\"},"
	             "{\"type\": \"ipv4\", \"value\": \"203.0.113.45\"}"
	             "]"));
	return anon;
}

static void test_every_indicator_type(void **state)
{
	json_t *anon = every_indicator_anon(), *bundle = build_anon(anon);
	const json_t *item, *ind;
	char want[STIX_PATTERN_MAX];
	size_t i;

	(void)state;
	assert_int_equal(count_type(bundle, "indicator"), 9); /* the repeat is dropped */
	json_array_foreach(json_object_get(anon, "indicators"), i, item)
	{
		const char *type = str(item, "type"), *value = str(item, "value");
		size_t hits = 0, j;

		assert_int_equal(stix_pattern(type, value, want, sizeof want), 0);
		json_array_foreach(json_object_get(bundle, "objects"), j, ind)
		{
			if (str(ind, "pattern") == NULL || strcmp(str(ind, "pattern"), want) != 0)
				continue;
			hits++;
			assert_string_equal(str(ind, "pattern_type"), "stix");
			assert_string_equal(str(ind, "valid_from"), "2026-11-25T06:00:00.000Z");
			assert_string_equal(json_string_value(json_array_get(
			                            json_object_get(ind, "indicator_types"), 0)),
			                    "malicious-activity");
			assert_non_null(strstr(str(ind, "name"), value));
		}
		assert_int_equal(hits, 1);
	}
	assert_int_equal(count_rel(bundle, "indicates"), 9 * 2);
	check_bundle(bundle, "AMBER", MODIFIED);
	assert_valid(bundle);
	json_decref(bundle);
	json_decref(anon);
}

static void test_no_indicators_no_techniques(void **state)
{
	json_t *a = base(), *b = base(), *c = base(), *bundles[3];

	(void)state;
	json_object_del(a, "indicators");
	json_object_set_new(b, "attack_techniques", json_array());
	json_object_set_new(c, "indicators", json_null());
	json_object_del(c, "attack_techniques");
	bundles[0] = build_anon(a);
	bundles[1] = build_anon(b);
	bundles[2] = build_anon(c);
	assert_int_equal(count_type(bundles[0], "indicator"), 0);
	assert_int_equal(count_type(bundles[0], "attack-pattern"), 2);
	assert_int_equal(count_rel(bundles[0], "indicates"), 0);
	assert_int_equal(count_rel(bundles[0], "targets"), 3);
	assert_int_equal(count_type(bundles[1], "attack-pattern"), 0);
	assert_int_equal(count_type(bundles[1], "indicator"), 2);
	assert_int_equal(count_rel(bundles[1], "indicates"), 0);
	assert_int_equal(count_rel(bundles[1], "related-to"), 2);
	/* neither: identity, marking, incident, victim, incident targets victim */
	assert_int_equal(json_array_size(json_object_get(bundles[2], "objects")), 5);
	for (size_t i = 0; i < 3; i++)
		check_bundle(bundles[i], "AMBER", MODIFIED);
	assert_int_equal(run_validator(bundles, 3), 0);
	for (size_t i = 0; i < 3; i++)
		json_decref(bundles[i]);
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void test_victim_class(void **state)
{
	json_t *a = base(), *b = base(), *c = base(), *bundles[3];
	const json_t *v;

	(void)state;
	json_object_set_new(b, "sector", json_string("critical_infrastructure"));
	json_object_set_new(b, "region", json_null());
	json_object_set_new(c, "sector", json_null());
	json_object_del(c, "region");
	for (size_t i = 0; i < 3; i++)
		bundles[i] = build_anon(i == 0 ? a : i == 1 ? b : c);
	v = json_array_get(json_object_get(bundles[0], "objects"), 3);
	assert_string_equal(str(v, "identity_class"), "class");
	assert_string_equal(str(v, "name"),
	                    "An operator in the electric power sector in the Kanto region");
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "sectors"), 0)),
	                    "energy");
	v = json_array_get(json_object_get(bundles[1], "objects"), 3);
	assert_string_equal(str(v, "name"), "A critical-infrastructure operator");
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "sectors"), 0)),
	                    "infrastructure");
	assert_null(json_object_get(find(bundles[1], "incident", NULL), "x_isacd_region"));
	v = json_array_get(json_object_get(bundles[2], "objects"), 3);
	assert_string_equal(str(v, "name"), "An operator whose sector is withheld");
	assert_null(json_object_get(v, "sectors"));
	assert_null(json_object_get(find(bundles[2], "incident", NULL), "x_isacd_sector"));
	for (size_t i = 0; i < 3; i++)
		check_bundle(bundles[i], "AMBER", MODIFIED);
	assert_int_equal(run_validator(bundles, 3), 0);
	for (size_t i = 0; i < 3; i++)
		json_decref(bundles[i]);
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void test_every_sector_and_region_named(void **state)
{
	json_t *anon = base(), *bundle;
	const json_t *v;

	(void)state;
	for (size_t i = 0; report_sectors[i] != NULL; i++) {
		json_object_set_new(anon, "sector", json_string(report_sectors[i]));
		bundle = build_anon(anon);
		v = json_array_get(json_object_get(bundle, "objects"), 3);
		assert_true(strncmp(str(v, "name"), "An operator in the ", 19) == 0);
		assert_null(strchr(str(v, "name"), '_'));
		assert_string_equal(
		        json_string_value(json_array_get(json_object_get(v, "sectors"), 0)),
		        report_sector_stix(report_sectors[i]));
		json_decref(bundle);
	}
	for (size_t i = 0; report_regions[i] != NULL; i++) {
		json_object_set_new(anon, "region", json_string(report_regions[i]));
		bundle = build_anon(anon);
		v = json_array_get(json_object_get(bundle, "objects"), 3);
		assert_non_null(strstr(str(v, "name"), " region"));
		assert_null(strchr(str(v, "name"), '_'));
		json_decref(bundle);
	}
	json_decref(anon);
}

static void test_attack_patterns(void **state)
{
	json_t *anon = base(), *bundle;
	const json_t *ap, *ref;

	(void)state;
	json_object_set_new(anon, "attack_techniques",
	                    load("[\"T1486\", \"T1566.001\", \"T1486\"]"));
	bundle = build_anon(anon);
	assert_int_equal(count_type(bundle, "attack-pattern"), 2);
	ap = find(bundle, "attack-pattern", "T1566.001");
	ref = json_array_get(json_object_get(ap, "external_references"), 0);
	assert_string_equal(str(ref, "source_name"), "mitre-attack");
	assert_string_equal(str(ref, "external_id"), "T1566.001");
	assert_string_equal(str(ref, "url"), "https://attack.mitre.org/techniques/T1566/001/");
	ref = json_array_get(
	        json_object_get(find(bundle, "attack-pattern", "T1486"), "external_references"), 0);
	assert_string_equal(str(ref, "url"), "https://attack.mitre.org/techniques/T1486/");
	json_decref(bundle);
	json_decref(anon);
}

static void test_correlation_counts(void **state)
{
	json_t *anon = base(), *ids = json_object(), *bundle;
	json_t *corr =
	        load("{\"ipv4|203.0.113.45\": {\"operators\": 3, \"sectors\": 2},"
	             "\"sha256|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\":"
	             " {\"operators\": 5}, \"md5|unused\": {\"operators\": 9}}");
	struct stix_bulletin_in in = input(anon, ids);

	(void)state;
	in.correlations = corr;
	bundle = build(&in);
	assert_non_null(
	        strstr(str(find(bundle, "indicator", "IPv4 address 203.0.113.45"), "description"),
	               "Reported by 3 operators in 2 sectors."));
	assert_non_null(
	        strstr(str(find(bundle, "indicator",
	                        "SHA-256 hash e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
	                        "a495991b7852b855"),
	                   "description"),
	               "Reported by 5 operators."));
	check_bundle(bundle, "AMBER", MODIFIED);
	assert_valid(bundle);
	json_decref(bundle);
	/* a correlation entry we cannot read is refused, not guessed */
	json_object_set_new(corr, "ipv4|203.0.113.45", load("{\"operators\": \"three\"}"));
	bundle = (json_t *)1;
	assert_int_equal(stix_bundle(&in, &bundle), ERR_VALIDATION);
	assert_null(bundle);
	json_decref(corr);
	json_decref(ids);
	json_decref(anon);
}

/* Every key of before has the same value in after. */
static void assert_ids_kept(const json_t *before, const json_t *after)
{
	const char *key;
	const json_t *v;

	json_object_foreach((json_t *)before, key, v)
	        assert_true(json_equal(v, json_object_get(after, key)));
}

static void test_follow_up_reuses_ids(void **state)
{
	json_t *anon = base(), *ids = json_object(), *v1, *v2, *v3, *map1, *bundles[2];
	struct stix_bulletin_in in = input(anon, ids);
	const json_t *o;
	size_t i;

	(void)state;
	v1 = build(&in);
	map1 = json_deep_copy(ids);
	/* keys: victim, 2 indicators, 2 techniques, 4 + 3 + 4 relationships */
	assert_int_equal(json_object_size(ids), 1 + 2 + 2 + 11);
	json_object_set_new(anon, "phase", json_string("final"));
	json_object_set_new(anon, "summary", json_string("Root cause found: phishing mail."));
	json_array_append_new(json_object_get(anon, "indicators"),
	                      load("{\"type\": \"domain\", \"value\": \"c2.evil.example\"}"));
	in.modified = "2026-11-26T18:30:00.25+09:00"; /* = MODIFIED_2 */
	v2 = build(&in);
	assert_ids_kept(map1, ids);
	assert_int_equal(json_object_size(ids), json_object_size(map1) + 1 + 1 + 2);
	assert_string_not_equal(str(v1, "id"), str(v2, "id"));
	json_array_foreach(json_object_get(v1, "objects"), i, o)
	{
		const json_t *same = NULL, *p;
		size_t j;

		json_array_foreach(json_object_get(v2, "objects"), j,
		                   p) if (strcmp(str(p, "id"), str(o, "id")) == 0) same = p;
		if (same == NULL)
			fail_msg("%s is missing from the follow-up", str(o, "id"));
		assert_string_equal(str(same, "created"), str(o, "created"));
	}
	assert_string_equal(str(find(v2, "incident", NULL), "modified"), MODIFIED_2);
	assert_true(strcmp(str(find(v2, "incident", NULL), "modified"),
	                   str(find(v1, "incident", NULL), "modified")) > 0);
	assert_string_equal(str(find(v2, "incident", NULL), "description"),
	                    "Root cause found: phishing mail.");
	check_bundle(v1, "AMBER", MODIFIED);
	check_bundle(v2, "AMBER", MODIFIED_2);
	/* the same version again is the same objects, in the same order */
	v3 = build(&in);
	assert_true(json_equal(json_object_get(v2, "objects"), json_object_get(v3, "objects")));
	bundles[0] = v1;
	bundles[1] = v2;
	assert_int_equal(run_validator(bundles, 2), 0);
	json_decref(v1);
	json_decref(v2);
	json_decref(v3);
	json_decref(map1);
	json_decref(ids);
	json_decref(anon);
}

static void test_private_members_never_published(void **state)
{
	json_t *anon = base(), *bundle;
	char *text;

	(void)state;
	/* members stix does not know are ignored too, at any depth */
	json_object_set_new(anon, "organization", json_string(SECRET_ORG));
	json_object_set_new(json_object_get(anon, "impact"), "services",
	                    load("[\"" SECRET_HOST "\"]"));
	json_object_set_new(json_array_get(json_object_get(anon, "indicators"), 0), "note",
	                    json_string(SECRET_IP));
	bundle = build_anon(anon);
	check_bundle(bundle, "AMBER", MODIFIED); /* asserts the secrets are absent */
	text = json_dumps(bundle, 0);
	assert_null(strstr(text, "\"organization\":"));
	assert_null(strstr(text, "\"services\":"));
	free(text);
	json_decref(bundle);
	json_decref(anon);
}

/* stix_bundle(in) must fail with code and leave ids and *bundle alone. */
static void assert_refused(struct stix_bulletin_in *in, enum err_code code)
{
	json_t *before = json_deep_copy(in->id_map), *bundle = (json_t *)1;

	assert_int_equal(stix_bundle(in, &bundle), code);
	assert_null(bundle);
	assert_true(json_equal(before, in->id_map));
	json_decref(before);
}

static void test_refuses_what_it_cannot_represent(void **state)
{
	json_t *anon = base(), *ids = json_object(), *bad;
	struct stix_bulletin_in in = input(anon, ids);
	struct jspec_error err;

	(void)state;
	in.err = &err;
	json_object_set_new(anon, "tlp", json_string("WHITE"));
	assert_refused(&in, ERR_VALIDATION);
	assert_string_equal(err.pointer, "/tlp");
	assert_int_equal(err.code, ERR_NOT_IN_VOCABULARY);
	json_object_set_new(anon, "tlp", json_string("RED"));
	/* a victim indicator must never reach a bulletin */
	json_array_append_new(
	        json_object_get(anon, "indicators"),
	        load("{\"type\": \"ipv4\", \"value\": \"192.0.2.7\", \"role\": \"victim\"}"));
	assert_refused(&in, ERR_VALIDATION);
	assert_string_equal(err.pointer, "/indicators/2/role");
	json_array_remove(json_object_get(anon, "indicators"), 2);
	json_array_append_new(json_object_get(anon, "attack_techniques"), json_string("T15"));
	assert_refused(&in, ERR_VALIDATION);
	json_array_remove(json_object_get(anon, "attack_techniques"), 2);
	json_object_set_new(anon, "sector", json_string("railway"));
	assert_refused(&in, ERR_VALIDATION);
	json_object_set_new(anon, "sector", json_string("railways"));
	json_object_set_new(json_object_get(anon, "impact"), "class", json_string("huge"));
	assert_refused(&in, ERR_VALIDATION);
	assert_string_equal(err.pointer, "/impact/class");
	json_object_set_new(json_object_get(anon, "impact"), "class", json_string("none"));
	json_object_del(anon, "title");
	assert_refused(&in, ERR_VALIDATION);
	json_object_set_new(anon, "title", json_string("t"));
	/* a good input now builds, which the later refusals are measured against */
	json_decref(build(&in));
	json_object_clear(ids);
	in.modified = "2026-11-24T00:00:00.000Z"; /* before created */
	assert_refused(&in, ERR_VALIDATION);
	assert_int_equal(err.code, ERR_OK); /* not a member of anon: err is reset */
	in.modified = "yesterday";
	assert_refused(&in, ERR_VALIDATION);
	in.modified = MODIFIED;
	in.incident_id = "incident--not-a-uuid";
	assert_refused(&in, ERR_VALIDATION);
	in.incident_id = "report--0b6f3a52-7d0c-4e59-a1f2-c8e4d9b1a7e3";
	assert_refused(&in, ERR_VALIDATION);
	in.incident_id = INCIDENT_ID;
	in.anon = NULL;
	assert_refused(&in, ERR_VALIDATION);
	bad = load("[1]");
	in.anon = bad;
	assert_refused(&in, ERR_VALIDATION);
	in.anon = anon;
	/* an id_map entry of the wrong type is never published */
	json_object_set_new(ids, "identity|victim",
	                    json_string("indicator--0b6f3a52-7d0c-4e59-a1f2-c8e4d9b1a7e3"));
	assert_refused(&in, ERR_VALIDATION);
	json_decref(bad);
	json_decref(ids);
	json_decref(anon);
}

static void test_indicates_pairs_bounded(void **state)
{
	json_t *anon = base(), *list = json_array(), *techs = json_array(), *bundle;
	char value[32];

	(void)state;
	for (int i = 0; i < 40; i++) {
		snprintf(value, sizeof value, "198.51.100.%d", i);
		json_array_append_new(list,
		                      json_pack("{s:s, s:s}", "type", "ipv4", "value", value));
	}
	for (int t = 0; t < 26; t++) {
		snprintf(value, sizeof value, "T10%02d", t);
		json_array_append_new(techs, json_string(value));
	}
	json_object_set_new(anon, "indicators", list);
	json_object_set_new(anon, "attack_techniques", techs);
	bundle = build_anon(anon); /* 40 x 26 = 1040 pairs: indicates is left out */
	assert_int_equal(count_rel(bundle, "indicates"), 0);
	assert_int_equal(count_rel(bundle, "related-to"), 66);
	json_decref(bundle);
	json_array_remove(json_object_get(anon, "attack_techniques"), 0);
	bundle = build_anon(anon); /* 40 x 25 = 1000: kept */
	assert_int_equal(count_rel(bundle, "indicates"), 1000);
	json_decref(bundle);
	json_decref(anon);
}

/* The validator must be able to say no, or its yes means nothing. */
static void test_validator_refuses_broken_bundles(void **state)
{
	json_t *anon = base(), *broken[3];
	json_t *o;

	(void)state;
	for (size_t i = 0; i < 3; i++)
		broken[i] = build_anon(anon);
	/* "severity" is reserved by the STIX core schema */
	json_object_set_new((json_t *)find(broken[0], "incident", NULL), "severity",
	                    json_string("high"));
	/* an indicator without its pattern */
	json_object_del((json_t *)find(broken[1], "indicator", NULL), "pattern");
	/* created without milliseconds */
	o = (json_t *)find(broken[2], "attack-pattern", NULL);
	json_object_set_new(o, "created", json_string("2026-11-25T07:00:00Z"));
	for (size_t i = 0; i < 3; i++) {
		assert_int_not_equal(run_validator_said(&broken[i], 1, false), 0);
		json_decref(broken[i]);
	}
	json_decref(anon);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_tlp_marking_ids),
	        cmocka_unit_test(test_tlp_marking_objects),
	        cmocka_unit_test(test_patterns),
	        cmocka_unit_test(test_pattern_bounds),
	        cmocka_unit_test(test_every_tlp_validates),
	        cmocka_unit_test(test_object_order_and_counts),
	        cmocka_unit_test(test_isac_identity),
	        cmocka_unit_test(test_incident_properties),
	        cmocka_unit_test(test_incident_vocabulary_mapping),
	        cmocka_unit_test(test_every_indicator_type),
	        cmocka_unit_test(test_no_indicators_no_techniques),
	        cmocka_unit_test(test_victim_class),
	        cmocka_unit_test(test_every_sector_and_region_named),
	        cmocka_unit_test(test_attack_patterns),
	        cmocka_unit_test(test_correlation_counts),
	        cmocka_unit_test(test_follow_up_reuses_ids),
	        cmocka_unit_test(test_private_members_never_published),
	        cmocka_unit_test(test_refuses_what_it_cannot_represent),
	        cmocka_unit_test(test_indicates_pairs_bounded),
	        cmocka_unit_test(test_validator_refuses_broken_bundles),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
