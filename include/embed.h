/*
 * embed — files compiled into the binary by deploy/embed.sh.
 *
 * Each array ends with {NULL, NULL, 0}; data is NUL-terminated one byte past
 * len, so text files can be used as C strings.
 */
#ifndef ISACD_EMBED_H
#define ISACD_EMBED_H

#include <stddef.h>

struct embed_file {
	const char *name; /* basename, e.g. "0001_init.sql" */
	const unsigned char *data;
	size_t len;
};

/* migrations/NNNN_*.sql in name order */
extern const struct embed_file embed_migrations[];

/* the files of web/ (the dashboard: index.html, app.js, style.css) in name order */
extern const struct embed_file embed_web[];

#endif
