/*
 * audit — the hash chain of the audit log (pure; storage is db_audit.c).
 *
 * Entry n's hash is SHA-256 over:
 *   "isacd audit v1\0" ‖ prev_hash (32) ‖ seq (8, big-endian) ‖ at_us (8, BE)
 *   ‖ for each of actor, action, subject, detail: length (4, BE) ‖ bytes
 * where prev_hash of entry 1 is 32 zero bytes. Changing, removing or
 * reordering any entry changes every later hash; `isacd audit verify`
 * recomputes the chain from the first entry.
 */
#ifndef ISACD_AUDIT_H
#define ISACD_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_FIELD_MAX (1u << 20) /* bytes per field */

struct audit_entry {
	int64_t seq;
	int64_t at_us;
	const char *actor;   /* "org:<uuid>", "key:<key id>", "cli", "system" */
	const char *action;  /* "report.received", "key.revoked", … */
	const char *subject; /* the id acted upon */
	const char *detail;  /* compact JSON text, sorted keys */
};

/*
 * Compute the entry's hash from the previous one. Returns 0, or -1 when a
 * field is NULL or longer than AUDIT_FIELD_MAX.
 */
int audit_hash(const uint8_t prev[32], const struct audit_entry *e, uint8_t out[32]);

#endif
