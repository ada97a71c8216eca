# Shared by bench/run and bench/profile: starting and stopping PostgreSQL, Breakwater and
# PgBouncer on loopback ports from one generated pgbouncer.ini. Sourced, not run.
# shellcheck shell=bash

BENCH_USER=bench
BENCH_DB=bench
BENCH_PASSWORD=${BENCH_PASSWORD:-bw-bench-secret}
export PGPASSWORD=$BENCH_PASSWORD

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_JAR="$ROOT/breakwater-bench/target/breakwater-bench.jar"
BENCH_CP="$BENCH_JAR:$ROOT/breakwater-bench/target/lib/*"
# The benchmark's own Java clients: small, quick to start, C1 only (they do little work).
CLIENT_JAVA=(java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss256k -cp "$BENCH_CP")

PIDS_TO_STOP=()

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
note() { log "note: $*"; printf '%s\n' "$*" >> "$RAW/notes.txt"; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs a command as the postgres user when we are root (PostgreSQL and PgBouncer refuse root).
as_service_user() {
  if is_root; then
    setpriv --reuid=postgres --regid=postgres --init-groups "$@"
  else
    "$@"
  fi
}

# Free when no TCP socket uses it as its local port, in any state: our ports lie in the kernel's
# ephemeral range, and a client connection's TIME_WAIT left on one (after a burst, say) makes a
# listener's bind fail even with SO_REUSEADDR.
port_free() { [ -z "$(ss -tanH "sport = :$1" 2>/dev/null)" ]; }

free_port() {
  local p=$1
  while ! port_free "$p"; do p=$((p + 1)); done
  echo "$p"
}

# Waits until something listens on the port (a connection's TIME_WAIT left on it, as after a
# restart on the same port, is not a listener).
wait_port() { # port pid what
  local i
  for i in $(seq 1 600); do
    if [ -n "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]; then return 0; fi
    if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then die "$3 exited before listening on $1"; fi
    sleep 0.1
  done
  die "$3 is not listening on $1 after 60 s"
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# A process's user and system CPU so far, in clock ticks (getconf CLK_TCK a second).
cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

stop_pid() { # pid [name] [seconds to wait before SIGKILL, 10]
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 $((${3:-10} * 10))); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "${2:-$pid} did not stop in ${3:-10} s: killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

raise_fd_limit() { # wanted
  local want=$1 hard
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ] && is_root; then
    ulimit -Hn "$want" 2>/dev/null || true
    hard=$(ulimit -Hn)
  fi
  if [ "$hard" = unlimited ] || [ "$hard" -ge "$want" ]; then
    ulimit -n "$want"
  else
    ulimit -n "$hard"
  fi
  ulimit -n
}

# ---- PostgreSQL ----

find_pg_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/postgres" ] && [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  return 1
}

ensure_packages() {
  if find_pg_bin >/dev/null && command -v pgbouncer >/dev/null; then return 0; fi
  if is_root && command -v apt-get >/dev/null; then
    log "installing Debian's postgresql and pgbouncer"
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql pgbouncer) \
      > "$RAW/apt.log" 2>&1 || log "apt-get failed (see $RAW/apt.log)"
  fi
}

# Starts PostgreSQL on $PG_PORT with max_connections $1; sets PG_KIND, PG_PID.
start_postgres() {
  local maxconn=$1 bin
  PG_DATA="$WORK/pgdata"
  if bin=$(find_pg_bin); then
    PG_KIND="debian"
    PG_BIN=$bin
    mkdir -p "$PG_DATA" "$WORK/pgsock"
    touch "$RAW/postgres.log"
    is_root && chown postgres:postgres "$PG_DATA" "$WORK/pgsock" "$RAW/postgres.log"
    as_service_user "$bin/initdb" -D "$PG_DATA" -U postgres -E UTF8 --no-sync \
      --auth-local=trust --auth-host=scram-sha-256 > "$WORK/initdb.log" 2>&1 \
      || die "initdb failed: $(tail -5 "$WORK/initdb.log")"
    cat >> "$PG_DATA/postgresql.conf" <<EOF
# bench/run
listen_addresses = '127.0.0.1'
port = $PG_PORT
max_connections = $maxconn
shared_buffers = 256MB
unix_socket_directories = '$WORK/pgsock'
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 2GB
log_min_messages = warning
log_line_prefix = '%m [%p] '
EOF
    cat > "$PG_DATA/pg_hba.conf" <<EOF
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
EOF
    as_service_user "$bin/pg_ctl" -D "$PG_DATA" -l "$RAW/postgres.log" -w -t 120 start > /dev/null \
      || die "PostgreSQL did not start: $(tail -5 "$RAW/postgres.log")"
    PG_PID=$(head -1 "$PG_DATA/postmaster.pid")
  else
    PG_KIND="embedded"
    PG_BIN=""
    log "no PostgreSQL on this machine: starting the embedded PostgreSQL 17"
    "${CLIENT_JAVA[@]}" dev.breakwater.bench.client.EmbeddedPostgresMain --port "$PG_PORT" \
      --dir "$PG_DATA" --max-connections "$maxconn" > "$WORK/embedded-pg.out" 2> "$RAW/postgres.log" &
    EMBEDDED_PG_PID=$!
    PIDS_TO_STOP+=("$EMBEDDED_PG_PID")
    local i
    for i in $(seq 1 600); do
      grep -q READY "$WORK/embedded-pg.out" 2>/dev/null && break
      kill -0 "$EMBEDDED_PG_PID" 2>/dev/null || die "embedded PostgreSQL failed: $(tail -5 "$RAW/postgres.log")"
      sleep 0.2
    done
    PG_PID=$(head -1 "$PG_DATA/postmaster.pid")
  fi
}

stop_postgres() {
  if [ "${PG_KIND:-}" = debian ] && [ -f "$PG_DATA/postmaster.pid" ]; then
    as_service_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop > /dev/null 2>&1 || true
  elif [ -n "${EMBEDDED_PG_PID:-}" ]; then
    stop_pid "$EMBEDDED_PG_PID" "embedded PostgreSQL"
  fi
}

psql_super() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }

# The bench user and database, pgbench's tables at scale $1, and the user's SCRAM verifier.
setup_database() {
  local scale=$1
  psql_super -d postgres -c "CREATE ROLE $BENCH_USER LOGIN PASSWORD '$BENCH_PASSWORD'" \
    -c "CREATE DATABASE $BENCH_DB OWNER $BENCH_USER" > /dev/null
  pgbench -i -q -s "$scale" -h 127.0.0.1 -p "$PG_PORT" -U "$BENCH_USER" "$BENCH_DB" \
    > "$WORK/pgbench-init.log" 2>&1 || die "pgbench -i failed: $(tail -5 "$WORK/pgbench-init.log")"
  BENCH_VERIFIER=$(psql_super -d postgres -Atc "SELECT rolpassword FROM pg_authid WHERE rolname = '$BENCH_USER'")
  case $BENCH_VERIFIER in SCRAM-SHA-256*) ;; *) die "the bench user has no SCRAM secret: $BENCH_VERIFIER" ;; esac
}

# ---- The poolers: one pgbouncer.ini, two listeners ----

# Writes $WORK/common.ini, the configuration both poolers share, and from it one pgbouncer.ini per
# pooler that adds only listen_port, logfile and pidfile at the top of [pgbouncer]. (Not with
# %include: PgBouncer 1.18 resets settings when it meets [pgbouncer] a second time.)
write_pooler_configs() { # max_client_conn extra-settings...
  local maxclients=$1
  shift
  printf '"%s" "%s"\n' "$BENCH_USER" "$BENCH_VERIFIER" > "$WORK/userlist.txt"
  cat > "$WORK/common.ini" <<EOF
; Generated by bench/run: the configuration both poolers share.
[databases]
$BENCH_DB = host=127.0.0.1 port=$PG_PORT dbname=$BENCH_DB

[pgbouncer]
listen_addr = 127.0.0.1
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $WORK/userlist.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = $maxclients
log_connections = 0
log_disconnections = 0
EOF
  local s
  for s in "$@"; do echo "$s" >> "$WORK/common.ini"; done
  local p port
  for p in breakwater pgbouncer; do
    if [ $p = breakwater ]; then port=$BW_PORT; else port=$PGB_PORT; fi
    # BENCH_BREAKWATER_SETTINGS: extra lines for Breakwater's [pgbouncer] section alone (its own
    # settings, which PgBouncer would refuse), e.g. "tls_provider = jdk" for an A/B run.
    local own=""
    [ $p = breakwater ] && own=${BENCH_BREAKWATER_SETTINGS:-}
    awk -v port="$port" -v logf="$RAW/$p.log" -v pidf="$WORK/pgsock/$p.pid" -v own="$own" '
      { print }
      /^\[pgbouncer\]$/ { print "listen_port = " port; print "logfile = " logf; print "pidfile = " pidf; if (own != "") print own }
    ' "$WORK/common.ini" > "$WORK/$p.ini"
  done
  is_root && chown postgres:postgres "$WORK/userlist.txt" "$WORK"/*.ini && touch "$RAW/pgbouncer.log" \
    && chown postgres:postgres "$RAW/pgbouncer.log"
  return 0
}

# Runs bin/breakwater as a user would: its own JVM options unless BENCH_BREAKWATER_JAVA_OPTS is set.
# Sets BW_PID and BW_JAVA_OPTS (the options the JVM was actually given).
start_breakwater() {
  if [ -n "${BENCH_BREAKWATER_JAVA_OPTS:-}" ]; then
    BREAKWATER_JAVA_OPTS="$BENCH_BREAKWATER_JAVA_OPTS" "$ROOT/bin/breakwater" "$WORK/breakwater.ini" \
      >> "$RAW/breakwater.out" 2>&1 &
  else
    env -u BREAKWATER_JAVA_OPTS "$ROOT/bin/breakwater" "$WORK/breakwater.ini" >> "$RAW/breakwater.out" 2>&1 &
  fi
  BW_PID=$!
  PIDS_TO_STOP+=("$BW_PID")
  wait_port "$BW_PORT" "$BW_PID" Breakwater
  # bin/breakwater runs the JVM as its child: CPU, memory and jcmd are the JVM's.
  local jvm
  jvm=$(pgrep -P "$BW_PID" -x java | head -1 || true)
  [ -z "$jvm" ] || BW_PID=$jvm
  BW_JAVA_OPTS=$(tr '\0' ' ' < "/proc/$BW_PID/cmdline" | sed -e 's/^[^ ]*java //' -e 's/ -cp .*//')
}

start_pgbouncer() {
  if ! command -v pgbouncer > /dev/null; then
    PGB_PID=""
    return 1
  fi
  # Started directly (not through a function), so that $! is PgBouncer itself.
  if is_root; then
    setpriv --reuid=postgres --regid=postgres --init-groups pgbouncer "$WORK/pgbouncer.ini" \
      > "$RAW/pgbouncer.out" 2>&1 &
  else
    pgbouncer "$WORK/pgbouncer.ini" > "$RAW/pgbouncer.out" 2>&1 &
  fi
  PGB_PID=$!
  PIDS_TO_STOP+=("$PGB_PID")
  wait_port "$PGB_PORT" "$PGB_PID" PgBouncer
}

# PgBouncer learned max_prepared_statements (prepared statements in transaction mode) in 1.21.
pgbouncer_version() { pgbouncer --version 2>/dev/null | awk 'NR == 1 {print $2}'; }
# shellcheck source=bench/jit.sh
source "$(dirname "${BASH_SOURCE[0]}")/jit.sh"
# The commit Breakwater was built from, with "+changes" when its sources differ from it.
breakwater_commit() {
  (cd "$ROOT" && echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- breakwater-server breakwater-protocol || echo "+changes")")
}
pgbouncer_supports_prepared() {
  local v major minor
  v=$(pgbouncer_version)
  major=${v%%.*}
  minor=${v#*.}
  minor=${minor%%.*}
  [ -n "$v" ] && { [ "$major" -gt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -ge 21 ]; }; }
}

stop_all() {
  local pid
  for pid in "${PIDS_TO_STOP[@]}"; do
    [ -n "$pid" ] && stop_pid "$pid"
  done
  PIDS_TO_STOP=()
  stop_postgres
}
