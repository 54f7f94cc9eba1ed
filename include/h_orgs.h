/*
 * h_orgs — coordinator endpoints of organizations, operator keys and token
 * rotation: the directory, creation, key registration and rotation, key
 * revocation, token rotation.
 */
#ifndef ISACD_H_ORGS_H
#define ISACD_H_ORGS_H

#include "http.h"

enum err_code h_orgs_list(struct http_request *req, struct http_reply *rep);
enum err_code h_orgs_create(struct http_request *req, struct http_reply *rep);
enum err_code h_orgs_key_add(struct http_request *req, struct http_reply *rep);
enum err_code h_orgs_key_revoke(struct http_request *req, struct http_reply *rep);
enum err_code h_orgs_token_rotate(struct http_request *req, struct http_reply *rep);

#endif
