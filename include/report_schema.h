/*
 * report_schema — the incident report's JSON schema and vocabularies.
 *
 * The one description of what an operator may submit (see api.md, "Report
 * body"). Vocabularies are exported so other modules (anonymize, stix,
 * feeds) name sectors, types and TLP levels exactly as ingest does.
 *
 * Pure: no HTTP, no database.
 */
#ifndef ISACD_REPORT_SCHEMA_H
#define ISACD_REPORT_SCHEMA_H

#include <stdbool.h>
#include <jansson.h>
#include "jspec.h"

/* NULL-terminated vocabularies */
extern const char *const report_sectors[]; /* Japan's 15 CI sectors, snake_case */
extern const char *const report_regions[]; /* Japan's regions, snake_case */
extern const char *const report_incident_types[];
extern const char *const report_severities[]; /* low, medium, high, critical (ascending) */
extern const char *const report_phases[];     /* early_warning, notification, final */
extern const char *const report_tlp_levels[]; /* CLEAR, GREEN, AMBER, AMBER+STRICT, RED */
extern const char *const report_impact_classes[];
extern const char *const report_indicator_types[];
extern const char *const report_indicator_roles[]; /* attacker, victim */

/* The top-level report spec, terminated by {.name = NULL}. */
extern const struct jspec_field report_spec[];

/*
 * Validate a parsed report body. Beyond the declarative spec it checks
 * cross-field rules: occurred_at not after detected_at (as instants, so
 * offsets are honoured); indicator values well-formed for their type:
 * ipv4/ipv6 literals with an optional CIDR prefix, LDH domain names of two
 * or more labels (A-label form for IDNs; one trailing root dot allowed),
 * URLs as lowercase-scheme "://" rest without spaces or controls, e-mail
 * addresses (local@domain), hex digests of the right length (either case),
 * and file names without '/' or controls. The spec is checked first and
 * its error wins; then occurred_at; then indicators in order.
 * Returns true when valid; otherwise false with *err filled (pointer names
 * the field, e.g. "/indicators/3/value"; cross-field failures are
 * ERR_VALIDATION). `err` may be NULL. Values are checked, never rewritten:
 * callers store them as sent.
 */
bool report_schema_validate(const json_t *doc, struct jspec_error *err);

/*
 * The STIX 2.1 industry-sector-ov value for a sector, e.g. "electric_power"
 * -> "energy", "railways" -> "transportation". Several sectors share a
 * value, so the mapping does not invert. Returns a static string, or NULL
 * for an unknown sector or NULL.
 */
const char *report_sector_stix(const char *sector);

/* Index of s in a NULL-terminated vocabulary, or -1. */
int report_vocab_index(const char *const *vocab, const char *s);

/*
 * The indicator value check of ingest, for other callers (coordinator
 * profiles reuse "domain", "ipv4" and "ipv6"). Returns NULL when value is
 * well-formed for type, else a short sentence saying why not.
 */
const char *report_indicator_value_problem(const char *type, const char *value);

/* ^T[0-9]{4}(\.[0-9]{3})?$ — a MITRE ATT&CK technique or sub-technique id. */
bool report_attack_technique_valid(const char *s, size_t n);

#endif
