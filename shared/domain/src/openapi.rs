//! The published contract of the summary API: OpenAPI 3.1, generated here so
//! that its event and window lists come from the catalog and the window keys.
//! `docs/summary.openapi.json` is this value, rendered; a test keeps it in step.

use crate::events::CATALOG;
use crate::window::WindowKey;
use serde_json::{Value, json};

/// The OpenAPI document of `GET /summary`.
pub fn summary_openapi() -> Value {
    let events: Vec<&str> = CATALOG.iter().map(|spec| spec.name).collect();
    let windows: Vec<&str> = WindowKey::ALL.iter().map(WindowKey::as_str).collect();
    let families = CATALOG.len();
    json!({
      "openapi": "3.1.0",
      "info": {
        "title": "Adoption ledger summary API",
        "version": "1.0.0",
        "description": "Aggregate product adoption for the internal system dashboard. Aggregate only: no response carries a tenant, workspace, actor or event identifier. Requests are SigV4-signed (API Gateway AWS_IAM authorization); unsigned or unauthorised calls get 403 from the gateway and unknown routes 404."
      },
      "servers": [{"url": "https://{apiId}.execute-api.{region}.amazonaws.com", "variables": {"apiId": {"default": "abc123"}, "region": {"default": "eu-west-1"}}}],
      "security": [{"sigv4": []}],
      "paths": {
        "/summary": {
          "get": {
            "operationId": "getSummary",
            "summary": "Counts per catalog event and active workspaces for a window",
            "parameters": [
              {
                "name": "window",
                "in": "query",
                "required": false,
                "description": "Window ending now; only windows no longer than RETENTION_DAYS are allowed.",
                "schema": {"type": "string", "enum": windows, "default": "7d"}
              }
            ],
            "responses": {
              "200": {"description": "The summary", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Summary"}}}},
              "400": {"description": "Unknown, repeated or too long window", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "403": {"description": "Unsigned or unauthorised (answered by API Gateway)", "content": {"application/json": {"schema": {"type": "object", "properties": {"message": {"type": "string"}}}}}},
              "404": {"description": "Unknown route", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "405": {"description": "Method other than GET", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "500": {"description": "The ledger could not be read; the body is generic", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "503": {"description": "The read took longer than its budget (roll-ups being rebuilt after a deploy, or a slow store): retry after the Retry-After header's seconds", "headers": {"Retry-After": {"schema": {"type": "integer"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        }
      },
      "components": {
        "securitySchemes": {
          "sigv4": {"type": "apiKey", "name": "Authorization", "in": "header", "description": "AWS Signature Version 4 for service execute-api"}
        },
        "schemas": {
          "Timestamp": {
            "type": "string",
            "description": "UTC, RFC 3339, millisecond precision",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"
          },
          "Summary": {
            "type": "object",
            "additionalProperties": false,
            "required": ["window", "families", "active_workspaces", "total", "generated_at"],
            "properties": {
              "window": {
                "type": "object",
                "additionalProperties": false,
                "required": ["key", "start", "end", "bucket"],
                "properties": {
                  "key": {"type": "string", "enum": windows},
                  "start": {"$ref": "#/components/schemas/Timestamp"},
                  "end": {"$ref": "#/components/schemas/Timestamp"},
                  "bucket": {"type": "string", "enum": ["hour", "day"]}
                }
              },
              "families": {
                "type": "array",
                "minItems": families,
                "maxItems": families,
                "description": format!("Always the {families} catalog events, in catalog order"),
                "items": {"$ref": "#/components/schemas/Family"}
              },
              "active_workspaces": {"type": "integer", "minimum": 0, "description": "Distinct (tenant, workspace) pairs with a milestone in the window"},
              "total": {"type": "integer", "minimum": 0},
              "generated_at": {"$ref": "#/components/schemas/Timestamp"}
            }
          },
          "Family": {
            "type": "object",
            "additionalProperties": false,
            "required": ["event", "feature_area", "label", "count", "last_seen_at", "buckets"],
            "properties": {
              "event": {"type": "string", "enum": events},
              "feature_area": {"type": "string"},
              "label": {"type": "string"},
              "count": {"type": "integer", "minimum": 0},
              "last_seen_at": {"oneOf": [{"$ref": "#/components/schemas/Timestamp"}, {"type": "null"}]},
              "buckets": {
                "type": "array",
                "description": "Zero-filled UTC buckets from the one holding start to the one holding end",
                "items": {
                  "type": "object",
                  "additionalProperties": false,
                  "required": ["start", "count"],
                  "properties": {"start": {"$ref": "#/components/schemas/Timestamp"}, "count": {"type": "integer", "minimum": 0}}
                }
              }
            }
          },
          "Error": {
            "type": "object",
            "additionalProperties": false,
            "required": ["error"],
            "properties": {
              "error": {
                "type": "object",
                "additionalProperties": false,
                "required": ["code", "message"],
                "properties": {
                  "code": {"type": "string", "enum": ["invalid_window", "window_exceeds_retention", "not_found", "method_not_allowed", "internal", "summary_unavailable"]},
                  "message": {"type": "string"},
                  "allowed_windows": {"type": "array", "items": {"type": "string", "enum": windows}}
                }
              }
            }
          }
        }
      }
    })
}
