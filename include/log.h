/*
 * log — one JSON object per line on stderr.
 *
 * Callers pass key/value pairs; values are escaped by jansson. Nothing that
 * is a secret (tokens, private keys, signatures' secret inputs) may ever be
 * handed to these functions.
 */
#ifndef ISACD_LOG_H
#define ISACD_LOG_H

#include <jansson.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Set the minimum level printed; "debug", "info", "warn", "error". Returns 0, or -1 if unknown. */
int log_set_level(const char *name);

/*
 * Print {"ts":…, "level":…, "msg":msg, …fields}. `fields` may be NULL; the
 * function steals the reference. Thread-safe (one write(2) per line).
 */
void log_emit(enum log_level level, const char *msg, json_t *fields);

/* printf-style convenience for a message without structured fields. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Our own broken invariant (Taler's GNUNET_break): logs file:line at error
 * level. Use where the server, not the client, is at fault.
 */
#define LOG_BUG(what) log_bug(__FILE__, __LINE__, (what))
void log_bug(const char *file, int line, const char *what);

#endif
