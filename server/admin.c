/*
 * admin — command-line administration: organizations, keys, tokens,
 * key generation for operators, and the audit chain check.
 *
 * Tokens are printed once and stored only as SHA-256; secret key files are
 * written 0600 and never printed. Every change is audited with actor "cli".
 */
#include "admin.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "db_audit.h"
#include "coord.h"
#include "db_org.h"
#include "subscriber.h"
#include "httpsig.h"
#include "orgs.h"
#include "regime.h"
#include "report_schema.h"
#include "signer.h"
#include "uuid.h"

#define ADMIN_MAX_OPTS 8

struct admin_opts {
	int n;
	const char *name[ADMIN_MAX_OPTS];
	const char *value[ADMIN_MAX_OPTS];
};

/* Parse "--key value" pairs; returns 0 or -1 (usage printed). */
static int admin_parse(int argc, char **argv, const char *const *allowed, struct admin_opts *o)
{
	o->n = 0;
	for (int i = 1; i < argc; i += 2) {
		bool ok = false;
		if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc || o->n >= ADMIN_MAX_OPTS) {
			fprintf(stderr, "isacd admin %s: expected --option value pairs\n", argv[0]);
			return -1;
		}
		for (const char *const *a = allowed; *a != NULL; a++)
			ok = ok || strcmp(argv[i] + 2, *a) == 0;
		if (!ok) {
			fprintf(stderr, "isacd admin %s: unknown option %s\n", argv[0], argv[i]);
			return -1;
		}
		o->name[o->n] = argv[i] + 2;
		o->value[o->n++] = argv[i + 1];
	}
	return 0;
}

static const char *admin_opt(const struct admin_opts *o, const char *name)
{
	for (int i = 0; i < o->n; i++)
		if (strcmp(o->name[i], name) == 0)
			return o->value[i];
	return NULL;
}

static int admin_print(json_t *o)
{
	if (o == NULL)
		return 1;
	json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(o);
	return 0;
}

static int admin_fail(enum err_code rc, const char *detail)
{
	admin_print(problem_json(rc, detail, NULL, NULL));
	return 1;
}

static int admin_missing(const char *cmd, const char *opt)
{
	fprintf(stderr, "isacd admin %s: --%s is required\n", cmd, opt);
	return 2;
}

static const struct orgs_actor admin_cli = {"cli", NULL};

/* Print a refused domain call's problem (err names the field, when it helps). */
static int admin_refused(enum err_code rc, const char *not_found, const struct jspec_error *err)
{
	admin_print(problem_json(rc, rc == ERR_NOT_FOUND ? not_found : err->detail,
	                         err->pointer[0] != '\0' ? err->pointer : NULL, NULL));
	return 1;
}

static int admin_org_create(int argc, char **argv)
{
	static const char *const allowed[] = {"kind", "name", "sector", "region", NULL};
	struct admin_opts o;
	struct jspec_error err = {0};
	char id[UUID_STR_LEN + 1];
	const char *kind, *name, *sector, *region;
	json_t *body;
	enum err_code rc;

	if (admin_parse(argc, argv, allowed, &o) != 0)
		return 2;
	kind = admin_opt(&o, "kind");
	name = admin_opt(&o, "name");
	sector = admin_opt(&o, "sector");
	region = admin_opt(&o, "region");
	if (kind == NULL)
		return admin_missing(argv[0], "kind");
	if (name == NULL)
		return admin_missing(argv[0], "name");
	body = json_pack("{s:s, s:s, s:s*, s:s*}", "kind", kind, "name", name, "sector", sector,
	                 "region", region);
	rc = body != NULL ? orgs_create(body, &admin_cli, id, &err) : ERR_INTERNAL;
	json_decref(body);
	if (rc != ERR_OK)
		return admin_refused(rc, "", &err);
	return admin_print(json_pack("{s:s, s:s, s:s, s:s?, s:s?}", "id", id, "kind", kind, "name",
	                             name, "sector", sector, "region", region));
}

static int admin_org_list(int argc, char **argv)
{
	PGconn *c = db_conn();
	json_t *list = NULL;
	enum err_code rc;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "isacd admin org-list takes no options\n");
		return 2;
	}
	if (c == NULL)
		return admin_fail(ERR_UNAVAILABLE, "database unreachable");
	rc = db_org_list(c, &list);
	if (rc != ERR_OK)
		return admin_fail(rc, "could not list organizations");
	return admin_print(list);
}

static int admin_key_add(int argc, char **argv)
{
	static const char *const allowed[] = {"org", "public-key", "key-id", NULL};
	struct admin_opts o;
	struct jspec_error err = {0};
	const char *org, *b64;
	json_t *body, *out = NULL;
	enum err_code rc;
	int status;

	if (admin_parse(argc, argv, allowed, &o) != 0)
		return 2;
	org = admin_opt(&o, "org");
	b64 = admin_opt(&o, "public-key");
	if (org == NULL)
		return admin_missing(argv[0], "org");
	if (b64 == NULL)
		return admin_missing(argv[0], "public-key");
	body = json_pack("{s:s, s:s*}", "public_key", b64, "key_id", admin_opt(&o, "key-id"));
	rc = body != NULL ? orgs_key_add(org, body, false, &admin_cli, &out, &err) : ERR_INTERNAL;
	json_decref(body);
	if (rc != ERR_OK)
		return admin_refused(rc, "no organization with this id", &err);
	status =
	        admin_print(json_pack("{s:O, s:O, s:s}", "key_id", json_object_get(out, "key_id"),
	                              "org_id", json_object_get(out, "org_id"), "public_key", b64));
	json_decref(out);
	return status;
}

static int admin_key_revoke(int argc, char **argv)
{
	static const char *const allowed[] = {"key-id", NULL};
	struct admin_opts o;
	json_t *out = NULL;
	const char *id;
	enum err_code rc;

	if (admin_parse(argc, argv, allowed, &o) != 0)
		return 2;
	id = admin_opt(&o, "key-id");
	if (id == NULL)
		return admin_missing(argv[0], "key-id");
	rc = orgs_key_revoke(id, &admin_cli, &out);
	json_decref(out);
	if (rc == ERR_NOT_FOUND)
		return admin_fail(rc, "no such live key (unknown, or already revoked)");
	if (rc != ERR_OK)
		return admin_fail(rc, "could not revoke");
	return admin_print(json_pack("{s:s, s:b}", "key-id", id, "revoked", 1));
}

static int admin_token_issue(int argc, char **argv)
{
	static const char *const allowed[] = {"org", "label", NULL};
	struct admin_opts o;
	json_t *out = NULL;
	const char *org;
	enum err_code rc;

	if (admin_parse(argc, argv, allowed, &o) != 0)
		return 2;
	org = admin_opt(&o, "org");
	if (org == NULL)
		return admin_missing(argv[0], "org");
	rc = coord_token_issue(org, admin_opt(&o, "label"), "cli", NULL, &out);
	if (rc == ERR_NOT_FOUND)
		return admin_fail(rc, "no organization with this id");
	if (rc == ERR_FORBIDDEN)
		return admin_fail(rc, "operators authenticate by signature, not tokens");
	if (rc == ERR_TOO_LONG)
		return admin_fail(rc, "--label: at most 200 bytes");
	if (rc != ERR_OK)
		return admin_fail(rc, "could not issue the token");
	return admin_print(out);
}

/* Write an Ed25519 seed as PKCS#8 PEM for openssl (RFC 8410). */
static int admin_write_pem(const char *path, const uint8_t seed[32])
{
	static const uint8_t prefix[16] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
	                                   0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
	uint8_t der[48];
	char b64[sodium_base64_ENCODED_LEN(48, sodium_base64_VARIANT_ORIGINAL)];
	char text[256];
	int fd, n, rc = -1;

	memcpy(der, prefix, 16);
	memcpy(der + 16, seed, 32);
	sodium_bin2base64(b64, sizeof b64, der, sizeof der, sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(text, sizeof text,
	             "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n", b64);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		rc = write(fd, text, (size_t)n) == n ? 0 : -1;
		close(fd);
	}
	sodium_memzero(der, sizeof der);
	sodium_memzero(b64, sizeof b64);
	sodium_memzero(text, sizeof text);
	return rc;
}

static int admin_keygen(int argc, char **argv)
{
	static const char *const allowed[] = {"out", NULL};
	struct admin_opts o;
	const char *prefix;
	char path[1024], err[256];
	uint8_t seed[32], pk[32], sk[64];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	int status = 1;
	FILE *f;

	if (admin_parse(argc, argv, allowed, &o) != 0)
		return 2;
	prefix = admin_opt(&o, "out");
	if (prefix == NULL)
		return admin_missing(argv[0], "out");
	randombytes_buf(seed, sizeof seed);
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_bin2base64(b64, sizeof b64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
	snprintf(path, sizeof path, "%s.key", prefix);
	if (signer_write_seed(path, seed, err, sizeof err) != 0) {
		status = admin_fail(ERR_CONFLICT, err);
		goto out;
	}
	snprintf(path, sizeof path, "%s.pem", prefix);
	if (admin_write_pem(path, seed) != 0) {
		status = admin_fail(ERR_CONFLICT, "cannot write the .pem file (exists?)");
		goto out;
	}
	snprintf(path, sizeof path, "%s.pub", prefix);
	f = fopen(path, "wx");
	if (f == NULL || fprintf(f, "%s\n", b64) < 0 || fclose(f) != 0) {
		status = admin_fail(ERR_CONFLICT, "cannot write the .pub file (exists?)");
		goto out;
	}
	status = admin_print(json_pack("{s:s, s:s+, s:s+, s:s+}", "public_key", b64,
	                               "secret_key_file", prefix, ".key", "pem_file", prefix,
	                               ".pem", "public_key_file", prefix, ".pub"));
out:
	sodium_memzero(seed, sizeof seed);
	sodium_memzero(sk, sizeof sk);
	return status;
}

static int admin_org_profile(int argc, char **argv)
{
	static const char *const allowed[] = {"org", "file", NULL};
	struct admin_opts o;
	struct jspec_error err = {0};
	json_error_t jerr;
	json_t *body, *org = NULL;
	const char *id, *file;
	enum err_code rc;

	if (admin_parse(argc, argv, allowed, &o) != 0)
		return 2;
	id = admin_opt(&o, "org");
	file = admin_opt(&o, "file");
	if (id == NULL)
		return admin_missing(argv[0], "org");
	if (file == NULL)
		return admin_missing(argv[0], "file");
	body = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (body == NULL)
		return admin_fail(ERR_MALFORMED_JSON, jerr.text);
	rc = coord_org_profile(id, body, "cli", NULL, &org, &err);
	json_decref(body);
	if (rc == ERR_OK)
		return admin_print(org);
	return admin_refused(rc, "no organization with this id", &err);
}

/* A comma-separated option as a JSON array of strings (empty items dropped). */
static json_t *admin_list(const char *csv)
{
	json_t *a = json_array();
	const char *p = csv;

	while (a != NULL && p != NULL && *p != '\0') {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n > 0)
			json_array_append_new(a, json_stringn(p, n));
		p = comma != NULL ? comma + 1 : NULL;
	}
	return a;
}

/* Print a subscriber call's outcome; err names the field at fault. */
static int admin_subscriber_result(enum err_code rc, json_t *out, const struct jspec_error *err)
{
	if (rc == ERR_OK)
		return admin_print(out);
	return admin_refused(rc, "no subscriber organization with this id", err);
}

static int admin_subscriber_set(int argc, char **argv)
{
	static const char *const allowed[] = {"org", "clearance", "sectors", NULL};
	static const struct subscriber_actor cli = {"cli", NULL};
	struct admin_opts o;
	struct jspec_error err = {0};
	json_t *body, *out = NULL;
	const char *org, *clearance;
	enum err_code rc;

	if (admin_parse(argc, argv, allowed, &o) != 0)
		return 2;
	org = admin_opt(&o, "org");
	clearance = admin_opt(&o, "clearance");
	if (org == NULL)
		return admin_missing(argv[0], "org");
	if (clearance == NULL)
		return admin_missing(argv[0], "clearance");
	body = json_pack("{s:o, s:o}", "clearance", admin_list(clearance), "sectors",
	                 admin_list(admin_opt(&o, "sectors")));
	rc = body != NULL ? subscriber_set(org, body, &cli, &out, &err) : ERR_INTERNAL;
	json_decref(body);
	return admin_subscriber_result(rc, out, &err);
}

static int admin_subscription_add(int argc, char **argv)
{
	static const char *const allowed[] = {"org",     "min-severity", "types",
	                                      "sectors", "webhook",      NULL};
	static const struct subscriber_actor cli = {"cli", NULL};
	struct admin_opts o;
	struct jspec_error err = {0};
	json_t *body, *out = NULL;
	const char *org;
	enum err_code rc;

	if (admin_parse(argc, argv, allowed, &o) != 0)
		return 2;
	org = admin_opt(&o, "org");
	if (org == NULL)
		return admin_missing(argv[0], "org");
	body = json_pack("{s:o, s:o}", "incident_types", admin_list(admin_opt(&o, "types")),
	                 "sectors", admin_list(admin_opt(&o, "sectors")));
	if (body != NULL && admin_opt(&o, "min-severity") != NULL)
		json_object_set_new(body, "min_severity",
		                    json_string(admin_opt(&o, "min-severity")));
	if (body != NULL && admin_opt(&o, "webhook") != NULL)
		json_object_set_new(body, "webhook_url", json_string(admin_opt(&o, "webhook")));
	rc = body != NULL ? subscriber_subscribe(org, body, &cli, &out, &err) : ERR_INTERNAL;
	json_decref(body);
	return admin_subscriber_result(rc, out, &err);
}

static int admin_subscription_remove(int argc, char **argv)
{
	static const char *const allowed[] = {"id", NULL};
	static const struct subscriber_actor cli = {"cli", NULL};
	struct admin_opts o;
	const char *id;
	enum err_code rc;

	if (admin_parse(argc, argv, allowed, &o) != 0)
		return 2;
	id = admin_opt(&o, "id");
	if (id == NULL)
		return admin_missing(argv[0], "id");
	rc = subscriber_unsubscribe(id, &cli);
	if (rc == ERR_NOT_FOUND)
		return admin_fail(rc, "no such live subscription");
	if (rc != ERR_OK)
		return admin_fail(rc, "could not revoke the subscription");
	return admin_print(json_pack("{s:s, s:b}", "id", id, "revoked", 1));
}

/* A regime call's outcome; err names the field at fault. */
static int admin_regime_result(enum err_code rc, json_t *out, const struct jspec_error *err,
                               const char *not_found)
{
	if (rc == ERR_OK)
		return admin_print(out);
	admin_print(problem_json(rc, rc == ERR_NOT_FOUND ? not_found : err->detail,
	                         err->pointer[0] != '\0' ? err->pointer : NULL, NULL));
	return 1;
}

static int admin_regime_set(int argc, char **argv)
{
	static const char *const allowed[] = {"name", "early-warning", "notification", "final",
	                                      NULL};
	static const char *const fields[] = {"early_warning_s", "notification_s", "final_s"};
	struct admin_opts o;
	struct jspec_error err = {0};
	json_t *body, *out = NULL;
	const char *name;
	enum err_code rc;

	if (admin_parse(argc, argv, allowed, &o) != 0)
		return 2;
	name = admin_opt(&o, "name");
	if (name == NULL)
		return admin_missing(argv[0], "name");
	body = json_object();
	for (int i = 0; i < 3 && body != NULL; i++) {
		const char *opt = allowed[i + 1], *text = admin_opt(&o, opt);
		long long s = 0;
		if (text == NULL) {
			json_decref(body);
			return admin_missing(argv[0], opt);
		}
		if (regime_parse_duration(text, &s) != 0) {
			char why[96];
			json_decref(body);
			snprintf(why, sizeof why, "--%s: a duration like 90s, 30m, 24h or 30d",
			         opt);
			return admin_fail(ERR_VALIDATION, why);
		}
		json_object_set_new(body, fields[i], json_integer((json_int_t)s));
	}
	rc = body != NULL ? regime_set(name, body, "cli", NULL, &out, &err) : ERR_INTERNAL;
	json_decref(body);
	return admin_regime_result(rc, out, &err, "");
}

static int admin_org_regime(int argc, char **argv)
{
	static const char *const allowed[] = {"org", "regime", NULL};
	struct admin_opts o;
	struct jspec_error err = {0};
	json_t *body, *out = NULL;
	const char *org, *regime;
	enum err_code rc;

	if (admin_parse(argc, argv, allowed, &o) != 0)
		return 2;
	org = admin_opt(&o, "org");
	regime = admin_opt(&o, "regime");
	if (org == NULL)
		return admin_missing(argv[0], "org");
	if (regime == NULL)
		return admin_missing(argv[0], "regime");
	body = json_pack("{s:s}", "regime", regime);
	rc = body != NULL ? regime_org_set(org, body, "cli", NULL, &out, &err) : ERR_INTERNAL;
	json_decref(body);
	return admin_regime_result(rc, out, &err, "no organization with this id");
}

static int admin_token_revoke(int argc, char **argv)
{
	static const char *const allowed[] = {"id", NULL};
	struct admin_opts o;
	const char *id;
	enum err_code rc;

	if (admin_parse(argc, argv, allowed, &o) != 0)
		return 2;
	id = admin_opt(&o, "id");
	if (id == NULL)
		return admin_missing(argv[0], "id");
	rc = coord_token_revoke(id, "cli", NULL);
	if (rc == ERR_NOT_FOUND)
		return admin_fail(rc, "no such live key or token (unknown, or already revoked)");
	if (rc != ERR_OK)
		return admin_fail(rc, "could not revoke");
	return admin_print(json_pack("{s:s, s:b}", "id", id, "revoked", 1));
}

int admin_audit_main(int argc, char **argv)
{
	PGconn *c;
	int64_t checked = 0, bad = 0;
	enum err_code rc;

	if (argc == 1 && strcmp(argv[0], "--help") == 0) {
		puts("usage: isacd audit verify   recompute the audit log's hash chain;\n"
		     "prints {\"ok\":true,\"verified\":N}, or exits 1 with broken_at_seq");
		return 0;
	}
	if (argc != 1 || strcmp(argv[0], "verify") != 0) {
		fprintf(stderr, "usage: isacd audit verify\n");
		return 2;
	}
	c = db_conn();
	if (c == NULL)
		return admin_fail(ERR_UNAVAILABLE, "database unreachable");
	rc = db_audit_verify(c, &checked, &bad);
	if (rc == ERR_CONFLICT) {
		admin_print(json_pack("{s:b, s:I, s:I}", "ok", 0, "verified", (json_int_t)checked,
		                      "broken_at_seq", (json_int_t)bad));
		return 1;
	}
	if (rc != ERR_OK)
		return admin_fail(rc, "could not read the audit log");
	return admin_print(json_pack("{s:b, s:I}", "ok", 1, "verified", (json_int_t)checked));
}

const char *admin_help(void)
{
	return "isacd admin COMMAND [--option value]...\n"
	       "  org-create  --kind operator|subscriber|coordinator --name NAME\n"
	       "              [--sector SECTOR] [--region REGION]   (operators need both)\n"
	       "  org-list\n"
	       "  keygen      --out PREFIX        writes PREFIX.key (seed, 0600), PREFIX.pem\n"
	       "                                  (PKCS#8 for openssl, 0600), PREFIX.pub\n"
	       "  key-add     --org ORG_ID --public-key BASE64 [--key-id KID]\n"
	       "  key-revoke  --key-id KID\n"
	       "  token-issue --org ORG_ID [--label TEXT]   prints the token once\n"
	       "  token-revoke --id TOKEN_ID\n"
	       "  subscriber-set --org ORG_ID --clearance CLEAR,GREEN[,AMBER[,AMBER+STRICT]]\n"
	       "              [--sectors SECTOR,...]   what a subscriber may receive\n"
	       "  subscription-add --org ORG_ID [--min-severity S] [--types T,...]\n"
	       "              [--sectors S,...] [--webhook URL]\n"
	       "  subscription-remove --id SUBSCRIPTION_ID\n"
	       "  org-profile --org ORG_ID --file PROFILE.json   replace an operator's\n"
	       "              anonymization profile: "
	       "{\"domains\":[…],\"ranges\":[…],\"terms\":[…]}\n"
	       "  regime-set  --name NAME --early-warning DUR --notification DUR --final DUR\n"
	       "              create or replace a reporting regime; DUR is N followed by\n"
	       "              s, m, h or d (24h, 72h, 30d), each 1 s to 365 d, in that order\n"
	       "  org-regime  --org ORG_ID --regime NAME   the regime an operator reports under\n"
	       "Output is one JSON object per command on stdout; exit 0 done, 1 refused\n"
	       "(a problem object says why), 2 usage error.\n";
}

int admin_main(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		fputs(admin_help(), argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs(admin_help(), stdout);
		return 0;
	}
	if (strcmp(argv[0], "org-create") == 0)
		return admin_org_create(argc, argv);
	if (strcmp(argv[0], "org-list") == 0)
		return admin_org_list(argc, argv);
	if (strcmp(argv[0], "keygen") == 0)
		return admin_keygen(argc, argv);
	if (strcmp(argv[0], "key-add") == 0)
		return admin_key_add(argc, argv);
	if (strcmp(argv[0], "key-revoke") == 0)
		return admin_key_revoke(argc, argv);
	if (strcmp(argv[0], "subscriber-set") == 0)
		return admin_subscriber_set(argc, argv);
	if (strcmp(argv[0], "subscription-add") == 0)
		return admin_subscription_add(argc, argv);
	if (strcmp(argv[0], "subscription-remove") == 0)
		return admin_subscription_remove(argc, argv);
	if (strcmp(argv[0], "org-profile") == 0)
		return admin_org_profile(argc, argv);
	if (strcmp(argv[0], "regime-set") == 0)
		return admin_regime_set(argc, argv);
	if (strcmp(argv[0], "org-regime") == 0)
		return admin_org_regime(argc, argv);
	if (strcmp(argv[0], "token-issue") == 0)
		return admin_token_issue(argc, argv);
	if (strcmp(argv[0], "token-revoke") == 0)
		return admin_token_revoke(argc, argv);
	fprintf(stderr, "isacd admin: unknown command %s\n%s", argv[0], admin_help());
	return 2;
}
