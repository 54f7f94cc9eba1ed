/*
 * http — libmicrohttpd with its internal thread pool and epoll.
 *
 * The life of a request: the URI-log callback allocates its state (raw
 * URI, request id); the first access-handler call checks Content-Length;
 * the following calls accumulate the body up to the limit; the last call
 * routes, authenticates, runs the handler and queues the reply; the
 * completion callback writes the access-log line and frees the state.
 *
 * Never log bodies, signatures or tokens here; never hold SQL or crypto.
 */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "h_coord.h"
#include "h_meta.h"
#include "h_reports.h"
#include "jspec.h"
#include "log.h"

/* Every handler file's routes; a request takes the first that matches. */
static const struct http_route *const http_tables[] = {
        h_meta_routes,       h_reports_routes, h_coord_routes,  h_feed_routes,
        h_deliveries_routes, h_taxii_routes,   h_stream_routes, h_web_routes,
        h_insight_routes,    h_regimes_routes, h_orgs_routes,   h_bulletins_routes,

};

static struct MHD_Daemon *http_daemon;
static const struct http_env *http_env_ptr;

/* Match path against a pattern, capturing {} segments into req->params. */
static bool http_match(const char *pattern, const char *path, struct http_request *req)
{
	int n = 0;

	while (*pattern != '\0' && *path != '\0') {
		if (strncmp(pattern, "{}", 2) == 0) {
			size_t seg = strcspn(path, "/");
			if (seg == 0 || seg >= sizeof req->params[0] || n >= HTTP_MAX_PARAMS)
				return false;
			memcpy(req->params[n], path, seg);
			req->params[n][seg] = '\0';
			n++;
			pattern += 2;
			path += seg;
			continue;
		}
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
	return *pattern == '\0' && *path == '\0';
}

/* The route for this request; *path_known tells a 405 from a 404. */
static const struct http_route *http_route(struct http_request *req, bool *path_known, char *allow,
                                           size_t allow_len)
{
	const struct http_route *found = NULL;

	*path_known = false;
	allow[0] = '\0';
	for (size_t t = 0; t < sizeof http_tables / sizeof http_tables[0]; t++) {
		for (const struct http_route *r = http_tables[t]; r->method != NULL; r++) {
			if (!http_match(r->pattern, req->path, req))
				continue;
			*path_known = true;
			snprintf(allow + strlen(allow), allow_len - strlen(allow), "%s%s",
			         allow[0] != '\0' ? ", " : "", r->method);
			if (found == NULL && strcmp(r->method, req->method) == 0)
				found = r;
		}
	}
	if (found != NULL) /* captures of the last pattern tried may be stale */
		(void)http_match(found->pattern, req->path, req);
	return found;
}

const char *http_header(struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct http_hdr_join {
	struct http_request *req;
	const char *lname;
	bool found, overflow;
};

static enum MHD_Result http_hdr_collect(void *cls, enum MHD_ValueKind kind, const char *key,
                                        const char *value)
{
	struct http_hdr_join *j = cls;
	struct http_request *req = j->req;
	size_t len = strlen(value), need = len + (j->found ? 2 : 0);

	(void)kind;
	if (strcasecmp(key, j->lname) != 0)
		return MHD_YES;
	if (req->hdr_used + need + 1 > HTTP_HDR_ARENA) {
		j->overflow = true;
		return MHD_NO;
	}
	if (j->found) {
		memcpy(req->hdr_arena + req->hdr_used, ", ", 2);
		req->hdr_used += 2;
	}
	memcpy(req->hdr_arena + req->hdr_used, value, len);
	req->hdr_used += len;
	req->hdr_arena[req->hdr_used] = '\0';
	j->found = true;
	return MHD_YES;
}

/* httpsig's header lookup: every line of a field, combined with ", ". */
static const char *http_hdr_combined(void *ctx, const char *lname)
{
	struct http_request *req = ctx;
	struct http_hdr_join j = {req, lname, false, false};
	size_t start;

	for (size_t i = 0; i < req->hdr_cached; i++)
		if (strcmp(req->hdr_cache[i].lname, lname) == 0)
			return req->hdr_cache[i].offset < 0
			               ? NULL
			               : req->hdr_arena + req->hdr_cache[i].offset;
	if (req->hdr_cached == HTTP_HDR_CACHE || strlen(lname) >= sizeof req->hdr_cache[0].lname) {
		LOG_BUG("header cache too small for this lookup");
		return NULL;
	}
	if (req->hdr_arena == NULL && (req->hdr_arena = malloc(HTTP_HDR_ARENA)) == NULL)
		return NULL;
	start = req->hdr_used;
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, http_hdr_collect, &j);
	if (j.overflow) { /* cannot happen within MHD's memory limit; never guess */
		LOG_BUG("header arena overflow");
		req->hdr_used = start;
		return NULL;
	}
	snprintf(req->hdr_cache[req->hdr_cached].lname, sizeof req->hdr_cache[0].lname, "%s",
	         lname);
	req->hdr_cache[req->hdr_cached].offset = j.found ? (long)start : -1;
	req->hdr_cached++;
	if (!j.found)
		return NULL;
	req->hdr_used++; /* keep the NUL */
	return req->hdr_arena + start;
}

static bool http_content_type_json(const char *ct)
{
	size_t n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

enum err_code http_json_body(struct http_request *req, json_t **out)
{
	json_error_t jerr;

	*out = NULL;
	if (!http_content_type_json(http_header(req, "Content-Type"))) {
		snprintf(req->err_detail, sizeof req->err_detail,
		         "send the body as Content-Type: application/json");
		return ERR_UNSUPPORTED_MEDIA_TYPE;
	}
	if (jspec_nesting_depth((const char *)req->body, req->body_len) > HTTP_MAX_JSON_DEPTH) {
		snprintf(req->err_detail, sizeof req->err_detail,
		         "arrays and objects nest deeper than %d levels", HTTP_MAX_JSON_DEPTH);
		return ERR_JSON_TOO_DEEP;
	}
	if (req->body_len == 0) {
		snprintf(req->err_detail, sizeof req->err_detail, "the body is empty");
		return ERR_MALFORMED_JSON;
	}
	/* NUL is let through to the schema, which names the field holding it */
	*out = json_loadb((const char *)req->body, req->body_len,
	                  JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (*out == NULL) {
		char *near = strstr(jerr.text, " near ");
		if (near != NULL) /* never echo the client's bytes back */
			*near = '\0';
		snprintf(req->err_detail, sizeof req->err_detail, "line %d, column %d: %s",
		         jerr.line, jerr.column, jerr.text);
		return ERR_MALFORMED_JSON;
	}
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		snprintf(req->err_detail, sizeof req->err_detail, "the body must be a JSON object");
		req->err_pointer[0] = '\0';
		return ERR_WRONG_TYPE;
	}
	return ERR_OK;
}

int http_reply_header(struct http_reply *rep, const char *name, const char *value)
{
	if (rep->n_headers == HTTP_REPLY_HEADERS || strlen(name) >= sizeof rep->header_name[0] ||
	    strlen(value) >= sizeof rep->header_value[0])
		return -1;
	memcpy(rep->header_name[rep->n_headers], name, strlen(name) + 1);
	memcpy(rep->header_value[rep->n_headers], value, strlen(value) + 1);
	rep->n_headers++;
	return 0;
}

/* Whether the handler set header `name` itself (names compared case-insensitively). */
static bool http_reply_has(const struct http_reply *rep, const char *name)
{
	for (size_t i = 0; i < rep->n_headers; i++)
		if (strcasecmp(rep->header_name[i], name) == 0)
			return true;
	return false;
}

const char *http_query(struct http_request *req, const char *name)

{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool http_param_decode(struct http_request *req, size_t i)
{
	/* the decoder returns the decoded length, which a %00 makes exceed strlen */
	return i < HTTP_MAX_PARAMS && MHD_http_unescape(req->params[i]) == strlen(req->params[i]);
}

/* Queue rep (its json or raw bytes are consumed) with the common headers. */
static enum MHD_Result http_send(struct http_request *req, struct http_reply *rep, bool problem,
                                 const char *allow)
{
	unsigned status = rep->status != 0 ? rep->status : 200;
	char *text = rep->raw;
	size_t len = rep->raw_len;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (text == NULL && rep->response == NULL) {
		text = json_dumps(rep->json != NULL ? rep->json : json_object(),
		                  JSON_COMPACT | JSON_PRESERVE_ORDER);
		len = text != NULL ? strlen(text) : 0;
	}
	json_decref(rep->json);
	rep->json = NULL;
	rep->raw = NULL;
	if (text == NULL && rep->response == NULL)
		return MHD_NO;
	resp = rep->response != NULL /* a stream: its body comes from a callback */
	               ? rep->response
	               : MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
	                        rep->content_type[0] != '\0' ? rep->content_type
	                        : problem                    ? "application/problem+json"
	                                                     : "application/json");
	MHD_add_response_header(resp, "X-Request-Id", req->request_id);
	if (!http_reply_has(rep, "Cache-Control"))
		MHD_add_response_header(resp, "Cache-Control", "no-store");

	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (rep->location[0] != '\0')
		MHD_add_response_header(resp, "Location", rep->location);
	if (allow != NULL)
		MHD_add_response_header(resp, "Allow", allow);
	for (size_t i = 0; i < rep->n_headers; i++)
		MHD_add_response_header(resp, rep->header_name[i], rep->header_value[i]);
	req->status = status;
	ret = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* TAXII 2.1 error message (section 3.6.1) for routes under /taxii2/. */
static json_t *http_taxii_error(const struct http_request *req, enum err_code code)
{
	char status[8];

	snprintf(status, sizeof status, "%u", problem_status(code));
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "title", problem_title(code), "description",
	                 req->err_detail[0] != '\0' ? req->err_detail : problem_title(code),
	                 "error_id", req->request_id, "error_code", problem_slug(code),
	                 "http_status", status);
}

static enum MHD_Result http_send_problem(struct http_request *req, enum err_code code,
                                         const char *allow)
{
	bool taxii = req->route != NULL ? req->route->errors == ERRORS_TAXII
	                                : strncmp(req->path, "/taxii2/", 8) == 0;
	struct http_reply rep;

	memset(&rep, 0, sizeof rep);
	rep.status = problem_status(code);
	if (taxii) {
		rep.json = http_taxii_error(req, code);
		snprintf(rep.content_type, sizeof rep.content_type,
		         "application/taxii+json;version=2.1");
	} else {
		rep.json = problem_json(code, req->err_detail,
		                        req->err_pointer[0] != '\0' || code == ERR_WRONG_TYPE
		                                ? req->err_pointer
		                                : NULL,
		                        req->request_id);
	}
	if (code == ERR_INTERNAL)
		log_emit(LOG_ERROR, "request failed: our bug",
		         json_pack("{s:s, s:s}", "request_id", req->request_id, "path", req->path));
	else if (problem_status(code) >= 500)
		log_emit(LOG_WARN, "request failed",
		         json_pack("{s:s, s:s}", "request_id", req->request_id, "error",
		                   problem_slug(code)));
	if (code == ERR_AUTH_REQUIRED || code == ERR_TOKEN_INVALID)
		(void)http_reply_header(&rep, "WWW-Authenticate",
		                        taxii ? "Basic realm=\"isacd\", Bearer realm=\"isacd\""
		                              : "Bearer realm=\"isacd\"");
	return http_send(req, &rep, true, allow);
}

static enum err_code http_authenticate_operator(struct http_request *req)
{
	struct httpsig_request h;
	enum err_code rc;

	req->sig = malloc(sizeof *req->sig);
	if (req->sig == NULL)
		return ERR_INTERNAL;
	h.method = req->method;
	h.scheme = req->env->cfg->public_scheme;
	h.authority = http_header(req, "Host");
	h.path = req->path;
	h.query = req->has_query ? req->query : NULL;
	h.header = http_hdr_combined;
	h.header_ctx = req;
	if (h.authority == NULL) {
		snprintf(req->err_detail, sizeof req->err_detail, "the request has no Host header");
		return ERR_SIG_PARAMS;
	}
	rc = auth_operator(&h, req->body, req->body_len, req->body_len > 0, req->env->cfg->skew_s,
	                   req->sig, &req->op, req->err_detail, sizeof req->err_detail);
	if (rc == ERR_OK)
		snprintf(req->actor, sizeof req->actor, "key:%s", req->op.key_id);
	return rc;
}

static enum err_code http_authenticate(struct http_request *req, enum http_auth auth)
{
	enum err_code rc;

	switch (auth) {
	case AUTH_NONE:
		return ERR_OK;
	case AUTH_OPERATOR:
		return http_authenticate_operator(req);
	case AUTH_COORDINATOR:
		rc = auth_bearer(http_header(req, "Authorization"), "coordinator", false,
		                 &req->coord, req->err_detail, sizeof req->err_detail);
		if (rc == ERR_OK)
			snprintf(req->actor, sizeof req->actor, "token:%s", req->coord.token_id);
		return rc;
	case AUTH_SUBSCRIBER:
		rc = auth_bearer(http_header(req, "Authorization"), "subscriber", true, &req->sub,
		                 req->err_detail, sizeof req->err_detail);
		if (rc == ERR_OK)
			snprintf(req->actor, sizeof req->actor, "token:%s", req->sub.token_id);
		return rc;
	}
	return ERR_INTERNAL;
}

static enum MHD_Result http_dispatch(struct http_request *req)
{
	char allow[64];
	bool path_known;
	const struct http_route *route;
	struct http_reply rep;
	enum err_code rc;

	memset(&rep, 0, sizeof rep);
	if (req->uri_too_long)
		return http_send_problem(req, ERR_URI_TOO_LONG, NULL);
	route = http_route(req, &path_known, allow, sizeof allow);
	req->route = route;
	if (route == NULL)
		return http_send_problem(req, path_known ? ERR_METHOD_NOT_ALLOWED : ERR_NOT_FOUND,
		                         path_known ? allow : NULL);
	if (req->body_too_large) {
		snprintf(req->err_detail, sizeof req->err_detail, "the limit is %zu bytes",
		         req->env->cfg->max_body_bytes);
		return http_send_problem(req, ERR_BODY_TOO_LARGE, NULL);
	}
	rc = http_authenticate(req, route->auth);
	if (rc == ERR_OK)
		rc = route->handler(req, &rep);
	if (rc != ERR_OK) {
		json_decref(rep.json);
		free(rep.raw);
		return http_send_problem(req, rc, NULL);
	}
	return http_send(req, &rep, false, NULL);
}

static bool http_body_append(struct http_request *req, const char *data, size_t n)
{
	size_t max = req->env->cfg->max_body_bytes;

	if (req->body_too_large || n > max - req->body_len) {
		req->body_too_large = true;
		return false;
	}
	if (req->body_len + n + 1 > req->body_cap) {
		size_t cap = req->body_cap != 0 ? req->body_cap : 4096;
		uint8_t *p;
		while (cap < req->body_len + n + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		p = realloc(req->body, cap);
		if (p == NULL) {
			req->body_too_large = true;
			return false;
		}
		req->body = p;
		req->body_cap = cap;
	}
	memcpy(req->body + req->body_len, data, n);
	req->body_len += n;
	req->body[req->body_len] = '\0';
	return true;
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **req_cls)
{
	struct http_request *req = *req_cls;

	(void)cls;
	(void)url;
	(void)version;
	if (req == NULL)
		return MHD_NO;
	if (!req->started) {
		const char *cl =
		        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		req->started = true;
		req->conn = conn;
		snprintf(req->method, sizeof req->method, "%s", method);
		if (cl != NULL && strtoull(cl, NULL, 10) > req->env->cfg->max_body_bytes) {
			req->body_too_large = true;
			req->dispatched = true;
			return http_dispatch(req); /* answer now; MHD closes after */
		}
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		/*
		 * Past the limit the rest is read and dropped, never stored: this
		 * libmicrohttpd cannot queue a reply in the middle of an upload.
		 * A declared Content-Length over the limit is refused up front.
		 */
		(void)http_body_append(req, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->dispatched)
		return MHD_YES;
	req->dispatched = true;
	return http_dispatch(req);
}

/* Called by MHD with the raw request target before anything else. */
static void *http_uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_request *req = calloc(1, sizeof *req);
	const char *q;
	size_t path_len;

	(void)cls;
	(void)conn;
	if (req == NULL)
		return NULL;
	req->env = http_env_ptr;
	req->started_us = clock_now_us();
	{
		uint8_t rnd[16];
		randombytes_buf(rnd, sizeof rnd);
		sodium_bin2hex(req->request_id, sizeof req->request_id, rnd, sizeof rnd);
	}
	if (strlen(uri) > HTTP_MAX_URI) {
		req->uri_too_long = true;
		snprintf(req->path, sizeof req->path, "/");
		return req;
	}
	q = strchr(uri, '?');
	path_len = q != NULL ? (size_t)(q - uri) : strlen(uri);
	memcpy(req->path, uri, path_len);
	req->path[path_len] = '\0';
	if (q != NULL) {
		req->has_query = true;
		snprintf(req->query, sizeof req->query, "%s", q + 1);
	}
	return req;
}

static void http_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                           enum MHD_RequestTerminationCode toe)
{
	struct http_request *req = *req_cls;

	(void)cls;
	(void)conn;
	if (req == NULL)
		return;
	log_emit(LOG_INFO, "access",
	         json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:s, s:b}", "request_id",
	                   req->request_id, "method", req->method, "path", req->path, "status",
	                   (int)req->status, "bytes_in", (json_int_t)req->body_len, "duration_us",
	                   (json_int_t)(clock_now_us() - req->started_us), "actor", req->actor,
	                   "completed", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK));
	free(req->body);
	free(req->sig);
	free(req->hdr_arena);
	free(req);
	*req_cls = NULL;
}

/*
 * libmicrohttpd's own messages (a client gone mid-response, a malformed
 * request it answers itself) as JSON log lines like ours, not free text on
 * stderr. They describe clients and the network, hence info, not error.
 */
static void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof line, fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_emit(LOG_INFO, "libmicrohttpd", json_pack("{s:s}", "detail", line));
}

int http_start(const struct http_env *env)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	const struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
	                 MHD_ALLOW_SUSPEND_RESUME; /* streams park idle connections */

	http_env_ptr = env;
	memset(&a4, 0, sizeof a4);
	memset(&a6, 0, sizeof a6);
	if (inet_pton(AF_INET, env->cfg->listen_addr, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons(env->cfg->port);
		sa = (const struct sockaddr *)&a4;
	} else {
		inet_pton(AF_INET6, env->cfg->listen_addr, &a6.sin6_addr);
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(env->cfg->port);
		sa = (const struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	}
	http_daemon = MHD_start_daemon(
	        flags, env->cfg->port, NULL, NULL, http_access, NULL, MHD_OPTION_SOCK_ADDR, sa,
	        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)env->cfg->threads,
	        MHD_OPTION_URI_LOG_CALLBACK, http_uri_log, NULL, MHD_OPTION_NOTIFY_COMPLETED,
	        http_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	        (size_t)(64 * 1024), MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, NULL,
	        MHD_OPTION_END);

	if (http_daemon == NULL) {
		log_msg(LOG_ERROR, "cannot listen on %s port %u", env->cfg->listen_addr,
		        (unsigned)env->cfg->port);
		return -1;
	}
	log_emit(LOG_INFO, "listening",
	         json_pack("{s:s, s:i, s:s}", "address", env->cfg->listen_addr, "port",
	                   (int)env->cfg->port, "public_url", env->cfg->public_url));
	return 0;
}

void http_stop(void)

{
	if (http_daemon != NULL) {
		MHD_stop_daemon(http_daemon);
		http_daemon = NULL;
	}
}
