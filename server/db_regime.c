/*
 * db_regime — SQL of reporting regimes and organizations' regimes.
 *
 * The deadlines themselves are computed where incidents are read
 * (db_report.c, with migration 0006's incident_deadlines()), so that the
 * queue filter and the incident view answer from one definition and one
 * now(). Never build SQL from input here.
 */
#include "db_regime.h"

#include <stdio.h>
#include <string.h>

#include "db.h"

#define REGIME_JSON                                                                                \
	"json_build_object('name', g.name, 'early_warning_s', g.early_warning_s,"                  \
	" 'notification_s', g.notification_s, 'final_s', g.final_s, 'organizations',"              \
	" (SELECT count(*) FROM organizations o WHERE o.regime = g.name AND o.kind = 'operator'))"

/* SQL reads best as written: */
/* clang-format off */
const struct db_stmt db_regime_stmts[] = {
	{"regime_list",
	 "SELECT coalesce(json_agg(" REGIME_JSON " ORDER BY g.name), '[]')::text FROM reporting_regimes g", 0},
	{"regime_get", "SELECT " REGIME_JSON "::text FROM reporting_regimes g WHERE g.name = $1", 1},
	{"regime_upsert",
	 "INSERT INTO reporting_regimes (name, early_warning_s, notification_s, final_s)"
	 " VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET early_warning_s = $2,"
	 " notification_s = $3, final_s = $4", 4},
	{"regime_lock", "SELECT name FROM reporting_regimes WHERE name = $1 FOR SHARE", 1},
	{"org_regime_set",
	 "UPDATE organizations o SET regime = $2 FROM (SELECT id, regime FROM organizations"
	 " WHERE id = $1 FOR UPDATE) old WHERE o.id = old.id RETURNING old.regime", 2},
	{NULL, NULL, 0},
};
/* clang-format on */

enum err_code db_regime_list(PGconn *c, json_t **out)
{
	return db_json_row(c, "regime_list", 0, NULL, out);
}

enum err_code db_regime_get(PGconn *c, const char *name, json_t **out)
{
	const char *v[1] = {name};

	return db_json_row(c, "regime_get", 1, v, out);
}

enum err_code db_regime_upsert(PGconn *c, const char *name, long long early_warning_s,
                               long long notification_s, long long final_s)
{
	char s[3][24];
	const char *v[4] = {name, s[0], s[1], s[2]};

	snprintf(s[0], sizeof s[0], "%lld", early_warning_s);
	snprintf(s[1], sizeof s[1], "%lld", notification_s);
	snprintf(s[2], sizeof s[2], "%lld", final_s);
	return db_exec(c, "regime_upsert", 4, v, NULL, NULL, NULL);
}

enum err_code db_regime_lock(PGconn *c, const char *name)
{
	const char *v[1] = {name};
	PGresult *r = NULL;
	enum err_code rc = db_exec_row(c, "regime_lock", 1, v, NULL, NULL, &r);

	PQclear(r);
	return rc;
}

enum err_code db_org_regime_set(PGconn *c, const char *org_id, const char *name, char *previous,
                                size_t previous_len)
{
	const char *v[2] = {org_id, name};
	PGresult *r = NULL;
	enum err_code rc;

	if (!uuid_parse(org_id, NULL))
		return ERR_NOT_FOUND;
	rc = db_exec_row(c, "org_regime_set", 2, v, NULL, NULL, &r);
	if (rc == ERR_OK)
		db_get_text(r, 0, 0, previous, previous_len);
	PQclear(r);
	return rc;
}
