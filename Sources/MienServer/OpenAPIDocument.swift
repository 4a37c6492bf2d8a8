/// docs/openapi.json, served at `GET /openapi.json` (OpenAPITests checks the two are the same and match the routes).
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Mien API",
    "version": "1.0.0",
    "description": "Facial expression and movement analysis over HTTP (`mien serve`). Expression estimates describe facial expressions as annotators label them, not felt emotions. Every error is {\"error\": {\"code\", \"message\"}}. docs/SERVER.md explains keys, purposes and limits."
  },
  "servers": [{"url": "http://127.0.0.1:8080"}],
  "security": [{}, {"bearerAuth": []}],
  "paths": {
    "/": {
      "get": {
        "summary": "The web page (HTML, CSS, JS from the binary).",
        "security": [],
        "responses": {"200": {"description": "The page.", "content": {"text/html": {"schema": {"type": "string"}}}}}
      }
    },
    "/healthz": {
      "get": {
        "summary": "Liveness and load.",
        "security": [],
        "responses": {"200": {"description": "Serving.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics (text format): requests, latencies, queue depth, faces, refusals.",
        "security": [],
        "responses": {"200": {"description": "Metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}}}
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document.",
        "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    },
    "/v1/notice": {
      "get": {
        "summary": "The notice shown to people before anything is analysed (operator, purpose, what is inferred).",
        "security": [],
        "responses": {"200": {"description": "Notice.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Notice"}}}}}
      }
    },
    "/v1/analyze": {
      "post": {
        "summary": "Analyse one image: the mien/1 document of `mien analyze --json`.",
        "parameters": [
          {"name": "blendshapes", "in": "query", "description": "52 blendshape coefficients and iris gaze per face (movement, not emotion); default: on when the server loaded the face mesh.", "schema": {"type": "boolean"}},
          {"name": "body", "in": "query", "description": "Each face's body: 33 keypoints and body movement (shoulder height and tilt, lean, hand-to-face contact; movement, not emotion). Off by default; a server started without `mien serve --body` answers 400 body_off.", "schema": {"type": "boolean"}},
          {"name": "measures_only", "in": "query", "schema": {"type": "boolean"}, "description": "Landmarks, pose and movement only; no expression inference."},
          {"name": "landmarks", "in": "query", "schema": {"type": "boolean"}, "description": "Include the 68 landmark points (default true)."},
          {"name": "annotated", "in": "query", "schema": {"type": "string", "enum": ["png", "jpeg"]}, "description": "Also answer the picture with boxes and labels drawn, as a data URL in annotated_image."},
          {"name": "prior", "in": "query", "schema": {"type": "string", "enum": ["natural", "balanced"]}, "description": "Class prior of the expression estimates (default natural; Models/MODEL_CARD.md, \"Prior\")."},
          {"name": "label_set", "in": "query", "schema": {"type": "string", "enum": ["perceived", "intended"]}, "description": "Label set of the expression estimates: perceived (what FER+'s raters saw, 8 classes; default) or intended (what the photo was meant to show, FER2013's labels, 7 classes; Models/MODEL_CARD.md, \"Cross-dataset\")."},
          {"name": "source", "in": "query", "schema": {"type": "string", "maxLength": 200}, "description": "A label for the input in the answer and the audit log."}
        ],
        "requestBody": {"required": true, "content": {
          "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
          "image/png": {"schema": {"type": "string", "format": "binary"}},
          "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
          "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}}
        }},
        "responses": {
          "200": {"description": "The analysis.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AnalysisDocument"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "408": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "415": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "429": {"$ref": "#/components/responses/Retry"},
          "503": {"$ref": "#/components/responses/Retry"}
        }
      }
    },
    "/v1/voice": {
      "post": {
        "summary": "Analyse one audio file: the document of `mien voice --json`.",
        "parameters": [
          {"name": "measures_only", "in": "query", "schema": {"type": "boolean"}}
        ],
        "requestBody": {"required": true, "content": {
          "audio/wav": {"schema": {"type": "string", "format": "binary"}},
          "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
          "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}}
        }},
        "responses": {
          "200": {"description": "The voice analysis.", "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "408": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "429": {"$ref": "#/components/responses/Retry"},
          "503": {"$ref": "#/components/responses/Retry"}
        }
      }
    },
    "/v1/videos": {
      "post": {
        "summary": "Upload a video (raw body) for analysis; answers 202 with the job.",
        "parameters": [
          {"name": "measures_only", "in": "query", "schema": {"type": "boolean"}}
        ],
        "requestBody": {"required": true, "content": {
          "video/mp4": {"schema": {"type": "string", "format": "binary"}},
          "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
        }},
        "responses": {
          "202": {"description": "Queued.", "headers": {"Location": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VideoJob"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "403": {"$ref": "#/components/responses/Error"},
          "408": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "415": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "429": {"$ref": "#/components/responses/Retry"},
          "503": {"$ref": "#/components/responses/Retry"}
        }
      }
    },
    "/v1/videos/{id}": {
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "get": {
        "summary": "A video job: state (queued, running, done, failed) and progress.",
        "responses": {
          "200": {"description": "The job.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VideoJob"}}}},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "429": {"$ref": "#/components/responses/Retry"}
        }
      },
      "delete": {
        "summary": "Delete a job and its files.",
        "responses": {
          "204": {"description": "Deleted."},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "429": {"$ref": "#/components/responses/Retry"}
        }
      }
    },
    "/v1/videos/{id}/result": {
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "get": {
        "summary": "The result of a done job: per-frame JSON lines, CSV, or the HTML timeline report.",
        "parameters": [{"name": "format", "in": "query", "schema": {"type": "string", "enum": ["jsonl", "csv", "html"]}}],
        "responses": {
          "200": {"description": "The result file.", "content": {
            "application/x-ndjson": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}}
          }},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "404": {"$ref": "#/components/responses/Error"},
          "409": {"$ref": "#/components/responses/Error"},
          "429": {"$ref": "#/components/responses/Retry"}
        }
      }
    },
    "/v1/live": {
      "get": {
        "summary": "WebSocket: send JPEG frames as binary messages, get one JSON message per analysed frame (the `mien live` document) plus the count of dropped frames. Key as ?token= or the mien_token cookie. A plain GET answers 426.",
        "parameters": [{"name": "token", "in": "query", "schema": {"type": "string"}},
          {"name": "measures_only", "in": "query", "description": "Movement measures only, no expression estimates.", "schema": {"type": "boolean"}},
          {"name": "blendshapes", "in": "query", "description": "Fit the face mesh: 52 blendshape coefficients, iris gaze, blinks and looks away per track (movement, not emotion). Off by default: it halves the frames a connection analyses.", "schema": {"type": "boolean"}},
          {"name": "blendshapes_every", "in": "query", "description": "With the mesh: fit it on every Kth analysed frame of a track (and on blink candidates), carrying values between; implies blendshapes=true.", "schema": {"type": "integer", "minimum": 1, "maximum": 300}},
          {"name": "body", "in": "query", "description": "Body keypoints and body movement per track, with hand-to-face events and gesture energy (movement, not emotion). Off by default; a server started without `mien serve --body` refuses the upgrade with HTTP 400 (empty body).", "schema": {"type": "boolean"}},
          {"name": "body_every", "in": "query", "description": "With body keypoints: find them on every Kth analysed frame, carrying values between (body_frame says which); implies body=true. Default 5.", "schema": {"type": "integer", "minimum": 1, "maximum": 300}}],
        "responses": {
          "101": {"description": "Switching to the WebSocket protocol."},
          "400": {"$ref": "#/components/responses/Error"},
          "401": {"$ref": "#/components/responses/Error"},
          "426": {"$ref": "#/components/responses/Error"}
        }
      }
    }
  },
  "components": {
    "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API key from `mien keys create`; its declared purpose decides what the key may have."}},
    "responses": {
      "Error": {"description": "An error a person can act on.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Retry": {"description": "Busy or rate limited: retry after the given seconds.", "headers": {"Retry-After": {"schema": {"type": "string"}, "required": true}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "schemas": {
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
      "Health": {"type": "object", "required": ["status", "engine_load_seconds", "instances", "running", "waiting", "admitted", "capacity", "blendshapes", "body"],
                 "properties": {"status": {"type": "string"}, "engine_load_seconds": {"type": "number"}, "instances": {"type": "integer"}, "running": {"type": "integer"}, "waiting": {"type": "integer"}, "admitted": {"type": "integer"}, "capacity": {"type": "integer"},
                                "blendshapes": {"type": "boolean", "description": "the face mesh is loaded (blendshapes and iris gaze)"}, "body": {"type": "boolean", "description": "the body keypoint models are loaded (mien serve --body)"}}},
      "Notice": {"type": "object", "required": ["title", "operator_name", "purpose", "sections"],
                 "properties": {"title": {"type": "string"}, "operator_name": {"type": "string"}, "purpose": {"type": "string"},
                                "sections": {"type": "array", "items": {"type": "object", "required": ["title", "text"], "properties": {"title": {"type": "string"}, "text": {"type": "string"}}}}}},
      "AnalysisDocument": {"type": "object", "required": ["schema", "generator", "outputs", "notice", "images", "errors"],
        "properties": {
          "schema": {"const": "mien/1"}, "generator": {"type": "string"}, "purpose": {"type": "string"},
          "outputs": {"type": "array", "items": {"type": "string", "enum": ["measures", "expressions"]}},
          "model": {"type": "string"}, "notice": {"type": "string"},
          "images": {"type": "array", "items": {"type": "object", "required": ["source", "width", "height", "faces"],
            "properties": {"source": {"type": "string"}, "width": {"type": "integer"}, "height": {"type": "integer"},
                           "faces": {"type": "array", "items": {"type": "object", "required": ["box", "score"]}}}}},
          "errors": {"type": "array", "items": {"type": "object", "required": ["source", "error"]}},
          "annotated_image": {"type": "string", "description": "data:image/png;base64,… when annotated= was given"}
        }},
      "VideoJob": {"type": "object", "required": ["id", "state", "progress", "frames_analysed", "frames_expected", "created", "updated"],
        "properties": {"id": {"type": "string"}, "state": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
                       "progress": {"type": "number", "minimum": 0, "maximum": 1}, "frames_analysed": {"type": "integer"},
                       "frames_expected": {"type": "integer"}, "created": {"type": "string"}, "updated": {"type": "string"},
                       "failure": {"type": "string"}, "results": {"type": "object", "additionalProperties": {"type": "string"}}}}
    }
  }
}
"""#
}
