#!/usr/bin/env bash
# schemathesis against /api/openapi.json of a served sample corpus: every check, 0 failures wanted.
#
#   bash scripts/schemathesis.sh [PORT] [MAX_EXAMPLES]      (defaults: 5611, 50)
#
# Ingests the bundled sample corpus into a temporary data directory, makes an API token,
# serves it with `glossa serve` on 127.0.0.1:PORT, runs `st run` (every check, every phase,
# the settings of scripts/schemathesis.toml, the check of scripts/schemathesis_hooks.py) with
# that token, and stops the server. The run
# writes: uploads, annotations, entity rules, removals, all in the temporary directory.
# schemathesis lives in a virtualenv of its own (ST_VENV, default .st-venv, made here when
# missing), not among the project's packages. Exits with schemathesis's status.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${1:-5611}"
EXAMPLES="${2:-50}"
ST_VENV="${ST_VENV:-.st-venv}"
GLOSSA="${GLOSSA:-.venv/bin/glossa}"
if [ ! -x "$ST_VENV/bin/st" ]; then
    python3 -m venv "$ST_VENV"
    "$ST_VENV/bin/pip" install --quiet "schemathesis==4.32.5"
fi
TMP="$(mktemp -d -t glossa-schemathesis-XXXXXX)"
SERVER=""
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
unset GLOSSA_AUTH GLOSSA_DATA
"$GLOSSA" --data "$TMP/data" ingest webui/sample_corpus > "$TMP/ingest.log"
TOKEN="$("$GLOSSA" --data "$TMP/data" token create local --label schemathesis | head -1)"
"$GLOSSA" --data "$TMP/data" serve --port "$PORT" > "$TMP/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$PORT/healthz', timeout=2)" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$SERVER" 2>/dev/null; then cat "$TMP/server.log" >&2; exit 1; fi
    sleep 1
done
status=0
# Glossa's own check (scripts/schemathesis_hooks.py): the toml's allowed 400s only with their documented reasons
SCHEMATHESIS_HOOKS="$PWD/scripts/schemathesis_hooks.py" "$ST_VENV/bin/st" --config-file scripts/schemathesis.toml run "http://127.0.0.1:$PORT/api/openapi.json" \
    -H "Authorization: Bearer $TOKEN" --checks all --workers 2 --max-examples "$EXAMPLES" || status=$?
if grep -q "Traceback" "$TMP/server.log"; then
    echo "the server logged a traceback:" >&2
    grep -A20 "Traceback" "$TMP/server.log" | head -60 >&2
    status=1
fi
exit "$status"
