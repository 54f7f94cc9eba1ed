/*
 * stix — a STIX 2.1 bundle from one anonymized incident report.
 *
 * Turns the anonymizer's output into the bulletin every feed serves: the
 * ISAC's identity, the TLP 2.0 marking definition, an incident, a victim
 * *class* identity, indicators, ATT&CK attack patterns and the
 * relationships between them. Ids are stable across versions of a bulletin
 * through a caller-kept map, so a follow-up is a new version of the same
 * objects, never a second copy.
 *
 * Pure: no HTTP, no database, no clock. Must never copy anything from its
 * input that it was not told to publish (the anonymizer's "redactions" and
 * "dropped_indicators" are never read).
 */
#ifndef ISACD_STIX_H
#define ISACD_STIX_H

#include <stddef.h>
#include <jansson.h>
#include "jspec.h"
#include "problem.h"

/* TLP 2.0 marking definitions (OASIS cti-stix-common-objects, tlp-2.0). */
#define STIX_TLP2_EXTENSION_ID "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#define STIX_TLP2_CREATED      "2022-10-01T00:00:00.000Z"
/* Incident Core Extension 2.0 (draft, 10 October 2023). */
#define STIX_INCIDENT_CORE_EXTENSION_ID "extension-definition--ef765651-680c-498d-9894-99799f2fa126"

/* Longest STIX timestamp we write: "2026-11-25T07:00:00.000Z". */
#define STIX_TIMESTAMP_LEN 24
/* Bytes stix_pattern() may need for the longest indicator value we accept
 * (2048 bytes, every one escaped), the object path and the brackets. */
#define STIX_PATTERN_MAX 4200

struct stix_bulletin_in {
	/* The anonymizer's output. Only the members listed in server/stix.c's
	 * spec are read; everything else is ignored and never copied. */
	const json_t *anon;
	const char *isac_identity_id; /* "identity--<uuid>", stable for this server */
	const char *isac_name;        /* "Demo ISAC" */
	/* When the ISAC identity was first published (STIX timestamp); its
	 * created and modified. May be NULL: `created` is used instead, which
	 * gives the one identity different timestamps in different bulletins. */
	const char *isac_identity_created;
	const char *incident_id; /* "incident--<uuid>", stable across versions of one bulletin */
	/* First version of this bulletin, RFC 3339 (rewritten to UTC with
	 * milliseconds): created of every object but the ISAC identity. */
	const char *created;
	const char *modified; /* this version; not before `created` */
	/* In/out object: stable STIX id per logical object across versions.
	 * Keys: "identity|victim", "indicator|<type>|<value>",
	 * "attack-pattern|<Txxxx[.xxx]>", "relationship|<src-key>|<type>|<dst-key>"
	 * where the incident's key is "incident". Missing keys are minted with
	 * uuid_v4 and added; nothing is added when the call fails. */
	json_t *id_map;
	/* May be NULL: {"<type>|<value>": {"operators": n, "sectors": m}},
	 * already filtered by k; "sectors" is optional. */
	const json_t *correlations;
	/* Optional out, for the operator's log: reset to code ERR_OK, then
	 * set to the first member refused in anon, or in a correlations entry
	 * (pointer relative to that entry). May be NULL. */
	struct jspec_error *err;
};

/*
 * Build the bulletin's bundle: a fresh "bundle--<uuid>" holding, in this
 * order, the ISAC identity, the TLP marking definition, the incident, the
 * victim identity, one indicator per distinct indicator (input order), one
 * attack-pattern per distinct technique (input order), then relationships
 * (incident related-to each indicator and attack pattern, incident targets
 * victim, each attack pattern targets victim, each indicator indicates each
 * attack pattern when there are at most 1000 such pairs). Every object but
 * the marking definition has created_by_ref = the ISAC and
 * object_marking_refs = [the TLP marking]. Returns ERR_OK with *bundle a
 * new reference the caller owns; ERR_VALIDATION when an input cannot be
 * represented (unknown TLP, sector, type, malformed id, timestamp or
 * id_map entry, modified before created; in->err says which member of anon
 * when that was the cause); ERR_INTERNAL on allocation failure. On failure
 * *bundle is NULL and id_map is unchanged.
 */
enum err_code stix_bundle(const struct stix_bulletin_in *in, json_t **bundle);

/*
 * The STIX pattern for one indicator, NUL-terminated into out[0..out_len):
 * ipv4 [ipv4-addr:value = '…'], ipv6 [ipv6-addr:value = '…'],
 * domain [domain-name:value = '…'], url [url:value = '…'],
 * email [email-addr:value = '…'], sha256 [file:hashes.'SHA-256' = '…'],
 * sha1 [file:hashes.'SHA-1' = '…'], md5 [file:hashes.MD5 = '…'],
 * filename [file:name = '…']. The value is copied as is (UTF-8 untouched)
 * with ' and \ escaped by a backslash, as STIX patterning requires.
 * Returns 0, or -1 for an unknown type or when the pattern does not fit
 * (out is then the empty string when out_len > 0).
 */
int stix_pattern(const char *type, const char *value, char *out, size_t out_len);

/*
 * The official TLP 2.0 marking-definition id for "CLEAR", "GREEN",
 * "AMBER", "AMBER+STRICT" or "RED" (exact spelling), or NULL. Static.
 */
const char *stix_tlp_marking_id(const char *tlp);

/*
 * The TLP 2.0 marking-definition object for a level, exactly as OASIS
 * publishes it (no created_by_ref, no markings of its own). Returns a new
 * reference, or NULL for an unknown level or on allocation failure.
 */
json_t *stix_tlp_marking(const char *tlp);

#endif
