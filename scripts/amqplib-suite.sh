#!/usr/bin/env bash
# Runs amqplib's own test suite (shipped in the npm package of amqplib 2.0.1) against Warren.
# See docs/amqplib-suite.md. Idempotent; stops by itself; exits with the suite's status.
#
#   scripts/amqplib-suite.sh
#
# Environment (all optional):
#   AMQPLIB_SUITE_DIR       work dir (default: <repo>/.amqplib-suite, git-ignored)
#   AMQPLIB_SUITE_PORT_WAIT seconds to wait for port 5672 to become free (default 300)
#   AMQPLIB_SUITE_NETNS     auto (default): if 5672 is still taken after the wait, run broker + suite in a
#                           private network namespace (unshare), where 5672 is free; 1: always do that;
#                           0: never (fail instead). The process holding 5672 is never touched.
#   AMQPLIB_SUITE_TIMEOUT   hard limit in seconds for the whole suite run (default 900)
#   AMQPLIB_SUITE_ARGS      extra args for `node --test` (e.g. "--test-name-pattern=serverProperties")
#   AMQPLIB_SUITE_FILES     test files, relative to the package (default: test/*.test.js)
set -euo pipefail

AMQPLIB_VERSION=2.0.1
CLAIRE_VERSION=0.4.1
PORT=5672   # fixed: several amqplib tests dial localhost:5672 directly, ignoring URL

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${AMQPLIB_SUITE_DIR:-$REPO/.amqplib-suite}
PKG=$WORK/package
PORT_WAIT=${AMQPLIB_SUITE_PORT_WAIT:-300}
NETNS=${AMQPLIB_SUITE_NETNS:-auto}
SUITE_TIMEOUT=${AMQPLIB_SUITE_TIMEOUT:-900}

log() { printf '[amqplib-suite] %s\n' "$*" >&2; }

# True if something accepts TCP connections on localhost:$PORT (IPv4 or IPv6).
port_busy() {
  local host
  for host in 127.0.0.1 ::1; do
    if timeout 2 bash -c "exec 3<>/dev/tcp/$host/$PORT" 2>/dev/null; then return 0; fi
  done
  return 1
}

port_holder() {
  if command -v ss >/dev/null 2>&1; then ss -Hltnp "sport = :$PORT" 2>/dev/null || true; fi
}

# ---------------------------------------------------------------------------------------------------
# Phase 2 (possibly inside a private network namespace): start Warren, run the suite, stop Warren.
# ---------------------------------------------------------------------------------------------------
run_phase() {
  if [[ ${AMQPLIB_SUITE_IN_NETNS:-0} == 1 ]]; then
    ip link set lo up
  fi
  if port_busy; then
    log "port $PORT is taken; refusing to start Warren:"
    port_holder >&2
    return 3
  fi

  local data=$WORK/data broker_log=$WORK/broker.log broker_pid=''
  rm -rf "$data"
  mkdir -p "$data"

  stop_broker() {
    if [[ -n $broker_pid ]] && kill -0 "$broker_pid" 2>/dev/null; then
      log "stopping Warren (pid $broker_pid, SIGTERM)"
      kill -TERM "$broker_pid" 2>/dev/null || true
      local i
      for ((i = 0; i < 100; i++)); do
        kill -0 "$broker_pid" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$broker_pid" 2>/dev/null; then
        log "Warren did not exit within 10 s of SIGTERM; sending SIGKILL"
        kill -KILL "$broker_pid" 2>/dev/null || true
      fi
      wait "$broker_pid" 2>/dev/null || true
    fi
    broker_pid=''
  }
  trap stop_broker EXIT
  trap 'exit 130' INT TERM

  log "starting Warren on port $PORT (log: $broker_log)"
  (
    cd "$REPO"
    WARREN_AMQP_PORT=$PORT WARREN_MANAGEMENT_PORT=0 WARREN_DATA_DIR=$data \
      exec node --import ./test/support/register-ts.mjs apps/broker/src/main.ts
  ) >"$broker_log" 2>&1 &
  broker_pid=$!

  local i ready=0
  for ((i = 0; i < 300; i++)); do # up to 30 s
    if ! kill -0 "$broker_pid" 2>/dev/null; then
      log "Warren exited during startup:"
      cat "$broker_log" >&2
      broker_pid=''
      return 4
    fi
    if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null; then ready=1; break; fi
    sleep 0.1
  done
  if [[ $ready != 1 ]]; then
    log "Warren did not accept connections on $PORT within 30 s"
    cat "$broker_log" >&2
    return 4
  fi
  log "Warren is up (pid $broker_pid)"

  local files status=0
  files=${AMQPLIB_SUITE_FILES:-test/*.test.js}
  # shellcheck disable=SC2086  # globbing/word splitting of the file list and extra args is intended
  (
    cd "$PKG"
    URL=amqp://localhost:$PORT exec timeout --kill-after=10 "$SUITE_TIMEOUT" \
      node --test --test-timeout=30000 ${AMQPLIB_SUITE_ARGS:-} $files
  ) || status=$?
  if [[ $status == 124 || $status == 137 ]]; then
    log "suite hit the ${SUITE_TIMEOUT}s limit and was stopped"
  fi

  stop_broker
  trap - EXIT
  log "suite exit status: $status (broker log: $broker_log)"
  return "$status"
}

if [[ ${AMQPLIB_SUITE_PHASE:-} == run ]]; then
  run_phase
  exit $?
fi

# ---------------------------------------------------------------------------------------------------
# Phase 1: unpack amqplib@2.0.1 and install its dependencies plus claire (idempotent).
# ---------------------------------------------------------------------------------------------------
mkdir -p "$WORK"
installed_version() { node -p "require('$1/package.json').version" 2>/dev/null || true; }

if [[ $(installed_version "$PKG") != "$AMQPLIB_VERSION" || ! -d $PKG/test ]]; then
  log "unpacking amqplib@$AMQPLIB_VERSION into $PKG"
  rm -rf "$PKG" "$WORK"/amqplib-*.tgz
  (cd "$WORK" && npm pack --silent "amqplib@$AMQPLIB_VERSION" >/dev/null)
  tar -xzf "$WORK/amqplib-$AMQPLIB_VERSION.tgz" -C "$WORK"
fi

# The package's test/ requires claire; its runtime dependencies are also installed. They go into
# $WORK/node_modules (found by Node's resolution from $PKG), leaving the package and Warren's
# package.json untouched.
if [[ $(installed_version "$WORK/node_modules/claire") != "$CLAIRE_VERSION" ]]; then
  log "installing amqplib's dependencies and claire@$CLAIRE_VERSION into $WORK/node_modules"
  (
    cd "$WORK"
    node -e '
      const p = require("./package/package.json");
      const deps = { ...(p.dependencies || {}), claire: process.argv[1] };
      require("fs").writeFileSync("package.json",
        JSON.stringify({ name: "amqplib-suite-deps", private: true, dependencies: deps }, null, 2) + "\n");
    ' "$CLAIRE_VERSION"
    npm install --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
  )
fi

# ---------------------------------------------------------------------------------------------------
# Port 5672 must be free. Never touch whoever holds it: wait (bounded), else use a private netns.
# ---------------------------------------------------------------------------------------------------
use_netns=0
if [[ $NETNS == 1 ]]; then
  use_netns=1
elif port_busy; then
  log "port $PORT is in use by another process (not touching it):"
  port_holder >&2
  if port_holder | grep -q beam.smp; then
    log "that is a RabbitMQ node (beam.smp), e.g. someone's benchmark"
  fi
  log "waiting up to ${PORT_WAIT}s for it to become free"
  deadline=$((SECONDS + PORT_WAIT))
  while port_busy && ((SECONDS < deadline)); do sleep 5; done
  if port_busy; then
    if [[ $NETNS == auto ]] && unshare --net --map-root-user true 2>/dev/null; then
      log "port $PORT still busy; running Warren and the suite in a private network namespace instead"
      use_netns=1
    else
      log "port $PORT still busy after ${PORT_WAIT}s; giving up (set AMQPLIB_SUITE_NETNS=1 to use a private netns)"
      exit 3
    fi
  fi
fi

export AMQPLIB_SUITE_PHASE=run
if [[ $use_netns == 1 ]]; then
  AMQPLIB_SUITE_IN_NETNS=1 exec unshare --net --map-root-user bash "${BASH_SOURCE[0]}"
else
  exec bash "${BASH_SOURCE[0]}"
fi
