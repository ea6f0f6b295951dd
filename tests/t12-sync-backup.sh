#!/bin/sh
# t12-sync-backup.sh: tessera-sync backup while the server serves, through the real binaries:
#   - a box office sells and a gate admits (online, through the server) in a loop while several
#     backups are taken;
#   - every copy passes PRAGMA integrity_check, has its root key (0600) and TLS files beside it,
#     holds at least the sales made before it started and at most those made by its end;
#   - the copy serves (https, the same pin), its reports work, and the last copy, taken after
#     the traffic, has every sale and admission;
#   - refusals: an existing destination (nothing of it touched), a missing store, usage errors.
# Run by tests/run-tests with BUILD (the build folder, absolute) and SRCDIR (the repository).
set -eu

BUILD=${BUILD:-build}
SRCDIR=${SRCDIR:-$(pwd)}
SYNC="$BUILD/tessera-sync"
BOX="$BUILD/tessera-boxoffice"
SCAN="$BUILD/tessera-scanner"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/t12.XXXXXX")
SERVER_PID=""
COPY_PID=""
TRAFFIC_PID=""
cleanup() {
	for p in $TRAFFIC_PID $COPY_PID $SERVER_PID; do
		kill "$p" 2>/dev/null || :
		wait "$p" 2>/dev/null || :
	done
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

mode() {
	stat -c %a "$1"
}

# serve DB OUT ERR: start a server on DB and wait for its line; sets $pid and $url.
serve() {
	"$SYNC" serve --db "$1" --listen 127.0.0.1:0 >"$2" 2>"$3" &
	pid=$!
	i=0
	while ! grep -q "serving on" "$2" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { out=$(cat "$3"); fail "serve $1 did not start in 10 s"; }
		kill -0 "$pid" 2>/dev/null || { out=$(cat "$3"); fail "serve $1 died"; }
		sleep 0.1
	done
	url=$(sed -n 's/^tessera-sync: serving on \(https*:[^ ]*\)$/\1/p' "$2")
}

# sold DB: tickets valid now in a store's copy; admitted DB: seats admitted.
sold() {
	sqlite3 "$1" "SELECT count(*) FROM seat_state WHERE state IN ('sold', 'admitted', 'exited')"
}
admitted() {
	sqlite3 "$1" "SELECT count(*) FROM seat_state WHERE state = 'admitted'"
}

DB="$TMP/central.db"
BO="$TMP/front.db"
GATE="$TMP/gate.db"

# ---------------------------------------------------------------- a serving store
check "a store with TLS, an event open now, a box office and a gate, serving"
run "$SYNC" init --db "$DB" --tls-host 127.0.0.1
[ "$rc" -eq 0 ] || fail "init"
PIN=$(printf '%s\n' "$out" | sed -n 's/^tls pin: //p')
run "$SYNC" venue import --db "$DB" "$SRCDIR/data/venues/theatre.csv"
VENUE=$(last_word)
run "$SYNC" event create --db "$DB" --venue "$VENUE" --name "Hamlet" \
    --starts "$(date -d '+2 hours' +%Y-%m-%dT%H:%M)" --doors "$(date -d '-30 minutes' +%Y-%m-%dT%H:%M)" \
    --tier Stalls:45:A,B,C --tier Circle:30:CIRCLE,BOXES
[ "$rc" -eq 0 ] || fail "event create"
EVENT=$(last_word)
run "$SYNC" device add --db "$DB" --role boxoffice --name "Front desk"
CODE_BO=$(last_word)
run "$SYNC" device add --db "$DB" --role gate --name "North gate"
CODE_GATE=$(last_word)
serve "$DB" "$TMP/serve.out" "$TMP/serve.err"
SERVER_PID=$pid
URL=$url
case "$URL" in https://*) ;; *) fail "not https: $URL" ;; esac
run "$BOX" enroll --replica "$BO" --server "$URL" --code "$CODE_BO" --pin "$PIN"
[ "$rc" -eq 0 ] || fail "enroll the box office"
run "$SCAN" enroll --replica "$GATE" --server "$URL" --code "$CODE_GATE" --pin "$PIN"
[ "$rc" -eq 0 ] || fail "enroll the gate"

# ---------------------------------------------------------------- backups under traffic
# Rows A and B: a seat sold online, then its ticket admitted online at the gate.
traffic() {
	for row in 1 2 3 4 5 6 7 8 9 10; do
		for sec in A B; do
			if ! "$BOX" sell --replica "$BO" --event "$EVENT" --seat "$sec-$row-1,$sec-$row-2" \
			    --pay card --reference "r$row" >"$TMP/sale" 2>>"$TMP/traffic.err"; then
				echo "sell $sec-$row" >>"$TMP/traffic.fail"
				continue
			fi
			awk -F '\t' 'NR > 1 { print $2 }' "$TMP/sale" | while IFS= read -r ticket; do
				"$SCAN" check --replica "$GATE" --event "$EVENT" --timeout 5000 "$ticket" \
				    >>"$TMP/traffic.out" 2>&1 || echo "check $ticket" >>"$TMP/traffic.fail"
			done
		done
	done
	echo done >"$TMP/traffic.done"
}

check "backups while a box office sells and a gate admits through the server"
traffic &
TRAFFIC_PID=$!
# backup N: a copy while the store may be changing, checked against the counts around it.
backup() {
	before=$(sold "$DB")
	run "$SYNC" backup --db "$DB" --to "$TMP/copy$1.db"
	[ "$rc" -eq 0 ] || fail "backup $1 while serving"
	after=$(sold "$DB")
	[ "$(last_word)" = "$TMP/copy$1.db" ] || fail "the last word is not the copy"
	has "quick_check ok"
	c=$(sold "$TMP/copy$1.db")
	[ "$c" -ge "$before" ] && [ "$c" -le "$after" ] ||
	    fail "copy $1 holds $c sold seats; the store had $before before and $after after"
	echo "copy $1: $c sold ($before..$after), $(admitted "$TMP/copy$1.db") admitted"
}
n=0
during=0
while [ ! -e "$TMP/traffic.done" ]; do
	n=$((n + 1))
	backup $n
	[ "$c" -gt 0 ] && [ "$c" -lt 40 ] && during=$((during + 1))
	[ $n -lt 100 ] || fail "the traffic did not end"
	sleep 0.1
done
wait "$TRAFFIC_PID" || fail "the traffic failed"
TRAFFIC_PID=""
[ ! -e "$TMP/traffic.fail" ] || { out=$(cat "$TMP/traffic.fail" "$TMP/traffic.err"); fail "a sale or an admission failed"; }
[ "$(grep -c '^ADMIT' "$TMP/traffic.out")" -eq 40 ] || { out=$(cat "$TMP/traffic.out"); fail "want 40 admissions"; }
[ "$(admitted "$DB")" -eq 40 ] || fail "the store has $(admitted "$DB") admissions, want 40"
[ $during -ge 2 ] || fail "only $during backups were taken in the middle of the traffic"
n=$((n + 1))
backup $n

check "every copy passes integrity_check and has its root key and TLS files, with their modes"
i=1
while [ $i -le $n ]; do
	C="$TMP/copy$i.db"
	[ "$(sqlite3 "$C" 'PRAGMA integrity_check')" = "ok" ] || fail "copy $i: integrity_check"
	[ "$(sqlite3 "$C" 'PRAGMA foreign_key_check' | wc -l)" -eq 0 ] || fail "copy $i: foreign keys"
	[ "$(mode "$C")" = 600 ] || fail "copy $i has mode $(mode "$C")"
	[ "$(mode "$C.rootkey")" = 600 ] || fail "copy $i's root key has mode $(mode "$C.rootkey")"
	[ "$(mode "$C.tlskey")" = 600 ] || fail "copy $i's TLS key has mode $(mode "$C.tlskey")"
	[ "$(mode "$C.crt")" = 644 ] || fail "copy $i's certificate has mode $(mode "$C.crt")"
	cmp -s "$DB.rootkey" "$C.rootkey" || fail "copy $i: another root key"
	cmp -s "$DB.crt" "$C.crt" && cmp -s "$DB.tlskey" "$C.tlskey" || fail "copy $i: TLS files"
	ls "$TMP" | grep -q "copy$i.db.*tmp" && fail "copy $i: a temporary file is left"
	i=$((i + 1))
done

check "the last copy, after the traffic, has every sale and admission"
L="$TMP/copy$n.db"
[ "$(sold "$L")" -eq 40 ] || fail "the last copy has $(sold "$L") sold seats, want 40"
[ "$(admitted "$L")" -eq 40 ] || fail "the last copy has $(admitted "$L") admissions, want 40"
[ "$(sqlite3 "$L" "SELECT value FROM meta WHERE key = 'seq'")" = \
    "$(sqlite3 "$DB" "SELECT value FROM meta WHERE key = 'seq'")" ] || fail "change sequences"

check "the copy serves: https with the same pin, its health, its reports"
serve "$L" "$TMP/copy.out" "$TMP/copy.err"
COPY_PID=$pid
COPY_URL=$url
grep -q "tls pin: $PIN" "$TMP/copy.err" || { out=$(cat "$TMP/copy.err"); fail "another pin"; }
out=$(curl -s -S --max-time 10 -k --pinnedpubkey "$PIN" "$COPY_URL/healthz") ||
    fail "curl the copy"
has '"ok":true'
has "\"seq\":$(sqlite3 "$DB" "SELECT value FROM meta WHERE key = 'seq'")"
kill -TERM "$COPY_PID"
wait "$COPY_PID" || fail "the copy's server did not exit 0"
COPY_PID=""
run "$SYNC" report attendance --db "$L" --event "$EVENT" --csv
[ "$rc" -eq 0 ] || fail "report attendance on the copy"
has "total,"

check "a backup of the copy, and of a store without TLS files"
run "$SYNC" backup --db "$L" --to "$TMP/copy-of-copy.db"
[ "$rc" -eq 0 ] || fail "backup of the copy"
run "$SYNC" init --db "$TMP/plain.db"
run "$SYNC" backup --db "$TMP/plain.db" --to "$TMP/plain-copy.db"
[ "$rc" -eq 0 ] || fail "backup without TLS"
[ -e "$TMP/plain-copy.db.rootkey" ] && [ ! -e "$TMP/plain-copy.db.crt" ] &&
    [ ! -e "$TMP/plain-copy.db.tlskey" ] || fail "the files beside a plain copy"

# ---------------------------------------------------------------- refusals
check "an existing destination is refused and left alone"
sum=$(cksum <"$TMP/copy1.db")
run "$SYNC" backup --db "$DB" --to "$TMP/copy1.db"
[ "$rc" -eq 1 ] || fail "backup over a copy: exit $rc, want 1"
has "exists; refusing to overwrite it"
[ "$(cksum <"$TMP/copy1.db")" = "$sum" ] || fail "the existing copy changed"
: >"$TMP/only-key.db.rootkey"
run "$SYNC" backup --db "$DB" --to "$TMP/only-key.db"
[ "$rc" -eq 1 ] || fail "backup over a root key: exit $rc, want 1"
has "only-key.db.rootkey exists"
[ ! -e "$TMP/only-key.db" ] || fail "a copy beside someone else's root key"
[ ! -s "$TMP/only-key.db.rootkey" ] || fail "the root key was replaced"

check "a missing store, a foreign root key, usage errors"
run "$SYNC" backup --db "$TMP/nope.db" --to "$TMP/x.db"
[ "$rc" -eq 1 ] || fail "a missing store: exit $rc, want 1"
[ ! -e "$TMP/x.db" ] || fail "a copy of nothing"
cp "$TMP/plain.db.rootkey" "$TMP/swap"
cp "$DB.rootkey" "$TMP/plain.db.rootkey"
run "$SYNC" backup --db "$TMP/plain.db" --to "$TMP/y.db"
[ "$rc" -eq 1 ] || fail "a foreign root key: exit $rc, want 1"
has "does not belong to the store"
[ ! -e "$TMP/y.db" ] && [ ! -e "$TMP/y.db.rootkey" ] || fail "a copy with a foreign key"
cp "$TMP/swap" "$TMP/plain.db.rootkey"
run "$SYNC" backup --db "$DB"
[ "$rc" -eq 2 ] || fail "no --to: exit $rc, want 2"
has "--to FILE is required"
run "$SYNC" backup --to "$TMP/z.db"
[ "$rc" -eq 2 ] || fail "no --db: exit $rc, want 2"
run "$SYNC" backup --db "$DB" --to "$TMP/z.db" extra
[ "$rc" -eq 2 ] || fail "an extra argument: exit $rc, want 2"
[ ! -e "$TMP/z.db" ] || fail "a copy after a usage error"

echo "t12: ok"
