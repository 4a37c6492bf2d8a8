#!/usr/bin/env bash
# Writes Sources/MienServer/OpenAPIDocument.swift from docs/openapi.json (the served copy; OpenAPITests checks they match).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import json; json.load(open('docs/openapi.json'))"
{ printf '/// docs/openapi.json, served at `GET /openapi.json` (OpenAPITests checks the two are the same and match the routes).\nenum OpenAPIDocument {\n    static let json = #"""\n'
  cat docs/openapi.json
  printf '"""#\n}\n'; } > Sources/MienServer/OpenAPIDocument.swift
