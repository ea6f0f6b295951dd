#!/bin/sh
# t10-sync-admin.sh: tessera-sync's admin commands, driven through the real binary:
# init, venue import and list, event create and list, device add, list and revoke, the
# reports on an empty event, --help everywhere, and serve starting and stopping on a signal.
# Run by tests/run-tests with BUILD (the build folder, absolute) and SRCDIR (the repository).
set -eu

BUILD=${BUILD:-build}
SRCDIR=${SRCDIR:-$(pwd)}
SYNC="$BUILD/tessera-sync"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/t10.XXXXXX")
SERVER_PID=""
cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || :
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

DB="$TMP/tessera.db"

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

# run CMD...: the output (stdout and stderr) in $out, the exit status in $rc.
run() {
	rc=0
	out=$("$SYNC" "$@" 2>&1) || rc=$?
}

# expect STATUS CMD...: run and require that exit status.
expect() {
	want=$1
	shift
	run "$@"
	[ "$rc" -eq "$want" ] || fail "tessera-sync $*: exit $rc, want $want"
}

# has TEXT: the last output contains TEXT (fixed string).
has() {
	printf '%s\n' "$out" | grep -F -q -- "$1" || fail "output lacks \"$1\""
}

last_word() {
	printf '%s\n' "$out" | awk 'NF { w = $NF } END { print w }'
}

[ -x "$SYNC" ] || fail "$SYNC is not built"

# ---------------------------------------------------------------- top level
check "tessera-sync --help lists every command and exits 0"
expect 0 --help
for c in init "venue import" "venue list" "event create" "event list" "device add" \
    "device list" "device revoke" "report sales" "report attendance" "report conflicts" serve; do
	has "tessera-sync $c "
done
check "tessera-sync --version exits 0"
expect 0 --version
has "tessera-sync"
check "no command, an unknown command, a group without its command: exit 2 with usage"
expect 2
has "usage:"
expect 2 frobnicate
has "unknown command"
has "usage:"
expect 2 venue
has "venue import"
expect 2 venue frob
has "unknown venue command"

# ---------------------------------------------------------------- --help of each command
# Every option in a command's usage must be explained below the usage lines too.
for c in init "venue import" "venue list" "event create" "event list" "device add" \
    "device list" "device revoke" "report sales" "report attendance" "report conflicts" serve; do
	check "tessera-sync $c --help exits 0 and explains its options"
	# shellcheck disable=SC2086
	expect 0 $c --help
	usage=$(printf '%s\n' "$out" | sed -n '/^usage:/,/^$/p')
	body=$(printf '%s\n' "$out" | sed '1,/^$/d')
	[ -n "$usage" ] || fail "$c --help: no usage line"
	for opt in $(printf '%s\n' "$usage" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		printf '%s\n' "$body" | grep -q -- "$opt" || fail "$c --help does not explain $opt"
	done
done

# ---------------------------------------------------------------- init
check "init creates the store and prints the root public key (hex) as the last word"
expect 0 init --db "$DB"
key=$(last_word)
printf '%s\n' "$key" | grep -E -q '^[0-9a-f]{64}$' || fail "last word \"$key\" is not a hex key"
has "root public key: $key"
[ -f "$DB" ] || fail "no store file $DB"
[ -f "$DB.rootkey" ] || fail "no root key $DB.rootkey"
check "the store and its root key are mode 0600"
for f in "$DB" "$DB.rootkey"; do
	mode=$(ls -l "$f" | cut -c1-10)
	[ "$mode" = "-rw-------" ] || fail "$f has mode $mode, want -rw-------"
done

check "init refuses an existing store and leaves it and its key alone"
before=$(cksum <"$DB.rootkey")
expect 1 init --db "$DB"
has "already exists"
[ "$(cksum <"$DB.rootkey")" = "$before" ] || fail "init changed the root key"
check "init without --db is a usage error"
expect 2 init
has "--db"

# ---------------------------------------------------------------- venues
check "venue list of a new store shows only the header"
expect 0 venue list --db "$DB"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "venue list of an empty store"

if [ -f "$SRCDIR/data/venues/theatre.csv" ]; then
	check "venue import of data/venues/theatre.csv prints the venue and its id"
	expect 0 venue import --db "$DB" "$SRCDIR/data/venues/theatre.csv"
	theatre=$(last_word)
	printf '%s\n' "$theatre" | grep -E -q '^[0-9]+$' || fail "last word \"$theatre\" is not an id"
	has "seats in"
	has "id $theatre"
else
	echo "note: $SRCDIR/data/venues/theatre.csv is missing; skipping its import"
fi

# A small venue whose sections this test knows.
cat >"$TMP/hall.csv" <<'EOF'
# A test hall.
venue,Test Hall
row,STALLS,1,1-10
row,STALLS,2,1-10
seat,BOX,A,1
ga,FLOOR,50
EOF
check "venue import of a small hall"
expect 0 venue import --db "$DB" "$TMP/hall.csv"
hall=$(last_word)
has "venue Test Hall: 71 seats in 3 sections, id $hall"
expect 0 venue list --db "$DB"
has "Test Hall"
venues_before=$out

check "a broken venue file: the error names file:line:column, exit 1, nothing imported"
cat >"$TMP/broken.csv" <<'EOF'
venue,Broken Hall
row,A,1,1-5
row,B,2,1-x
EOF
expect 1 venue import --db "$DB" "$TMP/broken.csv"
printf '%s\n' "$out" | grep -E -q 'broken\.csv:3:[0-9]+:' || fail "no file:line:column in the error"
expect 0 venue list --db "$DB"
[ "$out" = "$venues_before" ] || fail "venue list changed after a failed import"
check "venue import of a missing file fails; without a file it is a usage error"
expect 1 venue import --db "$DB" "$TMP/nonexistent.csv"
expect 2 venue import --db "$DB"
check "venue import into a store that does not exist fails"
expect 1 venue import --db "$TMP/none.db" "$TMP/hall.csv"
[ ! -e "$TMP/none.db" ] || fail "venue import created a store"

# ---------------------------------------------------------------- events
check "event create with tiers prints the event id as the last word"
expect 0 event create --db "$DB" --venue "$hall" --name "Opening Night" \
    --starts 2026-11-23T19:30+01:00 --tier Stalls:35:STALLS --tier "Box seat:60.50:box" \
    --tier Floor:20.5:FLOOR --reentry --currency GBP
event=$(last_word)
printf '%s\n' "$event" | grep -E -q '^[0-9]+$' || fail "last word \"$event\" is not an id"
has "3 tiers"
check "event create without tiers: one free tier for every section"
expect 0 event create --db "$DB" --venue "$hall" --name "Open rehearsal" \
    --starts "2026-11-22 18:00" --doors "2026-11-22 17:45"
free_event=$(last_word)
has "1 tier,"
[ "$free_event" != "$event" ] || fail "two events with the same id"
expect 0 event list --db "$DB"
has "Opening Night"
has "Open rehearsal"
has "GBP"
events_before=$out

check "event create refuses an unknown venue (exit 1, names it)"
expect 1 event create --db "$DB" --venue 9999 --name X --starts 2026-11-23T19:30Z
has "venue"
has "9999"
check "event create refuses a tier with a section the venue lacks (exit 1, names it)"
expect 1 event create --db "$DB" --venue "$hall" --name X --starts 2026-11-23T19:30Z \
    --tier Stalls:35:STALLS,BALCONY
has "BALCONY"
check "event create refuses a section in two tiers"
expect 1 event create --db "$DB" --venue "$hall" --name X --starts 2026-11-23T19:30Z \
    --tier A:1:STALLS --tier B:2:STALLS
has "STALLS"
check "event create refuses a bad time (exit 2, says what is wrong)"
expect 2 event create --db "$DB" --venue "$hall" --name X --starts 2026-13-23T19:30
has "month 13"
expect 2 event create --db "$DB" --venue "$hall" --name X --starts tomorrow
has "--starts"
expect 2 event create --db "$DB" --venue "$hall" --name X --starts 2026-11-23T19:30Z \
    --doors 2026-11-23T20:00Z
has "--doors"
check "event create refuses a bad price (exit 2, names it)"
expect 2 event create --db "$DB" --venue "$hall" --name X --starts 2026-11-23T19:30Z \
    --tier Stalls:35.123:STALLS
has "35.123"
expect 2 event create --db "$DB" --venue "$hall" --name X --starts 2026-11-23T19:30Z \
    --tier Stalls:-5:STALLS
has "price"
expect 2 event create --db "$DB" --venue "$hall" --name X --starts 2026-11-23T19:30Z \
    --tier Stalls:abc:STALLS
has "price"
check "event create refuses a bad currency, a bad section name, a missing option"
expect 2 event create --db "$DB" --venue "$hall" --name X --starts 2026-11-23T19:30Z \
    --currency euro
has "--currency"
expect 2 event create --db "$DB" --venue "$hall" --name X --starts 2026-11-23T19:30Z \
    --tier "Stalls:35:ST-ALLS"
has "ST-ALLS"
expect 2 event create --db "$DB" --venue "$hall" --starts 2026-11-23T19:30Z
has "--name"
expect 2 event create --db "$DB" --venue "$hall" --name X --starts 2026-11-23T19:30Z --bogus
has "--bogus"
check "failed event creates left no event behind"
expect 0 event list --db "$DB"
[ "$out" = "$events_before" ] || fail "event list changed after refused creates"

# ---------------------------------------------------------------- devices
check "device add prints the one-time enrollment code as the last word"
expect 0 device add --db "$DB" --role gate --name "North door" --sections stalls,FLOOR
code=$(last_word)
printf '%s\n' "$code" | grep -E -q '^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$' ||
    fail "last word \"$code\" is not an enrollment code"
gate=$(printf '%s\n' "$out" | sed -n 's/^device \([0-9]*\):.*/\1/p')
[ -n "$gate" ] || fail "device add did not print the device id"
expect 0 device add --db "$DB" --role boxoffice --name "Box office 1"
code2=$(last_word)
[ "$code2" != "$code" ] || fail "two devices got the same code"
box=$(printf '%s\n' "$out" | sed -n 's/^device \([0-9]*\):.*/\1/p')

check "device list shows both, pending, with sections and no public key yet"
expect 0 device list --db "$DB"
has "PUBLIC KEY"
printf '%s\n' "$out" | grep -E -q "^ *$gate +North door +gate +pending +STALLS,FLOOR +-$" ||
    fail "device list row of the gate"
printf '%s\n' "$out" | grep -E -q "^ *$box +Box office 1 +boxoffice +pending +- +-$" ||
    fail "device list row of the box office"

check "device add refuses a bad role, sections for a box office, a bad section name"
expect 2 device add --db "$DB" --role bouncer --name X
has "bouncer"
expect 2 device add --db "$DB" --role boxoffice --name X --sections A
has "--sections"
expect 2 device add --db "$DB" --role gate --name X --sections "A,,B"
has "empty"
expect 2 device add --db "$DB" --role gate
has "--name"

check "device revoke, then revoking again is an error"
expect 0 device revoke --db "$DB" "$gate"
has "revoked"
expect 0 device list --db "$DB"
printf '%s\n' "$out" | grep -E -q "^ *$gate +North door +gate +revoked " ||
    fail "device list does not show the gate revoked"
expect 1 device revoke --db "$DB" "$gate"
has "already revoked"
expect 1 device revoke --db "$DB" 4242
has "4242"
expect 2 device revoke --db "$DB" x1
expect 2 device revoke --db "$DB"

# ---------------------------------------------------------------- reports on an empty event
check "report sales on an empty event prints its tables' headers"
expect 0 report sales --db "$DB" --event "$event"
has "Opening Night"
has "TIER"
has "BOX OFFICE"
has "GBP 35.00"
has "GBP 60.50"
expect 0 report sales --db "$DB" --event "$event" --csv
[ "$(printf '%s\n' "$out" | head -n 1)" = \
    "group,id,name,price,sold,comps,cash,card,other,revenue,refunds,refunded" ] ||
    fail "report sales --csv header"
has "tier,0,Stalls,3500,0,0,0,0,0,0,,"
has "tier,1,Box seat,6050,"
has "total,,,,0,0,0,0,0,0,0,0"

check "report attendance on an empty event prints its tables' headers"
expect 0 report attendance --db "$DB" --event "$event"
has "SECTION"
has "GATE"
printf '%s\n' "$out" | grep -E -q '^STALLS +20 +0 +0 +0 +0 +0$' || fail "attendance row of STALLS"
printf '%s\n' "$out" | grep -E -q '^FLOOR +50 ' || fail "attendance row of FLOOR"
expect 0 report attendance --db "$DB" --event "$event" --csv
[ "$(printf '%s\n' "$out" | head -n 1)" = \
    "group,id,name,seats,sold,entered,inside,exited,not_yet,admissions,exits,refused,duplicates" ] ||
    fail "report attendance --csv header"
has "total,,,71,0,0,0,0,0,0,0,0,0"

check "report conflicts on an empty event prints its header"
expect 0 report conflicts --db "$DB" --event "$event"
has "0 conflicts"
has "WINNER AT"
has "LOSER AT"
expect 0 report conflicts --db "$DB" --event "$event" --csv
[ "$out" = "kind,seat,winner_id,winner,winner_at,loser_id,loser,loser_at,voided_key_id,voided_serial,detected_at" ] ||
    fail "report conflicts --csv of an empty event"

check "reports refuse an unknown event (exit 1) and a malformed one (exit 2)"
for r in sales attendance conflicts; do
	expect 1 report "$r" --db "$DB" --event 777
	has "no event 777"
	expect 2 report "$r" --db "$DB" --event seven
	expect 2 report "$r" --db "$DB"
done

# ---------------------------------------------------------------- serve
check "serve on port 0 prints the real port, answers /healthz, stops on SIGTERM with exit 0"
expect 2 serve --db "$DB" --listen localhost
has "HOST:PORT"
expect 2 serve --db "$DB" --tls-cert "$TMP/cert.pem"
has "--tls-key"
"$SYNC" serve --db "$DB" --listen 127.0.0.1:0 --quiet >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
i=0
while ! grep -q "serving on" "$TMP/serve.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { out=$(cat "$TMP/serve.err"); fail "serve did not start in 10 s"; }
	kill -0 "$SERVER_PID" 2>/dev/null || { out=$(cat "$TMP/serve.err"); fail "serve died"; }
	sleep 0.1
done
line=$(cat "$TMP/serve.out")
port=$(printf '%s\n' "$line" | sed -n 's|^tessera-sync: serving on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p')
[ -n "$port" ] && [ "$port" -ne 0 ] || { out=$line; fail "serve's first line"; }
if command -v curl >/dev/null 2>&1; then
	out=$(curl -s -S --max-time 10 "http://127.0.0.1:$port/healthz") || fail "curl /healthz"
	has '"ok":true'
fi
kill -TERM "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=""
[ "$rc" -eq 0 ] || { out=$(cat "$TMP/serve.out" "$TMP/serve.err"); fail "serve exited $rc on SIGTERM"; }
grep -q "tessera-sync: stopping" "$TMP/serve.out" || fail "serve did not say it was stopping"

echo "t10-sync-admin: all passed"
