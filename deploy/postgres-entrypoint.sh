#!/bin/sh
# The postgres image's entrypoint: on first start, initdb the empty volume (superuser `pulse`,
# password POSTGRES_PASSWORD, database `pulse`); then run postgres in the foreground, listening on
# the compose network with password (scram-sha-256) authentication for every remote client.
set -eu
[ -n "${POSTGRES_PASSWORD:-}" ] || {
    echo "postgres: set POSTGRES_PASSWORD in .env (letters and digits: it goes into DATABASE_URL)" >&2
    exit 2
}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb -D "$PGDATA" -U pulse --pwfile="$pwfile" -E UTF8 --no-locale \
        --auth-local=trust --auth-host=scram-sha-256
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    echo "CREATE DATABASE pulse" | postgres --single -D "$PGDATA" postgres >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*'
