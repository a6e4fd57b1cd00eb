//! The OpenAPI 3.1 document, generated from the list specs (`crates/query` whitelists) so that every
//! filterable column is documented. Committed as `openapi.json` and kept in
//! sync by the `openapi_file_is_current` test (`UPDATE_OPENAPI=1` rewrites it).

use crate::models::{events::EVENTS, logs::LOGS, sessions::SESSIONS};
use query::{Kind, ListSpec, q_dialect::ACTIONS};
use serde_json::{Value, json};

fn filter_parameters<QS, R>(spec: &ListSpec<QS, R>) -> Vec<Value> {
    let mut params = Vec::new();
    for f in &spec.fields {
        for (action, op) in ACTIONS {
            let applies = match op {
                Some(op) => f.allows(*op),
                None => spec.sort(f.name).is_some(),
            };
            if !applies {
                continue;
            }
            let schema = match (*action, f.kind) {
                ("order", _) => json!({"type": "string", "enum": ["asc", "desc"]}),
                ("is", _) => json!({"type": "string", "enum": ["null", "notnull"]}),
                ("in", _) => {
                    json!({"type": "string", "description": "comma-separated values"})
                }
                (_, Kind::Timestamp) => json!({"type": "string", "format": "date-time"}),
                (_, Kind::Uuid) => json!({"type": "string", "format": "uuid"}),
                (_, Kind::Decimal) => json!({"type": "number"}),
                (_, Kind::Enum(values)) => json!({"type": "string", "enum": values}),
                (_, Kind::PrefixedUuid(prefix)) => json!({
                    "type": "string",
                    "description": format!("{prefix}_<32 hex> or a UUID"),
                }),
                _ => json!({"type": "string", "minLength": 1, "maxLength": query::value::MAX_TEXT}),
            };
            params.push(json!({
                "name": format!("q[{}__{action}]", f.name),
                "in": "query",
                "required": false,
                "description": format!("{action} {} ({})", f.name, f.kind.describe()),
                "schema": schema,
            }));
        }
    }
    params.push(json!({"name": "q[page]", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}}));
    params.push(json!({"name": "q[perPage]", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}));
    params
}

fn list_path<QS, R>(r: &ListSpec<QS, R>, item: &str, summary: &str) -> Value {
    json!({
        "get": {
            "summary": summary,
            "operationId": format!("list_{}", r.resource),
            "security": [{"bearer": []}],
            "parameters": filter_parameters(r),
            "responses": {
                "200": {
                    "description": "One page",
                    "headers": {"X-Total-Count-Estimated": {"description": "true when totalCount is the planner's estimate (the exact count exceeded its time budget)", "schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": {
                        "type": "object",
                        "required": [r.resource, "totalCount", "page", "perPage"],
                        "properties": {
                            r.resource: {"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}},
                            "totalCount": {"type": "integer"},
                            "page": {"type": "integer"},
                            "perPage": {"type": "integer"}
                        }
                    }}}
                },
                "400": {"$ref": "#/components/responses/InvalidQ"},
                "401": {"$ref": "#/components/responses/InvalidToken"},
                "405": {"$ref": "#/components/responses/MethodNotAllowed"}
            }
        }
    })
}

fn nullable(t: &str) -> Value {
    json!({"type": [t, "null"]})
}

pub fn document() -> Value {
    let s = |t: &str| json!({"type": t});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Sumidata Partner API",
            "version": "1.0.0",
            "description": "Read-only access to events, logs, sessions and integration health, and the SDK ingest endpoint. Filters: q[field__action]=value with actions eq, not, in, like, gte, lte, is, order (AND-combined)."
        },
        "servers": [{"url": "https://api.sumidata.io"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "sumi_live_… API key"}},
            "responses": {
                "InvalidQ": {"description": "Unknown column, unknown action or wrongly typed value; details.parameter names the parameter", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "InvalidToken": {"description": "Missing or malformed token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "MethodNotAllowed": {"description": "method_not_allowed: another method on this path; Allow lists the ones it answers (GET also answers HEAD)", "headers": {"Allow": {"description": "The methods this path answers", "schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            },
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message", "details", "request_id"], "properties": {
                    "code": s("string"), "message": s("string"), "details": s("object"), "request_id": s("string")}}}},
                "Event": {"type": "object", "properties": {
                    "id": s("string"), "name": s("string"), "payload": {"type": "string", "description": "the free-form payload as a JSON string"},
                    "sessionId": nullable("string"), "externalUserId": nullable("string"), "timestamp": {"type": "string", "format": "date-time"},
                    "url": nullable("string"), "platform": nullable("string"), "browser": nullable("string"), "source": s("string"),
                    "orderId": nullable("string"), "totalAmount": nullable("number"), "currency": nullable("string"), "productId": nullable("string"),
                    "utmSource": nullable("string"), "utmMedium": nullable("string"), "utmCampaign": nullable("string")}},
                "Log": {"type": "object", "properties": {
                    "id": s("string"), "level": {"type": "string", "enum": ["debug", "info", "warn", "error"]}, "message": s("string"),
                    "source": s("string"), "sessionId": nullable("string"), "timestamp": {"type": "string", "format": "date-time"}, "url": nullable("string")}},
                "Session": {"type": "object", "properties": {
                    "id": s("string"), "deviceId": nullable("string"), "externalUserId": nullable("string"), "platform": nullable("string"),
                    "browser": nullable("string"), "utmSource": nullable("string"), "utmMedium": nullable("string"), "utmCampaign": nullable("string"),
                    "referrer": nullable("string"), "landingPage": nullable("string"), "source": s("string"),
                    "startedAt": {"type": "string", "format": "date-time"}, "createdAt": {"type": "string", "format": "date-time"}}},
                "Health": {"type": "object", "properties": {
                    "status": {"type": "string", "enum": ["healthy", "warning", "error"]}, "projectId": s("string"),
                    "lastEventAt": {"type": ["string", "null"], "format": "date-time"}, "lastLogAt": {"type": ["string", "null"], "format": "date-time"},
                    "eventsLastHour": s("integer"), "logsLastHour": s("integer"), "sessionsLastHour": s("integer")}},
                "IngestBatch": {"type": "object", "required": ["projectId"], "properties": {
                    "projectId": {"type": "string", "description": "public project id proj_…"},
                    "sentAt": {"type": "string", "format": "date-time", "description": "client clock at send time; every item timestamp is shifted by receivedAt − sentAt"},
                    "source": {"type": "string", "enum": ["sdk", "backend", "import"], "default": "sdk"},
                    "events": {"type": "array", "maxItems": 500, "items": {"$ref": "#/components/schemas/IngestEvent"}},
                    "logs": {"type": "array", "maxItems": 500, "items": {"$ref": "#/components/schemas/IngestLog"}},
                    "session": {"$ref": "#/components/schemas/IngestSession"}}},
                "IngestEvent": {"type": "object", "required": ["name"], "properties": {
                    "name": s("string"), "messageId": {"type": "string", "description": "client id deduplicating retries (alias clientId)"},
                    "timestamp": {"type": "string", "format": "date-time"}, "payload": {"type": "object", "description": "_category, _feature, _surface are moved to the project dictionary"},
                    "sessionId": {"type": "string", "format": "uuid"}, "externalUserId": s("string"), "url": s("string"), "platform": s("string"), "browser": s("string"),
                    "source": {"type": "string", "enum": ["sdk", "backend", "import"]},
                    "orderId": s("string"), "totalAmount": {"type": ["number", "string"]}, "currency": s("string"), "productId": s("string"),
                    "utmSource": s("string"), "utmMedium": s("string"), "utmCampaign": s("string")}},
                "IngestLog": {"type": "object", "required": ["level", "message"], "properties": {
                    "level": {"type": "string", "enum": ["debug", "info", "warn", "error"]}, "message": s("string"),
                    "messageId": s("string"), "timestamp": {"type": "string", "format": "date-time"},
                    "sessionId": {"type": "string", "format": "uuid"}, "url": s("string"), "source": {"type": "string", "enum": ["sdk", "backend", "import"]}}},
                "IngestSession": {"type": "object", "required": ["id"], "properties": {
                    "id": {"type": "string", "format": "uuid"}, "deviceId": {"type": "string", "format": "uuid"}, "externalUserId": s("string"),
                    "platform": s("string"), "browser": s("string"), "utmSource": s("string"), "utmMedium": s("string"), "utmCampaign": s("string"),
                    "referrer": s("string"), "landingPage": s("string"), "startedAt": {"type": "string", "format": "date-time"},
                    "source": {"type": "string", "enum": ["sdk", "backend", "import"]}}},
                "ItemResult": {"type": "object", "required": ["status"], "properties": {
                    "index": s("integer"), "status": {"type": "string", "enum": ["accepted", "duplicate", "rejected"]},
                    "id": s("string"), "code": s("string"), "field": s("string"), "message": s("string")}},
                "IngestResult": {"type": "object", "properties": {
                    "receivedAt": {"type": "string", "format": "date-time"}, "clockSkewMs": s("integer"),
                    "accepted": s("integer"), "duplicates": s("integer"), "rejected": s("integer"),
                    "events": {"type": "array", "items": {"$ref": "#/components/schemas/ItemResult"}},
                    "logs": {"type": "array", "items": {"$ref": "#/components/schemas/ItemResult"}},
                    "session": {"oneOf": [{"$ref": "#/components/schemas/ItemResult"}, {"type": "null"}]}}}
            }
        },
        "paths": {
            "/api/partner/health": {"get": {
                "summary": "Integration health",
                "operationId": "health",
                "security": [{"bearer": []}],
                "responses": {
                    "200": {"description": "By arrival time (received_at): healthy: last event received within 5 min; warning: within 60 min; error: older or none", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
                    "401": {"$ref": "#/components/responses/InvalidToken"},
                    "405": {"$ref": "#/components/responses/MethodNotAllowed"}
                }
            }},
            "/api/partner/events": list_path(&EVENTS, "Event", "List events"),
            "/api/partner/logs": list_path(&LOGS, "Log", "List logs"),
            "/api/partner/sessions": list_path(&SESSIONS, "Session", "List sessions"),
            "/sdk/ingest": {"options": {
                "summary": "CORS preflight of the ingest (ingest.cors_allowed_origins, * by default)",
                "operationId": "ingestPreflight",
                "security": [],
                "responses": {
                    "204": {"description": "Access-Control-Allow-Origin/-Methods/-Headers when the Origin is allowed", "headers": {"Access-Control-Allow-Origin": {"schema": {"type": "string"}}}}
                }
            }, "post": {
                "summary": "SDK ingest (no bearer; projectId in the body)",
                "operationId": "ingest",
                "requestBody": {"required": true, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/IngestBatch"}},
                    "text/plain": {"schema": {"type": "string", "description": "The same JSON batch; the browser SDK's type (no CORS preflight)"}}
                }},
                "responses": {
                    "200": {"description": "The batch was processed; every item has a status (accepted, duplicate, rejected). Accepted items are durable.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestResult"}}}},
                    "400": {"description": "Malformed batch (invalid_json, validation_failed)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "401": {"description": "invalid_project: unknown or malformed projectId", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "405": {"$ref": "#/components/responses/MethodNotAllowed"},
                    "413": {"description": "payload_too_large: more than 500 items or 1 MB", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "415": {"description": "unsupported_media_type: Content-Type is not application/json, application/vnd.api+json or text/plain", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                }
            }}
        }
    })
}
