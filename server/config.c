/*
 * config — defaults, an optional KEY=VALUE file, and the environment.
 *
 * Every setting has one name (the ISACD_* variable), used in the file, in
 * the environment, in --print-config and in README.md. Validation happens
 * here, once; the rest of the server trusts struct config.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "report_schema.h"

enum config_type { CT_STR, CT_PORT, CT_SIZE, CT_UINT };

struct config_var {
	const char *name;
	enum config_type type;
	size_t offset;
	size_t size; /* for CT_STR: the buffer size */
	unsigned long long min, max;
	const char *help;
};

#define STR(field) CT_STR, offsetof(struct config, field), sizeof(((struct config *)0)->field), 0, 0
static const struct config_var config_vars[] = {
        {"ISACD_DATABASE_URL", STR(database_url), "PostgreSQL conninfo or URI"},
        {"ISACD_LISTEN", STR(listen_addr), "listen address (IPv4 or IPv6 literal)"},
        {"ISACD_PORT", CT_PORT, offsetof(struct config, port), 0, 1, 65535, "listen port"},
        {"ISACD_PUBLIC_URL", STR(public_url), "scheme://host[:port] clients use to reach isacd"},
        {"ISACD_SERVER_KEY", STR(server_key_path),
         "file of the server's Ed25519 key (made if absent)"},
        {"ISACD_MAX_BODY_BYTES", CT_SIZE, offsetof(struct config, max_body_bytes), 0, 1024,
         64ull * 1024 * 1024, "largest request body accepted, bytes"},
        {"ISACD_SKEW_S", CT_UINT, offsetof(struct config, skew_s), 0, 1, 86400,
         "accepted clock skew of a signature's created time, seconds"},
        {"ISACD_THREADS", CT_UINT, offsetof(struct config, threads), 0, 1, 256,
         "HTTP worker threads"},
        {"ISACD_LOG_LEVEL", STR(log_level), "debug, info, warn or error"},
        {"ISACD_K", CT_UINT, offsetof(struct config, k_anonymity), 0, 2, 1000,
         "k-anonymity: operators that must share a bulletin's published sector/region"},
        {"ISACD_REVIEW_SEVERITY", STR(review_severity),
         "low, medium, high or critical: from this severity up, bulletins wait for review"},
        {"ISACD_ISAC_NAME", STR(isac_name), "name of the publishing ISAC in bulletins"},
        {"ISACD_WEBHOOK_MAX_AGE_S", CT_UINT, offsetof(struct config, webhook_max_age_s), 0, 1,
         30u * 86400, "webhook retry window, seconds: then a delivery is dead (replayable)"},
        {"ISACD_WEBHOOK_RETRY_BASE_MS", CT_UINT, offsetof(struct config, webhook_retry_base_ms), 0,
         10, 3600000, "first webhook retry delay, ms (doubles per attempt, with jitter)"},
        {"ISACD_MAX_STREAMS", CT_UINT, offsetof(struct config, max_streams), 0, 1, 900,
         "concurrent GET /v1/stream connections; beyond them 503"}, /* ≤ 900: MHD admits 1000
                                                                       connections, room stays for
                                                                       requests */
        {"ISACD_STREAM_HEARTBEAT_S", CT_UINT, offsetof(struct config, stream_heartbeat_s), 0, 1,
         300, "seconds between keep-alive comments on streams"},

};
#undef STR
#define N_VARS (sizeof config_vars / sizeof config_vars[0])

static void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->database_url, sizeof cfg->database_url,
	         "postgresql://isacd@127.0.0.1:54329/isacd");
	snprintf(cfg->listen_addr, sizeof cfg->listen_addr, "127.0.0.1");
	cfg->port = 8080;
	snprintf(cfg->public_url, sizeof cfg->public_url, "http://127.0.0.1:8080");
	snprintf(cfg->server_key_path, sizeof cfg->server_key_path, "var/server.key");
	cfg->max_body_bytes = 1024 * 1024;
	cfg->skew_s = 300;
	cfg->threads = 4;
	snprintf(cfg->log_level, sizeof cfg->log_level, "info");
	cfg->k_anonymity = 5;
	snprintf(cfg->review_severity, sizeof cfg->review_severity, "high");
	snprintf(cfg->isac_name, sizeof cfg->isac_name, "isacd ISAC");
	cfg->webhook_max_age_s = 86400;
	cfg->webhook_retry_base_ms = 1000;
	cfg->max_streams = 256;
	cfg->stream_heartbeat_s = 15;
}

static int config_set(struct config *cfg, const struct config_var *v, const char *value, char *err,
                      size_t err_len)
{
	char *end = NULL;
	unsigned long long n;
	char *field = (char *)cfg + v->offset;

	if (v->type == CT_STR) {
		if (strlen(value) >= v->size) {
			snprintf(err, err_len, "%s: longer than %zu bytes", v->name, v->size - 1);
			return -1;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	}
	errno = 0;
	n = strtoull(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || value[0] == '-' || n < v->min ||
	    n > v->max) {
		snprintf(err, err_len,
		         "%s: expected a whole number from %llu to %llu, got \"%.40s\"", v->name,
		         v->min, v->max, value);
		return -1;
	}
	if (v->type == CT_PORT)
		*(uint16_t *)(void *)field = (uint16_t)n;
	else if (v->type == CT_SIZE)
		*(size_t *)(void *)field = (size_t)n;
	else
		*(unsigned *)(void *)field = (unsigned)n;
	return 0;
}

static const struct config_var *config_find(const char *name, size_t len)
{
	for (size_t i = 0; i < N_VARS; i++)
		if (strlen(config_vars[i].name) == len &&
		    strncmp(config_vars[i].name, name, len) == 0)
			return &config_vars[i];
	return NULL;
}

static int config_read_file(struct config *cfg, const char *path, char *err, size_t err_len)
{
	char line[1024];
	unsigned lineno = 0;
	int rc = -1;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, err_len, "config file %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *p = line, *eq;
		size_t n;
		const struct config_var *v;

		lineno++;
		n = strlen(line);
		if (n == sizeof line - 1 && line[n - 1] != '\n') {
			snprintf(err, err_len, "%s:%u: line too long", path, lineno);
			goto out;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		eq = strchr(p, '=');
		if (eq == NULL || (v = config_find(p, (size_t)(eq - p))) == NULL) {
			snprintf(err, err_len, "%s:%u: expected ISACD_NAME=value with a known name",
			         path, lineno);
			goto out;
		}
		if (config_set(cfg, v, eq + 1, err, err_len) != 0)
			goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

static int config_validate(struct config *cfg, char *err, size_t err_len)
{
	unsigned char addr[16];
	const char *colon;

	if (inet_pton(AF_INET, cfg->listen_addr, addr) != 1 &&
	    inet_pton(AF_INET6, cfg->listen_addr, addr) != 1) {
		snprintf(err, err_len, "ISACD_LISTEN: not an IPv4 or IPv6 address literal");
		return -1;
	}
	colon = strstr(cfg->public_url, "://");
	if (colon == NULL || colon[3] == '\0' || strchr(colon + 3, '/') != NULL ||
	    (strncmp(cfg->public_url, "http://", 7) != 0 &&
	     strncmp(cfg->public_url, "https://", 8) != 0)) {
		snprintf(err, err_len,
		         "ISACD_PUBLIC_URL: expected http(s)://host[:port] with no path");
		return -1;
	}
	snprintf(cfg->public_scheme, sizeof cfg->public_scheme, "%.*s",
	         (int)(colon - cfg->public_url), cfg->public_url);
	if (cfg->database_url[0] == '\0' || cfg->server_key_path[0] == '\0') {
		snprintf(err, err_len, "ISACD_DATABASE_URL and ISACD_SERVER_KEY must not be empty");
		return -1;
	}
	if (report_vocab_index(report_severities, cfg->review_severity) < 0) {
		snprintf(err, err_len,
		         "ISACD_REVIEW_SEVERITY: expected low, medium, high or critical");
		return -1;
	}
	if (cfg->isac_name[0] == '\0') {
		snprintf(err, err_len, "ISACD_ISAC_NAME must not be empty");
		return -1;
	}
	if (log_set_level(cfg->log_level) != 0) {
		snprintf(err, err_len, "ISACD_LOG_LEVEL: expected debug, info, warn or error");
		return -1;
	}
	return 0;
}

int config_load(struct config *cfg, const char *file_path, char *err, size_t err_len)
{
	config_defaults(cfg);
	if (file_path == NULL)
		file_path = getenv("ISACD_CONFIG");
	if (file_path != NULL && *file_path != '\0' &&
	    config_read_file(cfg, file_path, err, err_len) != 0)
		return -1;
	for (size_t i = 0; i < N_VARS; i++) {
		const char *value = getenv(config_vars[i].name);
		if (value != NULL && config_set(cfg, &config_vars[i], value, err, err_len) != 0)
			return -1;
	}
	return config_validate(cfg, err, err_len);
}

/* Mask "password=…" in conninfo and ":…@" in a URI. */
static void config_mask_dsn(const char *dsn, char *out, size_t out_len)
{
	const char *at, *scheme_end, *pw;

	snprintf(out, out_len, "%s", dsn);
	scheme_end = strstr(out, "://");
	at = strrchr(out, '@');
	if (scheme_end != NULL && at != NULL) {
		const char *colon = memchr(scheme_end + 3, ':', (size_t)(at - (scheme_end + 3)));
		if (colon != NULL) {
			char tail[CONFIG_STR_MAX];
			snprintf(tail, sizeof tail, "%s", at);
			snprintf(out + (colon - out), out_len - (size_t)(colon - out), ":***%s",
			         tail);
		}
	}
	pw = strstr(out, "password=");
	if (pw != NULL) {
		char *p = out + (pw - out) + 9;
		while (*p != '\0' && *p != ' ')
			*p++ = '*';
	}
}

void config_print(const struct config *cfg)
{
	char dsn[CONFIG_STR_MAX];
	json_t *o;

	config_mask_dsn(cfg->database_url, dsn, sizeof dsn);
	o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:I, s:i, s:i, s:s, s:i, s:s, s:s}",
	              "ISACD_DATABASE_URL", dsn, "ISACD_LISTEN", cfg->listen_addr, "ISACD_PORT",
	              (int)cfg->port, "ISACD_PUBLIC_URL", cfg->public_url, "ISACD_SERVER_KEY",
	              cfg->server_key_path, "ISACD_MAX_BODY_BYTES", (json_int_t)cfg->max_body_bytes,
	              "ISACD_SKEW_S", (int)cfg->skew_s, "ISACD_THREADS", (int)cfg->threads,
	              "ISACD_LOG_LEVEL", cfg->log_level, "ISACD_K", (int)cfg->k_anonymity,
	              "ISACD_REVIEW_SEVERITY", cfg->review_severity, "ISACD_ISAC_NAME",
	              cfg->isac_name);
	json_object_set_new(o, "ISACD_WEBHOOK_MAX_AGE_S", json_integer(cfg->webhook_max_age_s));
	json_object_set_new(o, "ISACD_WEBHOOK_RETRY_BASE_MS",
	                    json_integer(cfg->webhook_retry_base_ms));
	json_object_set_new(o, "ISACD_MAX_STREAMS", json_integer(cfg->max_streams));
	json_object_set_new(o, "ISACD_STREAM_HEARTBEAT_S", json_integer(cfg->stream_heartbeat_s));
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(o);
}

const char *config_help(void)
{
	static char help[4096];
	size_t used = 0;

	if (help[0] != '\0')
		return help;
	used += (size_t)snprintf(help, sizeof help,
	                         "Configuration (environment, or KEY=VALUE lines in the file named "
	                         "by ISACD_CONFIG or --config):\n");
	for (size_t i = 0; i < N_VARS && used < sizeof help; i++)
		used += (size_t)snprintf(help + used, sizeof help - used, "  %-22s %s\n",
		                         config_vars[i].name, config_vars[i].help);
	return help;
}
