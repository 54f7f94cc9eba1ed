/*
 * h_reports — operator report endpoints: HTTP in, report domain, HTTP out.
 * No SQL and no cryptography here: auth has verified the signature before
 * these run, and report does the storing.
 */
#include "h_reports.h"

#include <stdio.h>
#include <string.h>

#include "report.h"
#include "report_schema.h"

enum err_code h_reports_create(struct http_request *req, struct http_reply *rep)
{
	struct report_submission sub;
	struct report_accepted acc;
	struct jspec_error verr;
	json_t *doc = NULL;
	enum err_code rc;

	rc = http_json_body(req, &doc);
	if (rc != ERR_OK)
		goto out;
	if (!report_schema_validate(doc, &verr)) {
		rc = verr.code;
		snprintf(req->err_pointer, sizeof req->err_pointer, "%s", verr.pointer);
		snprintf(req->err_detail, sizeof req->err_detail, "%s", verr.detail);
		goto out;
	}
	sub.op = &req->op;
	sub.signature_base = req->sig->base;
	sub.body = req->body;
	sub.body_len = req->body_len;
	sub.doc = doc;
	rc = report_ingest(req->env->key, &sub, &acc);
	if (rc == ERR_UNKNOWN_INCIDENT) {
		snprintf(req->err_pointer, sizeof req->err_pointer, "/incident_id");
		snprintf(req->err_detail, sizeof req->err_detail,
		         "no incident with this id was reported by your organization");
	}
	if (rc != ERR_OK)
		goto out;
	rep->status = 201;
	rep->json = report_accepted_json(req->env->key, &acc);
	snprintf(rep->location, sizeof rep->location, "/v1/reports/%s", acc.id);
out:
	json_decref(doc);
	return rc;
}

enum err_code h_reports_get(struct http_request *req, struct http_reply *rep)
{
	enum err_code rc = auth_operator_consume(&req->op);

	if (rc == ERR_OK)
		rc = report_get(req->env->key, req->params[0], req->op.org_id, &rep->json);
	return rc;
}

enum err_code h_incidents_get(struct http_request *req, struct http_reply *rep)
{
	enum err_code rc = auth_operator_consume(&req->op);

	if (rc == ERR_OK)
		rc = report_incident_get(req->params[0], req->op.org_id, &rep->json);
	return rc;
}

const struct http_route h_reports_routes[] = {
        {"POST", "/v1/reports", AUTH_OPERATOR, h_reports_create, ERRORS_PROBLEM},
        {"GET", "/v1/reports/{}", AUTH_OPERATOR, h_reports_get, ERRORS_PROBLEM},
        {"GET", "/v1/incidents/{}", AUTH_OPERATOR, h_incidents_get, ERRORS_PROBLEM},
        {NULL, NULL, AUTH_NONE, NULL, ERRORS_PROBLEM},
};
