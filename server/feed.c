/*
 * feed — the publication side of the feeds. Objects are stored one by one
 * for TAXII; the signed bundle bytes stay in bulletin_versions and are
 * served from there unchanged. Never records a RED bulletin: policy never
 * publishes one, and this file refuses it again.
 */
#include "feed.h"

#include <stdlib.h>
#include <string.h>

#include "db_feed.h"
#include "log.h"
#include "report_schema.h"
#include "webhook.h"

/* The version of an object as TAXII names it: modified, else created. */
static const char *feed_object_version(const json_t *o)
{
	const char *v = json_string_value(json_object_get(o, "modified"));

	return v != NULL ? v : json_string_value(json_object_get(o, "created"));
}

static enum err_code feed_objects(PGconn *c, long long seq, const char *tlp, const json_t *bundle)
{
	const json_t *objects = json_object_get(bundle, "objects");
	const char *isac = NULL;
	size_t i;
	json_t *o;

	json_array_foreach(objects, i, o) /* the ISAC: who created the incident */
	        if (strcmp(json_string_value(json_object_get(o, "type")), "incident") == 0) isac =
	                json_string_value(json_object_get(o, "created_by_ref"));
	json_array_foreach(objects, i, o)
	{
		const char *id = json_string_value(json_object_get(o, "id"));
		const char *type = json_string_value(json_object_get(o, "type"));
		const char *version = feed_object_version(o);
		bool shared = strcmp(type, "marking-definition") == 0 ||
		              (isac != NULL && strcmp(id, isac) == 0);
		char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		enum err_code rc;

		if (id == NULL || version == NULL || text == NULL) {
			free(text);
			LOG_BUG("a published object has no id or version");
			return ERR_INTERNAL;
		}
		rc = db_feed_object(c, seq, tlp, id, type, version, shared, text);
		free(text);
		if (rc != ERR_OK)
			return rc;
	}
	return ERR_OK;
}

enum err_code feed_publish(PGconn *c, const char *bulletin_id, int version, const json_t *draft,
                           const char *bundle_bytes)
{
	const char *tlp = json_string_value(json_object_get(draft, "tlp"));
	const char *sector = json_string_value(json_object_get(draft, "sector"));
	struct db_publication p = {
	        bulletin_id,
	        version,
	        tlp,
	        json_string_value(json_object_get(draft, "severity")),
	        json_string_value(json_object_get(draft, "incident_type")),
	        sector != NULL && report_vocab_index(report_sectors, sector) >= 0 ? sector : NULL,
	};
	char published_at[40];
	long long seq = 0;
	json_t *bundle;
	enum err_code rc;

	if (tlp == NULL || strcmp(tlp, "RED") == 0) {
		LOG_BUG("refusing to publish a RED (or unmarked) bulletin");
		return ERR_INTERNAL;
	}
	bundle = json_loads(bundle_bytes, 0, NULL);
	if (bundle == NULL)
		return ERR_INTERNAL;
	rc = db_feed_publication(c, &p, &seq, published_at, sizeof published_at);
	if (rc == ERR_OK)
		rc = feed_objects(c, seq, tlp, bundle);
	if (rc == ERR_OK)
		rc = db_feed_notify(c, seq);
	if (rc == ERR_OK) /* webhook deliveries commit with the publication */
		rc = webhook_enqueue(c, seq);
	json_decref(bundle);
	return rc;
}
