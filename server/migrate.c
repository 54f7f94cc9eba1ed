/*
 * migrate — compare the embedded migrations with the database and apply
 * what is missing, one transaction each. Never edits an applied migration
 * and never runs against a schema it does not fully know.
 */
#include "migrate.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_migrate.h"
#include "embed.h"
#include "log.h"

struct migrate_one {
	int version;
	char name[128];
	const char *sql;
	uint8_t sha256[32];
};

/* Parse "0001_init.sql" into version 1 and name "init". */
static int migrate_parse_name(const char *file, struct migrate_one *m)
{
	const char *us = strchr(file, '_');
	size_t len = strlen(file);

	if (us == NULL || us - file != 4 || len < 10 || strcmp(file + len - 4, ".sql") != 0)
		return -1;
	m->version = atoi(file);
	if (m->version <= 0)
		return -1;
	snprintf(m->name, sizeof m->name, "%.*s", (int)(len - 4 - 5), us + 1);
	return 0;
}

static int migrate_load(const struct embed_file *f, struct migrate_one *m)
{
	if (migrate_parse_name(f->name, m) != 0)
		return -1;
	m->sql = (const char *)f->data;
	crypto_hash_sha256(m->sha256, f->data, f->len);
	return 0;
}

/* Compare applied with known; ERR_CONFLICT with err filled when they disagree. */
static enum err_code migrate_compare(const struct db_migration *applied, int n_applied,
                                     int *pending_from, char *err, size_t err_len)
{
	int i = 0;

	for (; i < n_applied; i++) {
		struct migrate_one m;

		if (embed_migrations[i].name == NULL) {
			snprintf(err, err_len,
			         "the database has migration %04d, which this isacd does not know;"
			         " run a newer isacd",
			         applied[i].version);
			return ERR_CONFLICT;
		}
		if (migrate_load(&embed_migrations[i], &m) != 0) {
			LOG_BUG(embed_migrations[i].name);
			return ERR_INTERNAL;
		}
		if (m.version != applied[i].version) {
			snprintf(err, err_len,
			         "the database has migration %04d where this isacd expects %04d",
			         applied[i].version, m.version);
			return ERR_CONFLICT;
		}
		if (memcmp(m.sha256, applied[i].sha256, 32) != 0) {
			snprintf(err, err_len, "migration %s changed after it was applied",
			         embed_migrations[i].name);
			return ERR_CONFLICT;
		}
	}
	*pending_from = i;
	return ERR_OK;
}

static enum err_code migrate_state(PGconn *c, bool ensure, int *pending_from, char *err,
                                   size_t err_len)
{
	static _Thread_local struct db_migration applied[DB_MIGRATE_MAX];
	int n = 0;
	enum err_code rc = ensure ? db_migrate_ensure(c) : ERR_OK;

	if (rc == ERR_OK)
		rc = db_migrate_applied(c, applied, DB_MIGRATE_MAX, &n);
	if (rc != ERR_OK) {
		if (rc != ERR_CONFLICT)
			snprintf(err, err_len, "could not read schema_migrations");
		else
			snprintf(err, err_len, "more than %d migrations applied", DB_MIGRATE_MAX);
		return rc;
	}
	return migrate_compare(applied, n, pending_from, err, err_len);
}

struct migrate_tx {
	const struct migrate_one *m;
	int done;
};

static enum err_code migrate_apply_tx(PGconn *c, void *ctx)
{
	struct migrate_tx *t = ctx;

	return db_migrate_apply(c, t->m->version, t->m->name, t->m->sql, t->m->sha256, &t->done);
}

enum err_code migrate_run(int *applied, char *err, size_t err_len)
{
	PGconn *c = db_conn();
	int from = 0;
	enum err_code rc;

	*applied = 0;
	if (c == NULL) {
		snprintf(err, err_len, "database unreachable");
		return ERR_UNAVAILABLE;
	}
	rc = migrate_state(c, true, &from, err, err_len);
	for (int i = from; rc == ERR_OK && embed_migrations[i].name != NULL; i++) {
		struct migrate_one m;
		struct migrate_tx t = {&m, 0};

		if (migrate_load(&embed_migrations[i], &m) != 0) {
			snprintf(err, err_len, "bad migration file name %s",
			         embed_migrations[i].name);
			return ERR_INTERNAL;
		}
		rc = db_tx(migrate_apply_tx, &t, false);
		if (rc != ERR_OK) {
			snprintf(err, err_len, "migration %s failed and was rolled back",
			         embed_migrations[i].name);
			break;
		}
		if (t.done) {
			*applied += 1;
			log_emit(LOG_INFO, "migration applied",
			         json_pack("{s:s}", "migration", embed_migrations[i].name));
		}
	}
	return rc;
}

enum err_code migrate_check(int *latest, char *err, size_t err_len)
{
	PGconn *c = db_conn();
	int from = 0, known = 0;
	enum err_code rc;

	while (embed_migrations[known].name != NULL)
		known++;
	*latest = 0;
	if (c == NULL) {
		snprintf(err, err_len, "database unreachable");
		return ERR_UNAVAILABLE;
	}
	rc = migrate_state(c, false, &from, err, err_len);
	if (rc != ERR_OK)
		return rc;
	*latest = from;
	if (from != known) {
		snprintf(err, err_len, "%d of %d migrations applied; run isacd migrate", from,
		         known);
		return ERR_CONFLICT;
	}
	return ERR_OK;
}
