/*
 * log — structured logging, one JSON line per event on stderr.
 *
 * The level threshold is the only state; it is set once at start-up before
 * threads exist. Never log secrets: callers choose the fields.
 */
#include "log.h"

#include "clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level log_threshold = LOG_INFO;
static const char *const log_names[] = {"debug", "info", "warn", "error"};

int log_set_level(const char *name)
{
	for (size_t i = 0; i < sizeof log_names / sizeof log_names[0]; i++) {
		if (strcmp(name, log_names[i]) == 0) {
			log_threshold = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void log_emit(enum log_level level, const char *msg, json_t *fields)
{
	char when[CLOCK_RFC3339_LEN + 1];
	char *line = NULL;
	json_t *o;

	if (level < log_threshold) {
		json_decref(fields);
		return;
	}
	if (clock_format_us(clock_now_us(), when) != 0)
		when[0] = '\0';
	o = json_pack("{s:s, s:s, s:s}", "ts", when, "level", log_names[level], "msg", msg);
	if (o == NULL) {
		json_decref(fields);
		return;
	}
	if (json_is_object(fields))
		json_object_update(o, fields);
	json_decref(fields);
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line != NULL) {
		size_t n = strlen(line);
		line[n] = '\n'; /* overwrite the NUL: one write(2) keeps lines whole */
		if (write(STDERR_FILENO, line, n + 1) < 0) {
			/* nowhere left to report it */
		}
		free(line);
	}
	json_decref(o);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (level < log_threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	log_emit(level, buf, NULL);
}

void log_bug(const char *file, int line, const char *what)
{
	log_emit(LOG_ERROR, "internal invariant broken",
	         json_pack("{s:s, s:i, s:s}", "file", file, "line", line, "what", what));
}
