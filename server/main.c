/*
 * main — isacd's subcommands: serve, migrate, admin, audit, submit.
 *
 * Reads the configuration once, then hands over to one module. `serve`
 * blocks SIGINT/SIGTERM in every thread and waits for them here, so a
 * Ctrl-C stops the HTTP threads and the worker cleanly.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "client.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "http_stream.h"
#include "log.h"
#include "migrate.h"
#include "report_schema.h"
#include "signer.h"
#include "webhook.h"
#include "worker.h"

#define ISACD_VERSION "0.1.0"

static const char isacd_usage[] =
        "isacd " ISACD_VERSION " — incident reporting for critical-infrastructure ISACs\n"
        "\n"
        "usage: isacd [--config FILE] COMMAND [ARGS]\n"
        "  serve             run the HTTP server and the background worker\n"
        "  migrate           apply pending database migrations\n"
        "  admin COMMAND     organizations, keys, tokens (isacd admin --help)\n"
        "  audit verify      recompute the audit log's hash chain\n"
        "  submit ...        sign and submit a report as an operator (isacd submit --help)\n"
        "  --print-config    print the effective configuration (secrets masked)\n"
        "  --version, --help\n"
        "\n";

static int main_serve(const struct config *cfg)
{
	struct signer_key key;
	struct http_env env = {cfg, &key};
	struct bulletin_env benv = {cfg, &key};

	char err[256];
	int latest = 0, sig;
	sigset_t set;

	if (signer_load_or_create(cfg->server_key_path, &key, err, sizeof err) != 0) {
		log_msg(LOG_ERROR, "server key: %s", err);
		return 1;
	}
	{
		struct jspec_error spec_err;
		if (!jspec_spec_valid(report_spec, &spec_err)) { /* our bug, not the user's */
			log_msg(LOG_ERROR, "report schema table is invalid at %s: %s",
			        spec_err.pointer, spec_err.detail);
			signer_wipe(&key);
			return 1;
		}
	}
	if (migrate_check(&latest, err, sizeof err) == ERR_CONFLICT)
		log_msg(LOG_WARN, "schema not current: %s (/readyz answers 503)", err);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by every thread */
	signal(SIGPIPE, SIG_IGN);
	if (http_stream_start(cfg) != 0 || http_start(&env) != 0 || worker_start(&benv) != 0 ||
	    webhook_start(&benv) != 0) {
		worker_stop();

		http_stream_stop();
		http_stop();
		signer_wipe(&key);
		return 1;
	}
	log_emit(LOG_INFO, "serving",
	         json_pack("{s:s, s:s}", "server_key_id", key.key_id, "version", ISACD_VERSION));
	sigwait(&set, &sig);
	log_msg(LOG_INFO, "signal %d: stopping", sig);
	http_stream_stop(); /* before http_stop: MHD must not stop with parked streams */
	http_stop();
	worker_stop();
	webhook_stop();
	db_close();
	signer_wipe(&key);
	log_msg(LOG_INFO, "stopped");
	return 0;
}

static int main_migrate(void)
{
	char err[256] = "";
	int applied = 0;
	enum err_code rc = migrate_run(&applied, err, sizeof err);

	if (rc != ERR_OK) {
		fprintf(stderr, "isacd migrate: %s\n", err);
		return 1;
	}
	printf("{\"applied\":%d}\n", applied);
	return 0;
}

static int main_command(const struct config *cfg, int argc, char **argv)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "serve") == 0) {
		if (argc > 1) {
			fputs("usage: isacd serve   (configured by ISACD_* variables)\n",
			      strcmp(argv[1], "--help") == 0 ? stdout : stderr);
			fputs(config_help(), stdout);
			return strcmp(argv[1], "--help") == 0 ? 0 : 2;
		}
		return main_serve(cfg);
	}
	if (strcmp(cmd, "migrate") == 0) {
		if (argc > 1) {
			puts("usage: isacd migrate   applies migrations/NNNN_*.sql compiled into"
			     " this binary, each once, in order");
			return strcmp(argv[1], "--help") == 0 ? 0 : 2;
		}
		return main_migrate();
	}
	if (strcmp(cmd, "admin") == 0)
		return admin_main(argc - 1, argv + 1);
	if (strcmp(cmd, "audit") == 0)
		return admin_audit_main(argc - 1, argv + 1);
	fprintf(stderr, "isacd: unknown command %s\n%s", cmd, isacd_usage);
	return 2;
}

int main(int argc, char **argv)
{
	struct config cfg;
	const char *config_file = NULL;
	char err[256];
	int i = 1, rc;

	if (sodium_init() < 0) {
		fputs("isacd: libsodium failed to initialize\n", stderr);
		return 1;
	}
	if (i + 1 < argc && strcmp(argv[i], "--config") == 0) {
		config_file = argv[i + 1];
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
		fputs(isacd_usage, i >= argc ? stderr : stdout);
		fputs(config_help(), i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	if (strcmp(argv[i], "--version") == 0) {
		puts("isacd " ISACD_VERSION);
		return 0;
	}
	if (strcmp(argv[i], "submit") == 0) { /* a client: needs no server configuration */
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = client_submit_main(argc - i - 1, argv + i + 1);
		curl_global_cleanup();
		return rc;
	}
	if (config_load(&cfg, config_file, err, sizeof err) != 0) {
		fprintf(stderr, "isacd: configuration: %s\n", err);
		return 2;
	}
	if (strcmp(argv[i], "--print-config") == 0) {
		config_print(&cfg);
		return 0;
	}
	if (db_init(cfg.database_url) != 0) {
		fputs("isacd: ISACD_DATABASE_URL too long\n", stderr);
		return 2;
	}
	rc = main_command(&cfg, argc - i, argv + i);
	db_close();
	return rc;
}
