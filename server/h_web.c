/*
 * h_web — the dashboard's static files, from the binary itself.
 *
 * Names are matched exactly against embed_web[] (basenames of web/ files), so no
 * request reaches the filesystem and no path can escape. Bodies are copied:
 * http_send frees rep->raw.
 */
#include "h_web.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"

static const struct {
	const char *ext;
	const char *type;
} h_web_types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
};

const char *h_web_content_type(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof h_web_types / sizeof h_web_types[0]; i++) {
		size_t e = strlen(h_web_types[i].ext);
		if (n > e && strcmp(name + n - e, h_web_types[i].ext) == 0)
			return h_web_types[i].type;
	}
	return "application/octet-stream";
}

/* The headers every dashboard response carries, on top of http.c's own. */
static void h_web_headers(struct http_reply *rep)
{
	(void)http_reply_header(rep, "Content-Security-Policy", H_WEB_CSP);
	(void)http_reply_header(rep, "Referrer-Policy", "no-referrer");
	(void)http_reply_header(rep, "X-Frame-Options", "DENY");
}

/* rep->raw := a malloc'd copy of data[0..len). */
static enum err_code h_web_body(struct http_reply *rep, const void *data, size_t len,
                                const char *type)
{
	rep->raw = malloc(len > 0 ? len : 1);
	if (rep->raw == NULL)
		return ERR_INTERNAL;
	memcpy(rep->raw, data, len);
	rep->raw_len = len;
	snprintf(rep->content_type, sizeof rep->content_type, "%s", type);
	return ERR_OK;
}

/*
 * A file of the binary: revalidated on every use (Cache-Control: no-cache)
 * by its ETag, a hash of its bytes, so a browser keeps a copy and an
 * upgraded server is seen at once; a matching If-None-Match gets 304.
 */
static enum err_code h_web_file(struct http_request *req, struct http_reply *rep,
                                const struct embed_file *f)
{
	uint8_t hash[16];
	char etag[2 * sizeof hash + 3];
	const char *match = http_header(req, "If-None-Match");

	crypto_generichash(hash, sizeof hash, f->data, f->len, NULL, 0);
	etag[0] = '"';
	sodium_bin2hex(etag + 1, sizeof etag - 2, hash, sizeof hash);
	memcpy(etag + 1 + 2 * sizeof hash, "\"", 2);
	if (http_reply_header(rep, "ETag", etag) != 0 ||
	    http_reply_header(rep, "Cache-Control", "no-cache") != 0)
		return ERR_INTERNAL;
	if (match != NULL && strcmp(match, etag) == 0) {
		rep->status = 304;
		return h_web_body(rep, "", 0, h_web_content_type(f->name));
	}
	return h_web_body(rep, f->data, f->len, h_web_content_type(f->name));
}

static enum err_code h_web_serve(struct http_request *req, struct http_reply *rep, const char *name)
{
	json_t *problem;
	char *text;
	enum err_code rc;

	h_web_headers(rep);
	for (const struct embed_file *f = embed_web; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return h_web_file(req, rep, f);

	/* a problem like any 404, built here so it keeps the headers above */
	problem = problem_json(ERR_NOT_FOUND, "no such dashboard file", NULL, req->request_id);
	text = problem != NULL ? json_dumps(problem, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(problem);
	if (text == NULL)
		return ERR_INTERNAL;
	rc = h_web_body(rep, text, strlen(text), "application/problem+json");
	free(text);
	rep->status = problem_status(ERR_NOT_FOUND);
	return rc;
}

enum err_code h_web_redirect(struct http_request *req, struct http_reply *rep)
{
	static const char body[] = "See /dashboard/\n";

	(void)req;
	h_web_headers(rep);
	rep->status = 308;
	snprintf(rep->location, sizeof rep->location, "/dashboard/");
	return h_web_body(rep, body, sizeof body - 1, "text/plain; charset=utf-8");
}

enum err_code h_web_index(struct http_request *req, struct http_reply *rep)
{
	return h_web_serve(req, rep, "index.html");
}

enum err_code h_web_asset(struct http_request *req, struct http_reply *rep)
{
	return h_web_serve(req, rep, req->params[0]);
}

const struct http_route h_web_routes[] = {
        {"GET", "/dashboard", AUTH_NONE, h_web_redirect, ERRORS_PROBLEM},
        {"HEAD", "/dashboard", AUTH_NONE, h_web_redirect, ERRORS_PROBLEM},
        {"GET", "/dashboard/", AUTH_NONE, h_web_index, ERRORS_PROBLEM},
        {"HEAD", "/dashboard/", AUTH_NONE, h_web_index, ERRORS_PROBLEM},
        {"GET", "/dashboard/{}", AUTH_NONE, h_web_asset, ERRORS_PROBLEM},
        {"HEAD", "/dashboard/{}", AUTH_NONE, h_web_asset, ERRORS_PROBLEM},
        {NULL, NULL, AUTH_NONE, NULL, ERRORS_PROBLEM},
};
