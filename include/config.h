/*
 * config — isacd's configuration, read once at start-up.
 *
 * Sources, later wins: built-in defaults, the file named by ISACD_CONFIG (or
 * --config), then environment variables. The result is validated and then
 * treated as read-only by every thread.
 */
#ifndef ISACD_CONFIG_H
#define ISACD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_STR_MAX 512

struct config {
	char database_url[CONFIG_STR_MAX]; /* ISACD_DATABASE_URL (libpq conninfo or URI) */
	char listen_addr[64];              /* ISACD_LISTEN: IPv4 or IPv6 literal */
	uint16_t port;                     /* ISACD_PORT */
	char public_url[CONFIG_STR_MAX];   /* ISACD_PUBLIC_URL: scheme://host[:port] clients use */
	char server_key_path[CONFIG_STR_MAX]; /* ISACD_SERVER_KEY */
	size_t max_body_bytes;                /* ISACD_MAX_BODY_BYTES */
	unsigned skew_s;                      /* ISACD_SKEW_S: accepted |now - created| */
	unsigned threads;                     /* ISACD_THREADS: HTTP worker threads */
	char log_level[16];                   /* ISACD_LOG_LEVEL */
	unsigned k_anonymity;     /* ISACD_K: operators that must share published attributes */
	char review_severity[16]; /* ISACD_REVIEW_SEVERITY: at or above it, a coordinator reviews */
	char isac_name[128];      /* ISACD_ISAC_NAME: the publishing identity's name */
	unsigned webhook_max_age_s;     /* ISACD_WEBHOOK_MAX_AGE_S: retry window, then dead */
	unsigned webhook_retry_base_ms; /* ISACD_WEBHOOK_RETRY_BASE_MS: first retry delay */
	unsigned max_streams;           /* ISACD_MAX_STREAMS: concurrent streams, both kinds */
	unsigned stream_heartbeat_s;    /* ISACD_STREAM_HEARTBEAT_S: keep-alive interval */

	char public_scheme[8]; /* derived from public_url: "http" or "https" */
};

/*
 * Fill *cfg from defaults, the optional file (file_path, or ISACD_CONFIG
 * when file_path is NULL) and the environment, then validate.
 * Returns 0, or -1 after writing one line naming the bad setting into
 * err (err_len bytes).
 */
int config_load(struct config *cfg, const char *file_path, char *err, size_t err_len);

/* Print the configuration as JSON on stdout, the database password masked. */
void config_print(const struct config *cfg);

/* A short help text listing every variable, for --help. */
const char *config_help(void);

#endif
