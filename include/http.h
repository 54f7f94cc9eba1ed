/*
 * http — the libmicrohttpd front: routes, bounded bodies, roles, replies.
 *
 * One route table maps method + path pattern to a handler and the
 * authentication it needs. This layer accumulates the body (refusing it past
 * ISACD_MAX_BODY_BYTES), authenticates, calls the handler, and renders
 * either the handler's JSON or a problem+json for its error code. Every
 * response carries X-Request-Id; every request ends in one access-log line.
 * Handlers never touch libmicrohttpd directly.
 */
#ifndef ISACD_HTTP_H
#define ISACD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "auth.h"
#include "config.h"
#include "httpsig.h"
#include "problem.h"
#include "signer.h"

#define HTTP_MAX_URI        4096
#define HTTP_MAX_PARAMS     2
#define HTTP_MAX_PARAM      392 /* a {} segment: 128 bytes even when each is %-encoded */
#define HTTP_MAX_JSON_DEPTH 16
#define HTTP_HDR_CACHE      40
#define HTTP_HDR_ARENA      (80 * 1024)

struct MHD_Connection;
struct MHD_Response;

/* Read-only state every handler may use, set once before serving. */
struct http_env {
	const struct config *cfg;
	const struct signer_key *key;
};

struct http_request {
	struct MHD_Connection *conn;
	const struct http_env *env;
	char method[16];
	char path[HTTP_MAX_URI + 1];  /* raw path, percent-encoding kept */
	char query[HTTP_MAX_URI + 1]; /* raw query without '?' */
	bool has_query;
	bool uri_too_long;
	char request_id[33];
	int64_t started_us;
	char params[HTTP_MAX_PARAMS][HTTP_MAX_PARAM]; /* {id} segments, raw */
	uint8_t *body;
	size_t body_len, body_cap;
	bool body_too_large, started, dispatched;
	unsigned status;
	char actor[160];                /* who, for the access log: "key:<id>" */
	struct auth_operator op;        /* set on AUTH_OPERATOR routes */
	struct auth_bearer coord;       /* set on AUTH_COORDINATOR routes */
	struct auth_bearer sub;         /* set on AUTH_SUBSCRIBER routes */
	const struct http_route *route; /* the matched route, or NULL */

	struct httpsig_parsed *sig; /* idem; owned by the request */
	/* set by handlers along with an error code */
	char err_detail[256];
	char err_pointer[256];
	/*
	 * Combined header values handed to httpsig, each computed once per
	 * name: repeated lookups return the same pointer, so the arena holds
	 * at most every header byte once (libmicrohttpd bounds those by its
	 * 64 KiB connection memory). Allocated on first use.
	 */
	char *hdr_arena;
	size_t hdr_used;
	size_t hdr_cached;
	struct {
		char lname[64];
		long offset; /* into hdr_arena, or -1: absent */
	} hdr_cache[HTTP_HDR_CACHE];
};

#define HTTP_REPLY_HEADERS 6

struct http_reply {
	unsigned status; /* 0: 200 */
	json_t *json;    /* stolen by the http layer */
	char location[256];
	/* instead of json: bytes served verbatim (malloc'd; stolen), with their type */
	char *raw;
	size_t raw_len;
	char content_type[64];
	/* instead of json/raw: a prepared streaming response (http_stream.c), queued as is */
	struct MHD_Response *response;
	/* extra response headers */
	size_t n_headers;
	char header_name[HTTP_REPLY_HEADERS][40];
	char header_value[HTTP_REPLY_HEADERS][160];
};

/* Add a response header; returns -1 when the reply has no room left. */
int http_reply_header(struct http_reply *rep, const char *name, const char *value);

/* A query parameter, percent-decoded, or NULL when absent. */
const char *http_query(struct http_request *req, const char *name);

/*
 * Percent-decode req->params[i] in place (libmicrohttpd's decoder; %HH
 * only, '+' stays). Returns false when i is out of range or the decoded
 * segment would hold a NUL byte: answer as for an unknown resource.
 */
bool http_param_decode(struct http_request *req, size_t i);

/*
 * A handler: fill rep and return ERR_OK, or return an error code (with
 * req->err_detail / err_pointer set when they help the client).
 */
typedef enum err_code (*http_handler)(struct http_request *req, struct http_reply *rep);

/* Who may call a route, checked before its handler runs. */
enum http_auth {
	AUTH_NONE,
	AUTH_OPERATOR,    /* RFC 9421 signature by an operator key */
	AUTH_COORDINATOR, /* bearer token of a coordinator */
	AUTH_SUBSCRIBER,  /* bearer token (or HTTP Basic, token as password) of a subscriber */
};

/* How errors of a route are rendered. */
enum http_errors {
	ERRORS_PROBLEM, /* RFC 9457 application/problem+json */
	ERRORS_TAXII,   /* TAXII 2.1 error message, application/taxii+json;version=2.1 */
};

/*
 * One route: method + path pattern ("{}" matches one non-empty segment,
 * captured into req->params). Each h_*.c exports a table of these ending
 * with {NULL}; http.c lists the tables.
 */
struct http_route {
	const char *method;
	const char *pattern;
	enum http_auth auth;
	http_handler handler;
	enum http_errors errors;
};

extern const struct http_route h_meta_routes[];
extern const struct http_route h_reports_routes[];
extern const struct http_route h_coord_routes[];
extern const struct http_route h_feed_routes[];
extern const struct http_route h_deliveries_routes[];
extern const struct http_route h_taxii_routes[];
extern const struct http_route h_stream_routes[];
extern const struct http_route h_web_routes[];
extern const struct http_route h_insight_routes[];
extern const struct http_route h_regimes_routes[];
extern const struct http_route h_orgs_routes[];
extern const struct http_route h_bulletins_routes[];

/*
 * Parse the request body as a JSON object: Content-Type must be
 * application/json (ERR_UNSUPPORTED_MEDIA_TYPE), nesting at most
 * HTTP_MAX_JSON_DEPTH (ERR_JSON_TOO_DEEP), valid UTF-8 JSON without
 * duplicate keys (ERR_MALFORMED_JSON, detail names line and column).
 * On ERR_OK *out is a new reference the caller owns.
 */
enum err_code http_json_body(struct http_request *req, json_t **out);

/* A request header (first line) or NULL. Name is case-insensitive. */
const char *http_header(struct http_request *req, const char *name);

/*
 * Start serving on cfg->listen_addr:cfg->port with cfg->threads threads.
 * Returns 0, or -1 (logged) when the socket cannot be bound.
 */
int http_start(const struct http_env *env);

/* Stop accepting, finish in-flight requests, join the threads. */
void http_stop(void);

#endif
