/*
 * uuid — random (version 4) identifiers in their canonical text form.
 *
 * Every id isacd mints is a fresh UUIDv4 from libsodium's CSPRNG: ids carry
 * no time, order or origin, which the anonymizer relies on.
 */
#ifndef ISACD_UUID_H
#define ISACD_UUID_H

#include <stdbool.h>
#include <stdint.h>

#define UUID_STR_LEN 36

/* Fill out with a new random UUIDv4, lower-case, NUL-terminated. */
void uuid_v4(char out[UUID_STR_LEN + 1]);

/*
 * Parse a canonical 8-4-4-4-12 hex UUID (either case) into 16 bytes.
 * bytes may be NULL to only check. Returns true when well-formed.
 */
bool uuid_parse(const char *s, uint8_t bytes[16]);

#endif
