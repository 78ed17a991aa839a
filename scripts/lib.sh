# Shared helpers of scripts/run and scripts/test: each `ensure_*` installs or starts
# what is missing and is quiet when everything is already there.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
TRUNK_VERSION="0.21.14"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# The wasm-bindgen version the app is locked to; wasm-bindgen-cli must match it exactly.
locked_wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

# The app's size against its targets and what in it is big: the same build optimised
# again with its function names kept (wasm-opt -g), read by scripts/wasm_profile.py.
profile_frontend() {
  local served named
  served="$(ls "$ROOT"/frontend/dist/*_bg.wasm)"
  named="$(mktemp -d)"
  wasm-bindgen --target web --keep-debug --out-dir "$named" \
    "$ROOT/target/wasm32-unknown-unknown/wasm-release/talentpost-frontend.wasm"
  "$ROOT/frontend/node_modules/.bin/wasm-opt" -Oz -g "$named/talentpost-frontend_bg.wasm" -o "$named/named.wasm"
  python3 "$ROOT/scripts/wasm_profile.py" "$served" "$named/named.wasm"
  rm -rf "$named"
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
    log "installing the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# Formatting and lints fail the run before any test starts: one format (rustfmt.toml),
# clippy's warnings as errors for the server crates with their tests and for the app,
# which is checked for the target it runs on.
run_lints() {
  ensure_wasm_target
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    log "installing rustfmt and clippy"
    rustup component add rustfmt clippy
  fi
  log "format (cargo fmt --check)"
  cargo fmt --all --check
  log "lints (clippy, warnings are errors)"
  cargo clippy --workspace --exclude talentpost-frontend --all-targets --quiet -- -D warnings
  cargo clippy -p talentpost-frontend --target wasm32-unknown-unknown --quiet -- -D warnings
}

ensure_frontend_tools() {
  ensure_wasm_target
  if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
    log "installing trunk $TRUNK_VERSION (first time only, takes a few minutes)"
    cargo install trunk --version "$TRUNK_VERSION" --locked --no-default-features --features rustls
  fi
  if ! command -v brotli >/dev/null; then
    log "installing brotli"
    apt_install brotli
  fi
  local wanted
  wanted="$(locked_wasm_bindgen_version)"
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $wanted\$"; then
    log "installing wasm-bindgen-cli $wanted (first time only)"
    # Its lock file may name a dependency release the registry mirror lacks (seen:
    # webpki-roots 1.0.11); then resolve afresh within the same semver ranges.
    cargo install wasm-bindgen-cli --version "$wanted" --locked ||
      cargo install wasm-bindgen-cli --version "$wanted"
  fi
}

ensure_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    log "installing Node.js"
    apt_install nodejs npm
  fi
}

# The app build's npm packages (frontend/package.json, pinned by its lock file):
# binaryen's wasm-opt and GraphiQL's browser build. Reinstalled when the lock file changed.
ensure_frontend_packages() {
  ensure_node
  local modules="$ROOT/frontend/node_modules"
  if [ ! -e "$modules/.package-lock.json" ] || [ "$ROOT/frontend/package-lock.json" -nt "$modules/.package-lock.json" ]; then
    log "installing the web app's build packages (npm)"
    (cd "$ROOT/frontend" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

build_frontend() {
  ensure_frontend_tools
  ensure_frontend_packages
  log "building the web app"
  # trunk finds wasm-opt on PATH (the version Trunk.toml names), so it downloads nothing.
  (cd "$ROOT" && PATH="$ROOT/frontend/node_modules/.bin:$PATH" trunk build --release --offline)
  copy_graphiql
  # Brotli and gzip copies beside each asset: the server sends them as they are instead
  # of compressing on every request.
  local file
  for file in "$ROOT"/frontend/dist/*.{wasm,js,css,svg} "$ROOT"/frontend/dist/graphiql/*.{js,css}; do
    [ -e "$file" ] || continue
    brotli -q 11 -f -k "$file"
    gzip -9 -f -k "$file"
  done
}

# GraphiQL at /graphql loads these from the server itself, never from a CDN.
copy_graphiql() {
  local modules="$ROOT/frontend/node_modules" target="$ROOT/frontend/dist/graphiql"
  mkdir -p "$target"
  cp "$modules/react/umd/react.production.min.js" \
    "$modules/react-dom/umd/react-dom.production.min.js" \
    "$modules/graphql-ws/umd/graphql-ws.min.js" \
    "$modules/graphiql/graphiql.min.js" \
    "$modules/graphiql/graphiql.min.css" \
    "$ROOT/frontend/graphiql/start.js" \
    "$ROOT/frontend/graphiql/page.css" \
    "$target/"
}

# Fails when the app as served (brotli) grows past the budget, so size cannot creep back.
# Today 584 KiB (598,174 bytes) after wasm-opt; issue 17 set the budget at 700 KB.
WASM_BROTLI_BUDGET=$((700 * 1024))
check_frontend_size() {
  local wasm size
  wasm="$(ls "$ROOT"/frontend/dist/*_bg.wasm)"
  size="$(stat -c %s "$wasm.br")"
  log "web app size: $(stat -c %s "$wasm") bytes raw, $(stat -c %s "$wasm.gz") gzip, $size brotli (budget $WASM_BROTLI_BUDGET)"
  if [ "$size" -gt "$WASM_BROTLI_BUDGET" ]; then
    log "the wasm is $size bytes with brotli, over the budget of $WASM_BROTLI_BUDGET"
    return 1
  fi
}

# Where the tests find PostgreSQL. Uses the server on 127.0.0.1:5432 when it accepts
# the postgres user without a password; otherwise runs a private cluster for the tests.
ensure_postgres() {
  if [ -n "${TALENTPOST_TEST_POSTGRES_URL:-}" ]; then return; fi
  if command -v pg_ctlcluster >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start 2>/dev/null || true
  fi
  if command -v psql >/dev/null && psql -w "postgres://postgres@127.0.0.1:5432/postgres" -Atc 'select 1' >/dev/null 2>&1; then
    export TALENTPOST_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/postgres"
    return
  fi
  log "no PostgreSQL with trust login on 127.0.0.1:5432: starting a private one on port 55432"
  local bindir
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
  if [ -z "$bindir" ]; then
    apt_install postgresql
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  fi
  # Outside the checkout: the postgres user may not be able to enter e.g. /root.
  local dir="/var/tmp/talentpost-test-postgres"
  local run_as=()
  if [ "$(id -u)" = 0 ]; then run_as=(runuser -u postgres --); fi
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    "${run_as[@]}" "$bindir/initdb" -D "$dir" -U postgres --auth=trust >/dev/null
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 55432 2>/dev/null; then
    "${run_as[@]}" "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -o "-p 55432 -k /tmp -c listen_addresses=127.0.0.1" -w start >/dev/null
  fi
  export TALENTPOST_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:55432/postgres"
}

# Test databases are named tp_test_*; drop the ones earlier runs left behind.
drop_stale_test_databases() {
  local url="$TALENTPOST_TEST_POSTGRES_URL"
  psql -w "$url" -Atc "select datname from pg_database where datname like 'tp\_test\_%'" 2>/dev/null |
    while read -r name; do psql -w "$url" -qc "drop database if exists \"$name\"" >/dev/null 2>&1 || true; done
}

# Tools the scripts themselves call.
ensure_base_tools() {
  local missing=()
  for tool in curl python3 unzip; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt_install "${missing[@]}"
  fi
}

# Real mail servers for the mail tests; each test starts its own instance in a temp
# dir on loopback ports (server/tests/support/dovecot.rs), so the system service is
# neither needed nor touched.
ensure_mail_servers() {
  local missing=()
  [ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
  [ -e /usr/lib/dovecot/lmtp ] || missing+=(dovecot-lmtpd)
  command -v openssl >/dev/null || missing+=(openssl)
  # Postfix relays the outgoing-mail tests into Dovecot; its smtp-sink plays the
  # faulty server and smtp-source is the benchmark's yardstick.
  [ -x /usr/sbin/postfix ] || missing+=(postfix)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    # Postfix's installer would ask what kind of mail system this is; the tests
    # configure their own instances, so the system one stays unconfigured.
    echo "postfix postfix/main_mailer_type select No configuration" | as_root debconf-set-selections
    apt_install "${missing[@]}"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts the test authorisation server (server/tests/support/oauth_server.py) for the
# browser tests; sets E2E_OAUTH_URL and OAUTH_SERVER_PID. Call before start_dovecot, whose
# XOAUTH2 logins it checks. The caller stops it (kill "$OAUTH_SERVER_PID").
start_oauth_server() {
  local dir="$1"
  mkdir -p "$dir"
  python3 "$ROOT/server/tests/support/oauth_server.py" --port 0 >"$dir/oauth.out" 2>"$dir/oauth.log" &
  OAUTH_SERVER_PID=$!
  local deadline=$((SECONDS + 20)) port=""
  until port="$(sed -n 's/^listening on //p' "$dir/oauth.out" 2>/dev/null)" && [ -n "$port" ]; do
    if [ $SECONDS -ge $deadline ]; then
      cat "$dir/oauth.log" >&2
      return 1
    fi
    sleep 0.1
  done
  E2E_OAUTH_URL="http://127.0.0.1:$port"
  export E2E_OAUTH_URL
}

# Starts a Dovecot for the browser tests in DIR, from the same configuration the
# Rust tests use; sets E2E_IMAP_PORT, E2E_LMTP_PORT, E2E_IMAP_USER, E2E_IMAP_PASSWORD
# and DOVECOT_PID. The caller stops it (kill "$DOVECOT_PID").
start_dovecot() {
  local dir="$1"
  mkdir -p "$dir/run" "$dir/state" "$dir/mail"
  chmod 755 "$dir"
  as_root chown mail:mail "$dir/mail"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  E2E_IMAP_USER=jobs
  E2E_IMAP_PASSWORD="e2e-imap-$(date +%s)"
  printf '%s:{PLAIN}%s::::::\n' "$E2E_IMAP_USER" "$E2E_IMAP_PASSWORD" >"$dir/users"
  E2E_IMAP_PORT="$(free_port)"
  E2E_LMTP_PORT="$(free_port)"
  local imaps_port
  imaps_port="$(free_port)"
  E2E_DOVECOT_AUTH_PORT="$(free_port)"
  sed -e "s|@DIR@|$dir|g" -e "s|@IMAP_PORT@|$E2E_IMAP_PORT|g" -e "s|@IMAPS_PORT@|$imaps_port|g" \
    -e "s|@LMTP_PORT@|$E2E_LMTP_PORT|g" -e "s|@AUTH_PORT@|$E2E_DOVECOT_AUTH_PORT|g" \
    "$ROOT/server/tests/support/dovecot.conf.in" >"$dir/dovecot.conf"
  sed -e "s|@INTROSPECTION_URL@|${E2E_OAUTH_URL:-http://127.0.0.1:9}/introspect|g" \
    "$ROOT/server/tests/support/dovecot-oauth2.conf.ext.in" >"$dir/dovecot-oauth2.conf.ext"
  as_root /usr/sbin/dovecot -F -c "$dir/dovecot.conf" >"$dir/dovecot.out" 2>&1 &
  DOVECOT_PID=$!
  export E2E_IMAP_PORT E2E_LMTP_PORT E2E_IMAP_USER E2E_IMAP_PASSWORD
  local deadline=$((SECONDS + 20))
  until python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1', $E2E_IMAP_PORT), 1); sys.exit(0 if b'ready' in s.recv(200) else 1)" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      cat "$dir/dovecot.out" "$dir/dovecot.log" >&2 2>/dev/null
      return 1
    fi
    sleep 0.1
  done
}

# Starts a Postfix for the browser tests in DIR, from the same configuration the Rust
# tests use, relaying into the Dovecot of start_dovecot (call that first); sets
# E2E_SMTP_PORT (STARTTLS) and E2E_SMTPS_PORT. The login "jobs" may send as
# jobs@example.test. The caller stops it (stop_postfix DIR).
start_postfix() {
  local dir="$1"
  mkdir -p "$dir/queue" "$dir/data"
  chmod 755 "$dir"
  as_root chown postfix "$dir/data"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  printf 'jobs@example.test jobs\n' >"$dir/sender_logins"
  E2E_SMTP_PORT="$(free_port)"
  E2E_SMTPS_PORT="$(free_port)"
  local template
  for template in main master; do
    sed -e "s|@DIR@|$dir|g" -e "s|@PARENT@|$(dirname "$dir")|g" -e "s|@SMTP_PORT@|$E2E_SMTP_PORT|g" \
      -e "s|@SMTPS_PORT@|$E2E_SMTPS_PORT|g" -e "s|@LMTP_PORT@|$E2E_LMTP_PORT|g" -e "s|@AUTH_PORT@|$E2E_DOVECOT_AUTH_PORT|g" \
      "$ROOT/server/tests/support/postfix.$template.cf.in" >"$dir/$template.cf"
  done
  # Returns once the master daemon has initialised (its listeners are bound).
  as_root /usr/sbin/postfix -c "$dir" start >/dev/null 2>&1 || { cat "$dir/postfix.log" >&2; return 1; }
  export E2E_SMTP_PORT E2E_SMTPS_PORT
}

stop_postfix() {
  as_root /usr/sbin/postfix -c "$1" abort >/dev/null 2>&1 || true
}

ensure_browser_tools() {
  if [ ! -x /usr/bin/chromium ]; then
    log "installing Debian's chromium"
    apt_install chromium
  fi
  ensure_node
  local node_major
  node_major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$node_major" -lt 20 ]; then
    log "Node.js $node_major is too old for Playwright (needs 20 or newer); install a newer Node.js"
    return 1
  fi
  # Reinstalled when package-lock.json names a package node_modules lacks (axe-core came later).
  if [ ! -d "$ROOT/e2e/node_modules/@playwright/test" ] || [ ! -d "$ROOT/e2e/node_modules/@axe-core/playwright" ]; then
    log "installing the e2e test runner (npm)"
    (cd "$ROOT/e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# Waits until a URL answers, failing after a deadline instead of sleeping blindly.
wait_for_url() {
  local url="$1" deadline=$((SECONDS + ${2:-60}))
  until curl -sf "$url" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then return 1; fi
    sleep 0.2
  done
}

# Podman (and runc, its runtime here) for the container image and its test. Debian's
# podman 4.3 builds FROM scratch images without a registry; in some sandboxes crun and
# the default ulimits are refused, so `podman_here` runs with runc, cgroupfs and no
# default ulimits, which works on ordinary hosts too.
ensure_container_tools() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || [ -x /usr/sbin/runc ] || missing+=(runc)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt_install --no-install-recommends "${missing[@]}"
  fi
}

# An S3 protocol server for the S3 file store's tests: s3s-fs keeps a bucket as a folder.
# 0.14.1 is the last release that builds with Rust 1.95.
S3S_FS_VERSION=0.14.1
ensure_s3_server() {
  if ! command -v s3s-fs >/dev/null || ! cargo install --list | grep -q "^s3s-fs v$S3S_FS_VERSION:"; then
    log "installing s3s-fs $S3S_FS_VERSION (first time only, takes a few minutes)"
    cargo install s3s-fs --version "$S3S_FS_VERSION" --features binary --locked
  fi
}

podman_conf() {
  local conf="${TMPDIR:-/tmp}/talentpost-containers.conf"
  [ -e "$conf" ] || printf '[containers]\ndefault_ulimits = []\n' >"$conf"
  echo "$conf"
}

podman_here() {
  CONTAINERS_CONF="$(podman_conf)" podman --runtime runc --cgroup-manager=cgroupfs "$@"
}
