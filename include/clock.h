/*
 * clock — wall-clock time in microseconds and its one RFC 3339 format.
 *
 * Every timestamp isacd writes (receipts, audit, JSON) goes through
 * clock_format_us so that signed bytes have exactly one textual form.
 */
#ifndef ISACD_CLOCK_H
#define ISACD_CLOCK_H

#include <stdint.h>

#define CLOCK_RFC3339_LEN 27 /* "2026-11-25T07:30:00.123456Z" */

/* Microseconds since the epoch, CLOCK_REALTIME. */
int64_t clock_now_us(void);

/*
 * Format us as "YYYY-MM-DDTHH:MM:SS.ffffffZ" into out (at least
 * CLOCK_RFC3339_LEN + 1 bytes). Returns 0, or -1 for a time outside
 * years 1970..9999.
 */
int clock_format_us(int64_t us, char out[CLOCK_RFC3339_LEN + 1]);

#endif
