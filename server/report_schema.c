/*
 * report_schema — what an operator may submit as an incident report.
 *
 * The shape of a report is data: the jspec tables below, checked by
 * jspec_check(). What a table cannot say lives in report_schema_validate():
 * occurred_at must not follow detected_at, and an indicator's value must be
 * well-formed for its declared type, so that feeds and STIX export never
 * carry "999.1.1.1" as an IPv4 address or a URL without a scheme.
 *
 * Indicator checks are deliberately syntactic and local: no DNS, no IDNA
 * conversion (a domain must arrive in A-label "xn--" form), no URL
 * normalisation. They accept what a careful analyst would paste and refuse
 * what would break a consumer's parser.
 *
 * The vocabularies are exported and are the single spelling of sectors,
 * regions, TLP levels and the rest for every other module. Adding a value
 * is an API change (see api.md); renaming or removing one breaks clients.
 *
 * Must never: touch HTTP or the database, allocate, or quote a client's
 * value back in an error detail.
 */
#include "report_schema.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define REPORT_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Japan's critical-infrastructure sectors as NISC lists them. */
const char *const report_sectors[] = {
        "information_communication",
        "finance",
        "aviation",
        "airports",
        "railways",
        "electric_power",
        "gas",
        "government",
        "medical",
        "water",
        "logistics",
        "chemicals",
        "credit_cards",
        "petroleum",
        "ports",
        NULL,
};

/* STIX 2.1 industry-sector-ov, index for index with report_sectors. */
static const char *const report_sectors_stix[] = {
        "telecommunications",
        "financial-services",
        "transportation",
        "transportation",
        "transportation",
        "energy",
        "energy",
        "government-public-services",
        "healthcare",
        "infrastructure-water",
        "transportation",
        "chemical",
        "financial-services",
        "energy",
        "transportation",
        NULL,
};

_Static_assert(REPORT_COUNT(report_sectors) == REPORT_COUNT(report_sectors_stix),
               "every sector needs its STIX industry sector");

const char *const report_regions[] = {
        "hokkaido", "tohoku",  "kanto",          "chubu", "kinki",
        "chugoku",  "shikoku", "kyushu_okinawa", NULL,
};

const char *const report_incident_types[] = {
        "ransomware",
        "malware",
        "phishing",
        "ddos",
        "unauthorized_access",
        "data_breach",
        "supply_chain",
        "insider_threat",
        "vulnerability_exploitation",
        "defacement",
        "service_outage",
        "other",
        NULL,
};

const char *const report_severities[] = {"low", "medium", "high", "critical", NULL};

const char *const report_phases[] = {"early_warning", "notification", "final", NULL};

const char *const report_tlp_levels[] = {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED", NULL};

const char *const report_impact_classes[] = {
        "none", "minor", "moderate", "significant", "severe", NULL,
};

const char *const report_indicator_types[] = {
        "ipv4", "ipv6", "domain", "url", "email", "sha256", "sha1", "md5", "filename", NULL,
};

const char *const report_indicator_roles[] = {"attacker", "victim", NULL};

bool report_attack_technique_valid(const char *s, size_t n)
{
	if ((n != 5 && n != 9) || s[0] != 'T' || (n == 9 && s[5] != '.'))
		return false;
	for (size_t i = 1; i < n; i++) {
		if (i != 5 && (s[i] < '0' || s[i] > '9'))
			return false;
	}
	return true;
}

static const struct jspec_field report_service_item = {.kind = JSPEC_STRING, .min = 1, .max = 200};

static const struct jspec_field report_impact_fields[] = {
        {.name = "class", .kind = JSPEC_ENUM, .required = true, .vocab = report_impact_classes},
        {.name = "description", .kind = JSPEC_STRING, .min = 1, .max = 4000},
        {.name = "services", .kind = JSPEC_ARRAY, .max = 20, .item = &report_service_item},
        {.name = "outage_minutes", .kind = JSPEC_INTEGER, .min_int = 0, .max_int = 10000000},
        {.name = NULL},
};

static const struct jspec_field report_indicator_fields[] = {
        {.name = "type", .kind = JSPEC_ENUM, .required = true, .vocab = report_indicator_types},
        {.name = "value", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 2048},
        {.name = "role", .kind = JSPEC_ENUM, .required = true, .vocab = report_indicator_roles},
        {.name = "description", .kind = JSPEC_STRING, .min = 1, .max = 1000},
        {.name = NULL},
};

static const struct jspec_field report_indicator_item = {.kind = JSPEC_OBJECT,
                                                         .fields = report_indicator_fields};

static const struct jspec_field report_technique_item = {
        .kind = JSPEC_STRING,
        .min = 5,
        .max = 9,
        .check = report_attack_technique_valid,
        .check_what = "an ATT&CK technique id like T1566 or T1566.001",
};

static const struct jspec_field report_contact_fields[] = {
        {.name = "name", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 200},
        {.name = "email", .kind = JSPEC_STRING, .min = 3, .max = 254},
        {.name = "phone", .kind = JSPEC_STRING, .min = 3, .max = 40},
        {.name = "role", .kind = JSPEC_STRING, .min = 1, .max = 100},
        {.name = NULL},
};

static const struct jspec_field report_contact_item = {.kind = JSPEC_OBJECT,
                                                       .fields = report_contact_fields};

const struct jspec_field report_spec[] = {
        {.name = "title", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 200},
        {.name = "summary", .kind = JSPEC_STRING, .required = true, .min = 1, .max = 20000},
        {.name = "incident_type",
         .kind = JSPEC_ENUM,
         .required = true,
         .vocab = report_incident_types},
        {.name = "severity", .kind = JSPEC_ENUM, .required = true, .vocab = report_severities},
        {.name = "sector", .kind = JSPEC_ENUM, .required = true, .vocab = report_sectors},
        {.name = "detected_at", .kind = JSPEC_TIMESTAMP, .required = true},
        {.name = "occurred_at", .kind = JSPEC_TIMESTAMP},
        {.name = "phase", .kind = JSPEC_ENUM, .required = true, .vocab = report_phases},
        {.name = "incident_id", .kind = JSPEC_UUID},
        {.name = "tlp", .kind = JSPEC_ENUM, .required = true, .vocab = report_tlp_levels},
        {.name = "impact", .kind = JSPEC_OBJECT, .required = true, .fields = report_impact_fields},
        {.name = "indicators", .kind = JSPEC_ARRAY, .max = 1000, .item = &report_indicator_item},
        {.name = "attack_techniques",
         .kind = JSPEC_ARRAY,
         .max = 100,
         .item = &report_technique_item},
        {.name = "contacts", .kind = JSPEC_ARRAY, .max = 10, .item = &report_contact_item},
        {.name = NULL},
};

/*
 * Next code point of the UTF-8 text s[0..n) at *i, advancing *i. Returns
 * false on a malformed or truncated sequence (jansson hands us valid UTF-8,
 * so this is defence, not the main path).
 */
static bool report_next_code_point(const char *s, size_t n, size_t *i, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s + *i;
	size_t len;
	uint32_t v;

	if (p[0] < 0x80)
		len = 1;
	else if ((p[0] & 0xe0) == 0xc0)
		len = 2;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4;
	else
		return false;
	if (len > n - *i)
		return false;
	v = (len == 1) ? p[0] : (p[0] & (0x7fu >> len)); /* the lead byte's payload bits */
	for (size_t k = 1; k < len; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return false;
		v = (v << 6) | (p[k] & 0x3fu);
	}
	*i += len;
	*cp = v;
	return true;
}

static bool report_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Unicode White_Space, plus the invisible U+200B and U+FEFF. */
static bool report_is_space(uint32_t cp)
{
	return cp == ' ' || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200b) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000 ||
	       cp == 0xfeff;
}

/* True when s[0..n) holds a control character (or whitespace, if asked). */
static bool report_has_bad_char(const char *s, size_t n, bool refuse_space)
{
	size_t i = 0;
	uint32_t cp;

	while (i < n) {
		if (!report_next_code_point(s, n, &i, &cp) || report_is_control(cp) ||
		    (refuse_space && report_is_space(cp)))
			return true;
	}
	return false;
}

/* "0".."max" in decimal, no sign, no leading zero. */
static bool report_prefix_valid(const char *s, size_t n, unsigned max)
{
	unsigned v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= max;
}

/* An address literal of family `af`, optionally "/prefix"; NULL when good. */
static const char *report_ip_problem(const char *s, size_t n, int af)
{
	const char *bad = (af == AF_INET) ? "not a valid IPv4 address or CIDR block"
	                                  : "not a valid IPv6 address or CIDR block";
	const char *slash = memchr(s, '/', n);
	size_t addr_len = (slash != NULL) ? (size_t)(slash - s) : n;
	unsigned char bin[sizeof(struct in6_addr)];
	char addr[INET6_ADDRSTRLEN];

	if (addr_len == 0 || addr_len >= sizeof(addr))
		return bad;
	memcpy(addr, s, addr_len);
	addr[addr_len] = '\0';
	if (inet_pton(af, addr, bin) != 1)
		return bad;
	if (slash != NULL &&
	    !report_prefix_valid(slash + 1, n - addr_len - 1, (af == AF_INET) ? 32 : 128))
		return bad;
	return NULL;
}

static const char *report_ipv4_problem(const char *s, size_t n)
{
	return report_ip_problem(s, n, AF_INET);
}

static const char *report_ipv6_problem(const char *s, size_t n)
{
	return report_ip_problem(s, n, AF_INET6);
}

/* One LDH label: 1..63 of [A-Za-z0-9-], no hyphen at either end. */
static bool report_label_valid(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
	}
	return true;
}

/*
 * A host name of at least two LDH labels, at most 253 bytes, the last not
 * all digits (that would be an IPv4 address typed as a domain). One
 * trailing dot (the root) is accepted when `root_dot_ok`. NULL when good.
 */
static const char report_domain_not_ascii[] =
        "not an ASCII domain name: use the A-label (xn--) form";

static const char *report_domain_problem(const char *s, size_t n, bool root_dot_ok)
{
	const char *bad = "not a valid domain name";
	size_t labels = 0, start = 0, last_start = 0;

	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] >= 0x80)
			return report_domain_not_ascii;
	}
	if (root_dot_ok && n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return bad;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!report_label_valid(s + start, i - start))
			return bad;
		labels++;
		last_start = start;
		start = i + 1;
	}
	if (labels < 2 || strspn(s + last_start, "0123456789") == n - last_start)
		return bad;
	return NULL;
}

static const char *report_fqdn_problem(const char *s, size_t n)
{
	return report_domain_problem(s, n, true);
}

/* scheme "://" rest: scheme [a-z][a-z0-9+.-]*, rest non-empty, no spaces or controls. */
static const char *report_url_problem(const char *s, size_t n)
{
	const char *bad = "not a valid URL (scheme://..., no spaces or control characters)";
	size_t i = 0;

	if (n == 0 || s[0] < 'a' || s[0] > 'z')
		return bad;
	while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
	                 s[i] == '+' || s[i] == '.' || s[i] == '-'))
		i++;
	if (n - i < 4 || memcmp(s + i, "://", 3) != 0 || report_has_bad_char(s, n, true))
		return bad;
	return NULL;
}

/* local@domain: one '@', local 1..64 bytes without spaces, domain a host name. */
static const char *report_email_problem(const char *s, size_t n)
{
	const char *bad = "not a valid e-mail address";
	const char *at = memchr(s, '@', n);
	size_t local_len = (at != NULL) ? (size_t)(at - s) : 0;
	const char *domain_problem;

	if (at == NULL || n > 254 || local_len == 0 || local_len > 64 ||
	    memchr(at + 1, '@', n - local_len - 1) != NULL ||
	    report_has_bad_char(s, local_len, true))
		return bad;
	domain_problem = report_domain_problem(at + 1, n - local_len - 1, false);
	if (domain_problem == report_domain_not_ascii)
		return domain_problem;
	return (domain_problem != NULL) ? bad : NULL;
}

static bool report_hex_valid(const char *s, size_t n, size_t want)
{
	if (n != want)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

static const char *report_sha256_problem(const char *s, size_t n)
{
	return report_hex_valid(s, n, 64) ? NULL : "not a SHA-256 digest (64 hex digits)";
}

static const char *report_sha1_problem(const char *s, size_t n)
{
	return report_hex_valid(s, n, 40) ? NULL : "not a SHA-1 digest (40 hex digits)";
}

static const char *report_md5_problem(const char *s, size_t n)
{
	return report_hex_valid(s, n, 32) ? NULL : "not an MD5 digest (32 hex digits)";
}

/* A file's name, not a path: no '/', no NUL or control character, not "." or "..". */
static const char *report_filename_problem(const char *s, size_t n)
{
	if (memchr(s, '/', n) != NULL || memchr(s, '\0', n) != NULL ||
	    report_has_bad_char(s, n, false) || (n == 1 && s[0] == '.') ||
	    (n == 2 && s[0] == '.' && s[1] == '.'))
		return "not a file name (no '/', no control characters)";
	return NULL;
}

/* The value check for each indicator type, in report_indicator_types order. */
static const char *(*const report_indicator_problem[])(const char *, size_t) = {
        report_ipv4_problem, report_ipv6_problem,  report_fqdn_problem,
        report_url_problem,  report_email_problem, report_sha256_problem,
        report_sha1_problem, report_md5_problem,   report_filename_problem,
};

_Static_assert(REPORT_COUNT(report_indicator_types) == REPORT_COUNT(report_indicator_problem) + 1,
               "every indicator type needs its value check");

static bool report_fail(struct jspec_error *err, enum err_code code, const char *pointer,
                        const char *detail)
{
	err->code = code;
	snprintf(err->pointer, sizeof(err->pointer), "%s", pointer);
	snprintf(err->detail, sizeof(err->detail), "%s", detail);
	return false;
}

/* occurred_at, when present, not after detected_at. Both already well-formed. */
static bool report_times_valid(const json_t *doc, struct jspec_error *err)
{
	const char *occurred = json_string_value(json_object_get(doc, "occurred_at"));
	const char *detected = json_string_value(json_object_get(doc, "detected_at"));
	long long occurred_us, detected_us;

	if (occurred == NULL)
		return true;
	if (!jspec_parse_timestamp(occurred, &occurred_us) ||
	    !jspec_parse_timestamp(detected, &detected_us))
		return report_fail(err, ERR_INTERNAL, "", "timestamps changed after jspec_check");
	if (occurred_us > detected_us)
		return report_fail(err, ERR_VALIDATION, "/occurred_at",
		                   "must not be after detected_at");
	return true;
}

/* Every indicator's value well-formed for its type. Types already in vocabulary. */
static bool report_indicators_valid(const json_t *doc, struct jspec_error *err)
{
	const json_t *indicators = json_object_get(doc, "indicators");
	char pointer[sizeof(err->pointer)];
	const char *problem;
	size_t index;
	json_t *item;
	int type;

	json_array_foreach(indicators, index, item)
	{
		const json_t *value = json_object_get(item, "value");

		type = report_vocab_index(report_indicator_types,
		                          json_string_value(json_object_get(item, "type")));
		if (type < 0 || !json_is_string(value))
			return report_fail(err, ERR_INTERNAL, "",
			                   "indicator changed after jspec_check");
		problem = report_indicator_problem[type](json_string_value(value),
		                                         json_string_length(value));
		if (problem != NULL) {
			snprintf(pointer, sizeof(pointer), "/indicators/%zu/value", index);
			return report_fail(err, ERR_VALIDATION, pointer, problem);
		}
	}
	return true;
}

bool report_schema_validate(const json_t *doc, struct jspec_error *err)
{
	struct jspec_error scratch = {.code = ERR_OK};

	if (err == NULL)
		err = &scratch;
	return jspec_check(doc, report_spec, err) && report_times_valid(doc, err) &&
	       report_indicators_valid(doc, err);
}

const char *report_sector_stix(const char *sector)
{
	int i = report_vocab_index(report_sectors, sector);

	return (i < 0) ? NULL : report_sectors_stix[i];
}

int report_vocab_index(const char *const *vocab, const char *s)
{
	if (vocab == NULL || s == NULL)
		return -1;
	for (int i = 0; vocab[i] != NULL; i++) {
		if (strcmp(vocab[i], s) == 0)
			return i;
	}
	return -1;
}

const char *report_indicator_value_problem(const char *type, const char *value)
{
	int i = report_vocab_index(report_indicator_types, type);

	if (i < 0 || value == NULL)
		return "not a known indicator type";
	return report_indicator_problem[i](value, strlen(value));
}
