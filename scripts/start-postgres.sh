#!/usr/bin/env bash
# Starts Debian's PostgreSQL cluster on loopback and creates the role and database the batch tests use
# (postgres://mien:mien@127.0.0.1:5432/mien_test). Idempotent; as root. Prints a note and returns 0 when it cannot,
# so the PostgreSQL tests skip with their message instead of failing the whole run.
set -uo pipefail
command -v pg_lsclusters >/dev/null 2>&1 || { echo "note: PostgreSQL is not installed; its tests will skip"; exit 0; }
read -r version cluster _ < <(pg_lsclusters --no-header | head -1)
if [ -z "${version:-}" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1); cluster=main
  pg_createcluster "$version" "$cluster" >/dev/null || { echo "note: cannot create a PostgreSQL cluster"; exit 0; }
fi
pg_ctlcluster "$version" "$cluster" start 2>/dev/null || true
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
su postgres -c "psql -qAt -c \"SELECT 1 FROM pg_roles WHERE rolname = 'mien'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE ROLE mien LOGIN PASSWORD 'mien'\""
su postgres -c "psql -qAt -c \"SELECT 1 FROM pg_database WHERE datname = 'mien_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O mien mien_test"
echo "PostgreSQL $version/$cluster on 127.0.0.1:5432 (database mien_test)"
