/*
 * h_taxii — TAXII 2.1 endpoints: HTTP in, taxii domain, HTTP out.
 *
 * Each handler first checks Accept (406 when it rules out TAXII 2.1) and
 * marks the reply application/taxii+json;version=2.1; pages also carry
 * X-TAXII-Date-Added-First/Last. No SQL and no cryptography here.
 */
#include "h_taxii.h"

#include <stdio.h>

#include "taxii.h"

/* Accept, then the TAXII media type on the reply. */
static enum err_code h_taxii_start(struct http_request *req, struct http_reply *rep)
{
	if (!taxii_accept_ok(http_header(req, "Accept"))) {
		snprintf(req->err_detail, sizeof req->err_detail,
		         "this API answers only " TAXII_MEDIA_TYPE);
		return ERR_NOT_ACCEPTABLE;
	}
	snprintf(rep->content_type, sizeof rep->content_type, "%s", TAXII_MEDIA_TYPE);
	return ERR_OK;
}

enum err_code h_taxii_discovery(struct http_request *req, struct http_reply *rep)
{
	enum err_code rc = h_taxii_start(req, rep);

	if (rc == ERR_OK && (rep->json = taxii_discovery(req->env->cfg)) == NULL)
		rc = ERR_INTERNAL;
	return rc;
}

enum err_code h_taxii_api_root(struct http_request *req, struct http_reply *rep)
{
	enum err_code rc = h_taxii_start(req, rep);

	if (rc == ERR_OK && (rep->json = taxii_api_root(req->env->cfg)) == NULL)
		rc = ERR_INTERNAL;
	return rc;
}

enum err_code h_taxii_collections(struct http_request *req, struct http_reply *rep)
{
	enum err_code rc = h_taxii_start(req, rep);

	return rc == ERR_OK ? taxii_collections(req->sub.org_id, &rep->json) : rc;
}

enum err_code h_taxii_collection(struct http_request *req, struct http_reply *rep)
{
	enum err_code rc = h_taxii_start(req, rep);

	return rc == ERR_OK ? taxii_collection(req->sub.org_id, req->params[0], &rep->json) : rc;
}

/* A page of `listing`: the envelope and its date headers. */
static enum err_code h_taxii_page(struct http_request *req, struct http_reply *rep,
                                  enum taxii_listing listing)
{
	struct taxii_query q = {
	        http_query(req, "added_after"),
	        http_query(req, "limit"),
	        http_query(req, "next"),
	        http_query(req, "match[id]"),
	        http_query(req, "match[type]"),
	        http_query(req, "match[version]"),
	        http_query(req, "match[spec_version]"),
	};
	bool one_object = listing == TAXII_OBJECT || listing == TAXII_VERSIONS;
	struct taxii_page page;
	enum err_code rc = h_taxii_start(req, rep);

	if (rc != ERR_OK)
		return rc;
	rc = taxii_list(req->env->key, req->sub.org_id, listing, req->params[0],
	                one_object ? req->params[1] : NULL, &q, &page, req->err_detail,
	                sizeof req->err_detail);
	if (rc != ERR_OK)
		return rc;
	rep->json = page.body;
	if (page.first[0] != '\0') {
		(void)http_reply_header(rep, "X-TAXII-Date-Added-First", page.first);
		(void)http_reply_header(rep, "X-TAXII-Date-Added-Last", page.last);
	}
	return ERR_OK;
}

enum err_code h_taxii_objects(struct http_request *req, struct http_reply *rep)
{
	return h_taxii_page(req, rep, TAXII_OBJECTS);
}

enum err_code h_taxii_manifest(struct http_request *req, struct http_reply *rep)
{
	return h_taxii_page(req, rep, TAXII_MANIFEST);
}

enum err_code h_taxii_object(struct http_request *req, struct http_reply *rep)
{
	return h_taxii_page(req, rep, TAXII_OBJECT);
}

enum err_code h_taxii_versions(struct http_request *req, struct http_reply *rep)
{
	return h_taxii_page(req, rep, TAXII_VERSIONS);
}

#define TAXII_ROUTE(pattern, handler)                                                              \
	{                                                                                          \
		"GET", pattern, AUTH_SUBSCRIBER, handler, ERRORS_TAXII                             \
	}

const struct http_route h_taxii_routes[] = {
        TAXII_ROUTE("/taxii2/", h_taxii_discovery),
        TAXII_ROUTE("/taxii2/api/", h_taxii_api_root),
        TAXII_ROUTE("/taxii2/api/collections/", h_taxii_collections),
        TAXII_ROUTE("/taxii2/api/collections/{}/", h_taxii_collection),
        TAXII_ROUTE("/taxii2/api/collections/{}/objects/", h_taxii_objects),
        TAXII_ROUTE("/taxii2/api/collections/{}/manifest/", h_taxii_manifest),
        TAXII_ROUTE("/taxii2/api/collections/{}/objects/{}/", h_taxii_object),
        TAXII_ROUTE("/taxii2/api/collections/{}/objects/{}/versions/", h_taxii_versions),
        {NULL, NULL, AUTH_NONE, NULL, ERRORS_TAXII},
};
