/*
 * sfv_internal — what sfv.c (the parser) and sfv_write.c (builder and
 * serializer) share: the grammar checks and the pool. Private to those two
 * files; everything else uses include/sfv.h.
 */
#ifndef ISACD_SFV_INTERNAL_H
#define ISACD_SFV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sfv.h"

/* RFC 8941 key, token and string grammars. */
bool sfv_key_valid(const char *k, size_t n);
bool sfv_token_valid(const char *t, size_t n);
bool sfv_string_valid(const char *s, size_t n);

/* Copy n bytes and a NUL into the field's pool; *off receives where. */
enum sfv_status sfv_pool_put(struct sfv_field *f, const void *data, size_t n, uint32_t *off);

/* Set key=value in the run *ps (the last run of f->params), overwriting a present key. */
enum sfv_status sfv_param_set(struct sfv_field *f, struct sfv_params *ps, const char *k, size_t kn,
                              const struct sfv_bare *v);

#endif
