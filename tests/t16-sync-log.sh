#!/bin/sh
# t16-sync-log.sh: what the server writes to stderr, through the real binaries:
#   - one line per request, plain and (--log-json) as JSON;
#   - one line per conflict: two gates offline admit the same ticket, both sync, and the log
#     names the duplicate admission with both gates.
# Run by tests/run-tests with BUILD (the build folder, absolute) and SRCDIR (the repository).
set -eu

BUILD=${BUILD:-build}
SRCDIR=${SRCDIR:-$(pwd)}
SYNC="$BUILD/tessera-sync"
BOX="$BUILD/tessera-boxoffice"
SCAN="$BUILD/tessera-scanner"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/t16.XXXXXX")
SERVER_PID=""
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || :
	[ -n "$SERVER_PID" ] && wait "$SERVER_PID" 2>/dev/null || :
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*"; [ -f "$TMP/serve.err" ] && sed 's/^/  log: /' "$TMP/serve.err" | tail -20; exit 1; }
check() { echo "check: $*"; }
last() { awk 'END { print $NF }'; }

PORT=0
start_server() {
	: >"$TMP/serve.out"
	: >"$TMP/serve.err"
	"$SYNC" serve --db "$DB" --listen "127.0.0.1:$PORT" "$@" >"$TMP/serve.out" \
	    2>"$TMP/serve.err" &
	SERVER_PID=$!
	i=0
	while ! grep -q "serving on" "$TMP/serve.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "the server did not start"
		sleep 0.1
	done
	URL=$(sed -n 's/^tessera-sync: serving on \([^ ]*\).*/\1/p' "$TMP/serve.out")
	PORT=${URL##*:}         # the devices know this address: restarts keep it
}
stop_server() {
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID" || fail "the server did not stop cleanly"
	SERVER_PID=""
}

DB="$TMP/central.db"
"$SYNC" init --db "$DB" >/dev/null
VENUE=$("$SYNC" venue import --db "$DB" "$SRCDIR/data/venues/theatre.csv" | last)
EVENT=$("$SYNC" event create --db "$DB" --venue "$VENUE" --name "Hamlet" \
    --starts "$(date -d '+2 hours' +%Y-%m-%dT%H:%M)" --doors "$(date -d '-1 hour' +%Y-%m-%dT%H:%M)" |
    last)
C_BO=$("$SYNC" device add --db "$DB" --role boxoffice --name "Front desk" | last)
C_N=$("$SYNC" device add --db "$DB" --role gate --name "North gate" | last)
C_S=$("$SYNC" device add --db "$DB" --role gate --name "South gate" | last)

check "one plain line per request"
start_server
"$BOX" enroll --replica "$TMP/bo.db" --server "$URL" --code "$C_BO" >/dev/null
"$SCAN" enroll --replica "$TMP/north.db" --server "$URL" --code "$C_N" >/dev/null
"$SCAN" enroll --replica "$TMP/south.db" --server "$URL" --code "$C_S" >/dev/null
grep -q ' POST /v1/enroll 200 ' "$TMP/serve.err" || fail "no log line for an enrollment"
[ "$(grep -c ' POST /v1/enroll 200 ' "$TMP/serve.err")" -eq 3 ] || fail "not one line per request"
curl -s "$URL/nowhere" >/dev/null
grep -q ' GET /nowhere 404 .*error: no such path' "$TMP/serve.err" || fail "a 404 not logged with its reason"

check "one line per conflict: the same ticket admitted offline at two gates"
"$BOX" sync --replica "$TMP/bo.db" >/dev/null
TICKET=$("$BOX" sell --replica "$TMP/bo.db" --event "$EVENT" --seat A-1-1 --pay cash \
    --tendered 50 2>/dev/null | awk -F '\t' 'NF == 2 { print $2 }')
[ -n "$TICKET" ] || fail "no ticket sold"
"$SCAN" sync --replica "$TMP/north.db" >/dev/null
"$SCAN" sync --replica "$TMP/south.db" >/dev/null
"$SCAN" check --replica "$TMP/north.db" --offline "$TICKET" >/dev/null || fail "north did not admit"
"$SCAN" check --replica "$TMP/south.db" --offline "$TICKET" >/dev/null || fail "south did not admit"
"$SCAN" sync --replica "$TMP/north.db" >/dev/null
"$SCAN" sync --replica "$TMP/south.db" >/dev/null
grep -q ' conflict duplicate-admission ' "$TMP/serve.err" || fail "no log line for the duplicate"
[ "$(grep -c ' conflict ' "$TMP/serve.err")" -eq 1 ] || fail "not exactly one conflict line"
NORTH=$("$SYNC" device list --db "$DB" | awk '/North gate/ { print $1 }')
SOUTH=$("$SYNC" device list --db "$DB" | awk '/South gate/ { print $1 }')
grep ' conflict duplicate-admission ' "$TMP/serve.err" | grep -q "winner=$NORTH " ||
    fail "the conflict line does not name the north gate ($NORTH)"
grep ' conflict duplicate-admission ' "$TMP/serve.err" | grep -q "loser=$SOUTH " ||
    fail "the conflict line does not name the south gate ($SOUTH)"
stop_server

check "--log-json: every line is a JSON object"
start_server --log-json
curl -s "$URL/healthz" >/dev/null
"$SCAN" sync --replica "$TMP/north.db" >/dev/null
grep -q '"uri":"/healthz"' "$TMP/serve.err" || fail "no JSON line for /healthz"
while IFS= read -r line; do
	case "$line" in
	\{*\}) ;;
	*) fail "not a JSON line: $line" ;;
	esac
done <"$TMP/serve.err"
stop_server
echo "ok"
