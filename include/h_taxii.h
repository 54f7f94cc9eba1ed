/*
 * h_taxii — HTTP handlers of the TAXII 2.1 API under /taxii2/: discovery,
 * the API root, collections, objects, manifest, object by id and versions.
 * Every route requires a subscriber's token (Bearer, or HTTP Basic with the
 * token as password; http.c checks it) and renders errors as TAXII 2.1
 * error messages (ERRORS_TAXII).
 */
#ifndef ISACD_H_TAXII_H
#define ISACD_H_TAXII_H

#include "http.h"

enum err_code h_taxii_discovery(struct http_request *req, struct http_reply *rep);
enum err_code h_taxii_api_root(struct http_request *req, struct http_reply *rep);
enum err_code h_taxii_collections(struct http_request *req, struct http_reply *rep);
enum err_code h_taxii_collection(struct http_request *req, struct http_reply *rep);
enum err_code h_taxii_objects(struct http_request *req, struct http_reply *rep);
enum err_code h_taxii_manifest(struct http_request *req, struct http_reply *rep);
enum err_code h_taxii_object(struct http_request *req, struct http_reply *rep);
enum err_code h_taxii_versions(struct http_request *req, struct http_reply *rep);

#endif
