/*
 * anonymize — turn a validated incident report into the publishable part
 * of a bulletin, so that no reader can tell which operator reported.
 *
 * Pure: no HTTP, no database, no clock, no global state; safe to call from
 * any thread. The caller (the worker) supplies the reporting organization
 * and the population counts; this module decides what survives.
 *
 * It drops the organization's name, id, key ids, contacts, redaction terms,
 * own domains and address ranges, every e-mail address and phone number,
 * and private addresses from free text and indicators; it generalizes the
 * sector, region and times until at least k operators share them.
 *
 * Must never: let an identifying string into the published part of its
 * output; guess when unsure (when in doubt, redact or drop); quote a
 * report's values in a log.
 */
#ifndef ISACD_ANONYMIZE_H
#define ISACD_ANONYMIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "problem.h"

#define ANONYMIZE_K_DEFAULT 5 /* used when anonymize_population.k is 0 */

/* The reporting organization. Everything is borrowed for the call only. */
struct anonymize_org {
	const char *org_id;         /* required, non-empty */
	const char *name;           /* required, non-empty, e.g. "Kanto Power Co., Ltd." */
	const char *const *key_ids; /* the org's signing key ids */
	size_t n_key_ids;
	const char *const *domains; /* registered domains, e.g. "kanto-power.example" */
	size_t n_domains;           /* (their subdomains are covered too) */
	const char *const *ranges;  /* CIDR "198.51.100.0/24", "2001:db8:10::/48"; */
	size_t n_ranges;            /* a bare address is a /32 or /128 */
	const char *const *terms;   /* the org's own redaction list */
	size_t n_terms;
};

/* Registered operators, for k-anonymity. Counts include the reporter. */
struct anonymize_population {
	unsigned k;                  /* 0 = ANONYMIZE_K_DEFAULT */
	unsigned same_sector_region; /* with the reporter's sector AND region */
	unsigned same_sector;        /* with the reporter's sector */
	unsigned total;              /* all operators */
};

/*
 * True when `org` can be used: name and org_id non-empty, every array
 * element non-NULL (n_* > 0 needs the array), every domain and range
 * non-empty, and every range a parseable IPv4/IPv6 address with an
 * optional /prefix. anonymize_report() checks this itself; call it before
 * using anonymize_text() alone, which would ignore a range it cannot
 * parse.
 */
bool anonymize_org_valid(const struct anonymize_org *org);

/*
 * Anonymize one report that passed report_schema_validate(). `region` is
 * the org's registered region (a report_regions value) or NULL. On ERR_OK
 * *out is a new object the caller owns:
 *
 *   title, summary           scrubbed with anonymize_text()
 *   incident_type, severity, phase, tlp, attack_techniques   as reported
 *   sector                   as reported when same_sector >= k, else
 *                            "critical_infrastructure" when total >= k,
 *                            else null
 *   region                   `region` when same_sector_region >= k, else null
 *   time_precision           "hour" when same_sector >= k, else "day"
 *   detected_at, occurred_at rounded down to it, in UTC, as
 *                            "2026-11-25T06:00:00Z" (occurred_at only if sent)
 *   impact                   {class, description? (scrubbed)}; services and
 *                            outage_minutes are dropped
 *   indicators               [{type, value}]: attacker-side, publishable,
 *                            deduplicated, in report order
 *   redactions               [{field, original, reason}]  COORDINATOR-ONLY
 *   dropped_indicators       [{type, value, role, reason}] COORDINATOR-ONLY
 *
 * The last two quote exactly what was removed: whoever publishes must
 * strip them. Indicators are judged as anonymize_text() reads text
 * (percent-decoded, refanged: "198.51.100[.]7" is in 198.51.100.0/24) and
 * published as sent. Indicator drop reasons: "victim", "own-range", "private",
 * "own-domain", "identifying-term", "unparseable", "unknown-type".
 * Returns ERR_INTERNAL, with *out untouched, for an invalid org, an
 * inconsistent population (needs same_sector_region <= same_sector <=
 * total and same_sector >= 1), a region that is not a snake_case word,
 * a report that does not follow the schema, or allocation failure.
 */
enum err_code anonymize_report(const json_t *report, const char *region,
                               const struct anonymize_org *org,
                               const struct anonymize_population *pop, json_t **out);

/*
 * Scrub one free-text value (any length; invalid UTF-8 becomes U+FFFD).
 * Each identifying span becomes "[redacted]"; overlapping or touching
 * spans become one. `contacts` is the report's contacts array (may be
 * NULL). For every span, when `redactions` (a JSON array) is non-NULL,
 * appends {"field": field, "original": span, "reason": why}, reasons
 * being "org-name", "org-id", "key-id", "term", "contact", "own-domain",
 * "own-range", "private", "email", "phone" (for merged spans, the reason
 * of the detector that claimed the first byte, in that order).
 * Matching folds ASCII case and reads full-width Latin ("ＫＰＧＲＩＤ") as
 * ASCII; other UTF-8 (Japanese terms) matches bytewise, with any white
 * space (or none) allowed between two characters of which one is CJK or
 * kana ("山田太郎" finds "山田　太郎"). The text is also read as a reader
 * decodes it: percent escapes and '+' in a query decoded (a URL whose
 * decoded form identifies is redacted whole), and defanged forms refanged
 * ("10.0.0[.]1", "host(dot)example", "hxxps[:]//", "a[@]b").
 * Returns malloc'd NUL-terminated text the caller frees, or NULL for a
 * NULL text, an org anonymize_org_valid() refuses, or allocation failure
 * (redactions may then hold part of the entries).
 */
char *anonymize_text(const char *text, const struct anonymize_org *org, const json_t *contacts,
                     const char *field, json_t *redactions);

#endif
