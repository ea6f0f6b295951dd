#!/bin/sh
# t42-secrets.sh: secret keys, with the real programs.
#
#   - every key file is made 0600; a device key or the root key that group or others may read
#     is refused by tessera-scanner, tessera-boxoffice and tessera-sync serve, naming the file
#     and "chmod 600"; put back to 0600, the same commands work;
#   - after enrolling, selling, scanning and syncing with the request log on (text and JSON),
#     no secret key (its 32-byte seed, as bytes or as hex) is in any replica, the store, their
#     WAL files, the logs, the programs' output or the printed tickets;
#   - a core dump of the running server (holding the root key) and of a device in the middle of
#     a sync (holding its key) does not hold the seed: keys live in sodium_malloc()ed memory,
#     which is left out of core dumps (MADV_DONTDUMP). The public key is there, so the dump
#     does hold the heap. Skipped (with a note) where core dumps cannot be had.
# Run by tests/run-tests with BUILD (the build folder, absolute) and SRCDIR (the repository).
set -eu

BUILD=${BUILD:-build}
SYNC="$BUILD/tessera-sync"
BOX="$BUILD/tessera-boxoffice"
SCAN="$BUILD/tessera-scanner"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/t42.XXXXXX")
SERVER_PID=""
cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill -CONT "$SERVER_PID" 2>/dev/null || :
		kill "$SERVER_PID" 2>/dev/null || :
		wait "$SERVER_PID" 2>/dev/null || :
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	if [ -n "${out:-}" ]; then
		echo "--- output was:" >&2
		printf '%s\n' "$out" >&2
	fi
	exit 1
}

check() {
	echo "check: $*"
}

run() {
	rc=0
	out=$("$@" 2>&1) || rc=$?
}

has() {
	printf '%s\n' "$out" | grep -F -q -- "$1" || fail "output lacks \"$1\""
}

last_word() {
	printf '%s\n' "$out" | awk 'NF { w = $NF } END { print w }'
}

wait_for() {
	n=$(($1 * 20))
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.05
	done
}

for p in "$SYNC" "$BOX" "$SCAN"; do
	[ -x "$p" ] || fail "$p is not built"
done
command -v python3 >/dev/null || fail "python3 is not installed"

# contains FILE HEX: does the file hold these bytes, or their hex (either case)?
contains() {
	python3 - "$1" "$2" <<'EOF'
import sys
data = open(sys.argv[1], 'rb').read()
hexs = sys.argv[2]
found = bytes.fromhex(hexs) in data or hexs.encode() in data.lower()
sys.exit(0 if found else 1)
EOF
}

# The seed of a key file: the first 64 of its 128 hex digits; the public key: the last 64.
seed_of() {
	cut -d ' ' -f 2 "$1" | cut -c 1-64
}
pk_of() {
	cut -d ' ' -f 2 "$1" | cut -c 65-128
}

DB="$TMP/central.db"
BO="$TMP/bo.db"
GATE="$TMP/gate.db"
cd "$TMP"

check "a store, an event, a box office and a gate; the server logs every request"
run "$SYNC" init --db "$DB"
[ "$rc" -eq 0 ] || fail "init"
printf 'venue,Secret Hall\nrow,A,1,1-20\n' >"$TMP/hall.csv"
run "$SYNC" venue import --db "$DB" "$TMP/hall.csv"
VENUE=$(last_word)
run "$SYNC" event create --db "$DB" --venue "$VENUE" --name "Secrets" \
    --starts "$(date -d '+2 hours' +%Y-%m-%dT%H:%M)" \
    --doors "$(date -d '-30 minutes' +%Y-%m-%dT%H:%M)" --tier "All:10.00:A"
[ "$rc" -eq 0 ] || fail "event create"
EVENT=$(last_word)
run "$SYNC" device add --db "$DB" --role boxoffice --name "Box"
C1=$(last_word)
run "$SYNC" device add --db "$DB" --role gate --name "Gate"
C2=$(last_word)
start_server() {
	: >"$TMP/serve.out"
	"$SYNC" serve --db "$DB" --listen "127.0.0.1:${PORT:-0}" "$@" >"$TMP/serve.out" \
	    2>>"$TMP/serve.log" &
	SERVER_PID=$!
	wait_for 10 grep -q "serving on" "$TMP/serve.out" ||
	    { out=$(cat "$TMP/serve.log"); fail "the server did not start"; }
	PORT=$(sed -n 's|^tessera-sync: serving on http://127.0.0.1:\([0-9]*\).*|\1|p' \
	    "$TMP/serve.out")
	URL="http://127.0.0.1:$PORT"
}
stop_server() {
	kill "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || :
	SERVER_PID=""
}
start_server
run "$BOX" enroll --replica "$BO" --server "$URL" --code "$C1"
[ "$rc" -eq 0 ] || fail "enroll the box office"
run "$SCAN" enroll --replica "$GATE" --server "$URL" --code "$C2"
[ "$rc" -eq 0 ] || fail "enroll the gate"

check "every key file is 0600"
for k in "$DB.rootkey" "$BO.key" "$GATE.key"; do
	[ "$(stat -c %a "$k")" = 600 ] || fail "$k is $(stat -c %a "$k")"
done

check "sales, scans and syncs, with the outputs kept"
run "$BOX" sell --replica "$BO" --event "$EVENT" --seat A-1-1 A-1-2 --pay cash --png "$TMP/png" \
    --svg "$TMP/svg"
[ "$rc" -eq 0 ] || fail "sell"
printf '%s\n' "$out" >"$TMP/outputs"
T1=$(printf '%s\n' "$out" | awk -F '\t' '$1 == "A-1-1" { print $2 }')
run "$SCAN" sync --replica "$GATE"
printf '%s\n' "$out" >>"$TMP/outputs"
run "$SCAN" check --replica "$GATE" "$T1"
[ "$rc" -eq 0 ] || fail "check"
printf '%s\n' "$out" >>"$TMP/outputs"
run "$SCAN" check --replica "$GATE" --json "$T1"
printf '%s\n' "$out" >>"$TMP/outputs"
run "$SCAN" inspect --replica "$GATE" "$T1"
printf '%s\n' "$out" >>"$TMP/outputs"
run "$BOX" sync --replica "$BO"
printf '%s\n' "$out" >>"$TMP/outputs"
stop_server
start_server --log-json
run "$SCAN" sync --replica "$GATE"
printf '%s\n' "$out" >>"$TMP/outputs"
run "$BOX" refund --replica "$BO" --seat A-1-2 --event "$EVENT"
printf '%s\n' "$out" >>"$TMP/outputs"
[ -s "$TMP/serve.log" ] || fail "the server logged nothing"

check "key files readable by others are refused, naming the file; 0600 works again"
chmod 640 "$GATE.key"
run "$SCAN" check --replica "$GATE" --offline "$T1"
[ "$rc" -eq 2 ] || fail "a gate key of mode 640: exit $rc, want 2"
has "$GATE.key"
has "chmod 600"
chmod 604 "$BO.key"
run "$BOX" sell --replica "$BO" --event "$EVENT" --seat A-1-3 --pay cash --offline
[ "$rc" -ne 0 ] || fail "a box office key of mode 604 was used"
has "chmod 600"
chmod 600 "$GATE.key" "$BO.key"
run "$SCAN" check --replica "$GATE" --offline "$T1"
[ "$rc" -eq 1 ] || fail "the gate key back at 0600: exit $rc"
stop_server
chmod 644 "$DB.rootkey"
run "$SYNC" serve --db "$DB" --listen 127.0.0.1:0 --quiet
[ "$rc" -ne 0 ] || fail "serve with a root key of mode 644"
has "chmod 600"
chmod 600 "$DB.rootkey"
start_server --quiet

check "no secret key in the replicas, the store, the WAL files, the logs or the outputs"
places=0
for key in "$DB.rootkey" "$BO.key" "$GATE.key"; do
	seed=$(seed_of "$key")
	[ ${#seed} -eq 64 ] || fail "no seed in $key"
	for f in "$DB" "$DB-wal" "$BO" "$BO-wal" "$GATE" "$GATE-wal" "$TMP/serve.log" \
	    "$TMP/outputs" "$TMP"/png/* "$TMP"/svg/*; do
		[ -f "$f" ] || continue
		places=$((places + 1))
		if contains "$f" "$seed"; then
			fail "the seed of $key is in $f"
		fi
	done
done
# The check itself can see: the public keys are where they belong.
contains "$GATE" "$(pk_of "$DB.rootkey")" || contains "$GATE-wal" "$(pk_of "$DB.rootkey")" ||
    fail "the root public key is not in the gate's replica (is the search blind?)"
echo "figure: t42: 3 secret keys searched (bytes and hex) in $places files: replicas, store," \
    "WAL files, request logs, outputs, tickets; found in none"

check "core dumps of the server and of a device in mid-sync hold no secret key"
if grep -q __asan_init "$SYNC"; then
	echo "note: a sanitizer build makes no core dumps: skipped"
elif (ulimit -c unlimited) 2>/dev/null && [ "$(cat /proc/sys/kernel/core_pattern)" = core ]
then
	# A server holding the root key: of a backup (one server a store; the other runs on).
	"$SYNC" backup --db "$DB" --to "$TMP/copy.db" >/dev/null ||
	    fail "no backup to start a second server on"
	( ulimit -c unlimited; exec "$SYNC" serve --db "$TMP/copy.db" --listen 127.0.0.1:0 \
	    --quiet ) >/dev/null 2>&1 &
	pid=$!
	sleep 0.5
	kill -ABRT "$pid"
	wait "$pid" 2>/dev/null || :
	core=$(ls "$TMP"/core* 2>/dev/null | head -n 1)
	[ -n "$core" ] || fail "no core dump of the server"
	contains "$core" "$(pk_of "$DB.rootkey")" || fail "the core holds no heap (no public key)"
	if contains "$core" "$(seed_of "$DB.rootkey")"; then
		fail "the root key's seed is in the server's core dump"
	fi
	size=$(stat -c %s "$core")
	rm -f "$core"
	# A gate in the middle of a sync (its key loaded), the server stopped so that it waits.
	kill -STOP "$SERVER_PID"
	( ulimit -c unlimited; exec "$SCAN" sync --replica "$GATE" ) >/dev/null 2>&1 &
	pid=$!
	sleep 0.5
	kill -ABRT "$pid"
	wait "$pid" 2>/dev/null || :
	kill -CONT "$SERVER_PID"
	core=$(ls "$TMP"/core* 2>/dev/null | head -n 1)
	[ -n "$core" ] || fail "no core dump of the gate"
	contains "$core" "$(pk_of "$GATE.key")" || fail "the gate's core holds no public key"
	if contains "$core" "$(seed_of "$GATE.key")"; then
		fail "the gate key's seed is in its core dump"
	fi
	echo "figure: t42: core dumps of the server ($size bytes) and of a gate in mid-sync" \
	    "($(stat -c %s "$core") bytes) hold the public keys but not the seeds"
	rm -f "$core"
else
	echo "note: no core dumps here (core_pattern $(cat /proc/sys/kernel/core_pattern)," \
	    "ulimit -c $(ulimit -H -c)): skipped"
fi
echo "t42-secrets: ok"
