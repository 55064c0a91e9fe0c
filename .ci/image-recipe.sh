#!/usr/bin/env bash
# The Docker image recipe, tested in spirit (there is no Docker engine in CI). Kept in step with
# the Dockerfile: it runs the Dockerfile's npm commands, in its order, as plain shell.
#
# 1. Build stage: copies exactly the paths .dockerignore lets into the build context, then runs
#    the npm commands of the Dockerfile's RUN lines (npm ci, rebuild of the native module, build,
#    prune --omit=dev). Before anything runs, it checks that the Dockerfile's npm commands are
#    exactly the ones below, so the two cannot drift apart silently.
# 2. Runtime stage: copies only package.json, node_modules/, dist/ and mappings/ (the Dockerfile's
#    COPY --from=build lines) into a second directory, starts `node dist/cli.js serve` there with a
#    minimal configuration (SQLite under a /data-like directory, config passed through
#    SCIM_BRIDGE_CONFIG and ${VAR}s), and runs the Dockerfile's HEALTHCHECK command against it.
#    In the container the bridge listens on 0.0.0.0; here on 127.0.0.1 (CI servers stay on
#    loopback), on a free port the bridge picks itself.
# 3. Stops the bridge with SIGTERM (as `docker stop` does) and expects a clean exit.
#
# Needs: Node 20, npm, python3/make/g++ (better-sqlite3 compiles from source when no prebuilt
# binary can be downloaded), the npm registry. Takes a few minutes, mostly the native compile.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dockerfile="$repo/Dockerfile"

# The Dockerfile's build-stage commands, in order. Edit both files together.
build_commands=(
  "npm ci --ignore-scripts"
  "npm rebuild better-sqlite3"
  "npm run build"
  "npm prune --omit=dev"
)

say() { printf 'image-recipe: %s\n' "$*"; }
fail() { say "FAIL: $*" >&2; exit 1; }

# --- the Dockerfile and this script agree ---------------------------------------------------
mapfile -t docker_npm < <(sed -n 's/^RUN \(npm .*\)$/\1/p' "$dockerfile")
[[ "${docker_npm[*]}" == "${build_commands[*]}" ]] ||
  fail "the Dockerfile's npm RUN lines (${docker_npm[*]}) differ from this script's (${build_commands[*]})"
healthcheck_json="$(sed -n 's/^ *CMD \(\["node", "-e", .*\]\)$/\1/p' "$dockerfile")"
[[ -n "$healthcheck_json" ]] || fail "no HEALTHCHECK CMD [\"node\", \"-e\", ...] line in the Dockerfile"
healthcheck_js="$(node -e 'const cmd = JSON.parse(process.argv[1]); process.stdout.write(cmd[2]);' "$healthcheck_json")"

work="$(mktemp -d "${TMPDIR:-/tmp}/scim-bridge-image.XXXXXX")"
bridge_pid=""
cleanup() {
  if [[ -n "$bridge_pid" ]] && kill -0 "$bridge_pid" 2>/dev/null; then kill -KILL "$bridge_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- build stage -------------------------------------------------------------------------------
build="$work/build"
mkdir -p "$build"
mapfile -t context < <(sed -n 's/^!\(.*\)$/\1/p' "$repo/.dockerignore")
[[ ${#context[@]} -gt 0 ]] || fail ".dockerignore allows no path"
for path in "${context[@]}"; do
  [[ -e "$repo/$path" ]] || fail "$path is in .dockerignore's build context but does not exist"
  cp -R "$repo/$path" "$build/$path"
done
for command in "${build_commands[@]}"; do
  say "RUN $command"
  (cd "$build" && $command) || fail "$command"
done
[[ -f "$build/dist/cli.js" ]] || fail "npm run build produced no dist/cli.js"
[[ ! -d "$build/node_modules/typescript" ]] || fail "npm prune --omit=dev left dev dependencies (typescript)"

# --- runtime stage -----------------------------------------------------------------------------
app="$work/app"
mkdir -p "$app" "$work/data" "$work/config"
for path in package.json node_modules dist mappings; do cp -R "$build/$path" "$app/$path"; done
cat >"$work/config/bridge.yaml" <<EOF
listen: { host: 127.0.0.1, port: 0 }
store: sqlite:$work/data/bridge.db
log: { level: info, format: json }
connections:
  recipe:
    type: yardstik
    mapping: $app/mappings/yardstik.yaml
    scim: { tokens: ["\${RECIPE_SCIM_TOKEN}"] }
    # Nothing listens there: /healthz does not depend on the target (/readyz would report it).
    target: { url: "http://127.0.0.1:9", accountId: 00000000-0000-4000-8000-000000000001, apiKey: "\${RECIPE_API_KEY}" }
EOF
log="$work/bridge.log"
say "starting node dist/cli.js serve from the pruned tree"
(cd "$app" && NODE_ENV=production SCIM_BRIDGE_CONFIG="$work/config/bridge.yaml" \
  RECIPE_SCIM_TOKEN="recipe-$RANDOM-$RANDOM-token" RECIPE_API_KEY="recipe-key" \
  exec node --max-semi-space-size=8 --enable-source-maps dist/cli.js serve) >"$log" 2>&1 &
bridge_pid=$!

# The startup line ("scim-bridge started") carries the URL it listens on.
startup_url() {
  node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
    for (const line of lines) {
      try {
        const entry = JSON.parse(line);
        if (entry.message === "scim-bridge started" && typeof entry.url === "string") { console.log(entry.url); break; }
      } catch {}
    }' "$log"
}
url=""
for _ in $(seq 1 100); do
  url="$(startup_url)"
  [[ -n "$url" ]] && break
  kill -0 "$bridge_pid" 2>/dev/null || { cat "$log" >&2; fail "the bridge exited at start"; }
  sleep 0.1
done
[[ -n "$url" ]] || { cat "$log" >&2; fail "the bridge did not say where it listens within 10 s"; }

say "HEALTHCHECK against $url/healthz"
HEALTHCHECK_URL="$url/healthz" node -e "$healthcheck_js" || { cat "$log" >&2; fail "the HEALTHCHECK command failed"; }
# The probe must fail when nothing answers, or it checks nothing.
if HEALTHCHECK_URL="$url/no-such-endpoint" node -e "$healthcheck_js"; then fail "the HEALTHCHECK command passes on a 404"; fi

say "SIGTERM (docker stop)"
kill -TERM "$bridge_pid"
status=0
wait "$bridge_pid" || status=$?
bridge_pid=""
[[ $status -eq 0 ]] || { cat "$log" >&2; fail "the bridge exited with $status after SIGTERM"; }
grep -q '"message":"shutting down"' "$log" || fail "the bridge did not log its shutdown"
say "OK: image recipe builds, starts, answers the HEALTHCHECK and stops cleanly"
