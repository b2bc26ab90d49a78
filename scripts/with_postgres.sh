#!/usr/bin/env bash
# Usage: scripts/with_postgres.sh CMD [ARGS...]
#
# Runs CMD with TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:<port>/backstretch_test
# pointing at a throwaway PostgreSQL cluster, and exits with CMD's status.
#
# - TEST_DATABASE_URL already set: just exec CMD (use that server).
# - Otherwise: find initdb/pg_ctl (PATH, then /usr/lib/postgresql/*/bin; installs the Debian
#   package `postgresql` when missing), create a cluster in a temp dir, listen on 127.0.0.1
#   only (free port; Unix socket inside the temp dir), trust auth on loopback, create the
#   database, run CMD, then always stop the server and delete the temp dir.
# - PostgreSQL refuses to run as root: as root the server runs as the `postgres` user
#   (created when missing); CMD itself runs as the calling user.
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi
if [ -n "${TEST_DATABASE_URL:-}" ]; then
    exec "$@"
fi

say() { echo "with_postgres: $*" >&2; }

find_pg_bin() {
    local initdb dir
    # PATH first (symlinks resolved: /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb).
    if initdb=$(command -v initdb 2>/dev/null); then
        dir=$(dirname "$(readlink -f "$initdb")")
        if [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    fi
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        echo "$dir"
        return 0
    fi
    return 1
}

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if ! PGBIN=$(find_pg_bin); then
    say "PostgreSQL not found; installing the Debian package postgresql"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq </dev/null >&2
    $SUDO apt-get install -y -qq --no-install-recommends postgresql </dev/null >&2
    PGBIN=$(find_pg_bin) || { say "initdb/pg_ctl still not found after installing postgresql"; exit 1; }
fi

# Who runs the server: ourselves, or (as root) an unprivileged user.
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
    PGUSER_OS=postgres
    if ! id -u "$PGUSER_OS" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
            "$PGUSER_OS" >/dev/null 2>&1 || { say "cannot create the $PGUSER_OS user"; exit 1; }
    fi
    if command -v runuser >/dev/null 2>&1; then
        RUN_AS=(runuser -u "$PGUSER_OS" --)
    else
        RUN_AS=(setpriv --reuid="$PGUSER_OS" --regid="$PGUSER_OS" --init-groups --)
    fi
    TMP_PARENT=/tmp   # must be reachable by the postgres user (TMPDIR may be private)
else
    TMP_PARENT=${TMPDIR:-/tmp}
fi

TMP=$(mktemp -d "$TMP_PARENT/pgtest.XXXXXX")
DATA="$TMP/data"
LOG="$TMP/server.log"
STARTED=0

cleanup() {
    local status=$?
    trap - EXIT INT TERM HUP
    if [ "$STARTED" -eq 1 ]; then
        "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

chmod 700 "$TMP"
[ ${#RUN_AS[@]} -eq 0 ] || chown "$PGUSER_OS" "$TMP"

"${RUN_AS[@]}" "$PGBIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --no-locale --no-sync \
    </dev/null >"$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log" >&2; say "initdb failed"; exit 1; }

# Only the loopback address and the private socket; trust on loopback only.
"${RUN_AS[@]}" sh -c "cat > '$DATA/pg_hba.conf'" <<'EOF'
local all all              trust
host  all all 127.0.0.1/32 trust
EOF

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

PORT=""
for _ in 1 2 3 4 5 6 7 8; do
    candidate=$(( 20000 + RANDOM % 40000 ))
    port_in_use "$candidate" && continue
    if "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 20 -s \
        -o "-c listen_addresses=127.0.0.1 -p $candidate -k $TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB" \
        start </dev/null >/dev/null 2>&1; then
        PORT=$candidate
        STARTED=1
        break
    fi
    # Failed (most likely the port was taken meanwhile): make sure nothing is left running.
    "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -m immediate -w -t 5 stop >/dev/null 2>&1 || true
done
if [ -z "$PORT" ]; then
    [ -f "$LOG" ] && tail -n 20 "$LOG" >&2
    say "could not start PostgreSQL"
    exit 1
fi

CREATEDB="$PGBIN/createdb"
[ -x "$CREATEDB" ] || CREATEDB=createdb
"$CREATEDB" -h 127.0.0.1 -p "$PORT" -U postgres backstretch_test </dev/null \
    || { say "createdb failed"; exit 1; }

export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$PORT/backstretch_test"
say "PostgreSQL $("$PGBIN/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$PORT (temporary)"

set +e
"$@"
status=$?
set -e
exit "$status"
