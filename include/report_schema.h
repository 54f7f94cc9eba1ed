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
extern const char *const report_sectors[];        /* Japan's 15 CI sectors, snake_case */
extern const char *const report_regions[];        /* Japan's regions, snake_case */
extern const char *const report_incident_types[];
extern const char *const report_severities[];     /* low, medium, high, critical (ascending) */
extern const char *const report_phases[];         /* early_warning, notification, final */
extern const char *const report_tlp_levels[];     /* CLEAR, GREEN, AMBER, AMBER+STRICT, RED */
extern const char *const report_impact_classes[];
extern const char *const report_indicator_types[];
extern const char *const report_indicator_roles[];/* attacker, victim */

/* The top-level report spec, terminated by {.name = NULL}. */
extern const struct jspec_field report_spec[];

/*
 * Validate a parsed report body. Beyond the declarative spec it checks
 * cross-field rules: occurred_at not after detected_at; indicator values
 * well-formed for their type (IPv4/IPv6 literals, domain names, URLs with
 * a scheme, e-mail addresses, hex digests of the right length).
 * Returns true when valid; otherwise false with *err filled (pointer names
 * the field, e.g. "/indicators/3/value").
 */
bool report_schema_validate(const json_t *doc, struct jspec_error *err);

/*
 * The STIX 2.1 industry-sector-ov value(s) for a sector, e.g.
 * "electric_power" -> "utilities"... NULL for an unknown sector.
 */
const char *report_sector_stix(const char *sector);

/* Index of s in a NULL-terminated vocabulary, or -1. */
int report_vocab_index(const char *const *vocab, const char *s);

#endif
