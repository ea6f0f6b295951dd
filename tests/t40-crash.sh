#!/bin/sh
# t40-crash.sh: crashes, with the real programs. A fixed seed makes every run the same.
#
#   1. A box office selling offline (tessera-boxoffice sell --offline) and a gate admitting
#      offline (tessera-scanner check --offline) are killed with SIGKILL at random moments.
#      After every kill the replica passes PRAGMA integrity_check and holds whole sales and
#      scans only: an order with all its tickets, seats, operations and journal entry, or
#      nothing of it; an entry with its scan, seat and operation, or nothing of it.
#   2. The sync server (tessera-sync serve) is killed with SIGKILL at random moments while four
#      devices push (KILLS times: 20, 100 under TESSERA_TORTURE), and started again. After it
#      all, the store passes integrity_check, and the server and every replica hold exactly
#      the operations the devices committed: each sale and each entry once, none lost, none
#      doubled; every replica holds the server's records.
# Figures go to the log as "figure:" lines. Run by tests/run-tests with BUILD and SRCDIR.
set -eu

BUILD=${BUILD:-build}
SRCDIR=${SRCDIR:-$(pwd)}
SYNC="$BUILD/tessera-sync"
BOX="$BUILD/tessera-boxoffice"
SCAN="$BUILD/tessera-scanner"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/t40.XXXXXX")
SERVER_PID=""
case "${TESSERA_TORTURE:-0}" in
0|'') KILLS=${T40_KILLS:-20}; DEVKILLS=${T40_DEVKILLS:-12}; ROWS=8 ;;
*) KILLS=${T40_KILLS:-100}; DEVKILLS=${T40_DEVKILLS:-60}; ROWS=20 ;;
esac
cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill -9 "$SERVER_PID" 2>/dev/null || :
		wait "$SERVER_PID" 2>/dev/null || :
	fi
	[ -n "${T40_KEEP:-}" ] || rm -rf "$TMP"
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

q() {
	sqlite3 -cmd ".timeout 5000" "$@"
}

# The delays of the kills, in seconds: the same every run.
delays() {
	awk -v n="$1" -v max="$2" -v seed="$3" 'BEGIN { srand(seed); for (i = 0; i < n; i++)
	    printf "%.4f\n", rand() * max }'
}

integrity() {
	ic=$(q "$1" "PRAGMA integrity_check" 2>&1)
	[ "$ic" = ok ] || fail "integrity_check of $1: $ic"
}

for p in "$SYNC" "$BOX" "$SCAN"; do
	[ -x "$p" ] || fail "$p is not built"
done
command -v sqlite3 >/dev/null || fail "sqlite3 is not installed"

DB="$TMP/central.db"
BO1="$TMP/bo1.db"
BO2="$TMP/bo2.db"
G1="$TMP/g1.db"
G2="$TMP/g2.db"
PORT=0

start_server() {
	: >"$TMP/serve.out"
	"$SYNC" serve --db "$DB" --listen "127.0.0.1:$PORT" --quiet >"$TMP/serve.out" \
	    2>>"$TMP/serve.err" &
	SERVER_PID=$!
	wait_for 10 grep -q "serving on" "$TMP/serve.out" ||
	    { out=$(cat "$TMP/serve.err"); fail "the server did not start"; }
	PORT=$(sed -n 's|^tessera-sync: serving on http://127.0.0.1:\([0-9]*\).*|\1|p' \
	    "$TMP/serve.out")
	URL="http://127.0.0.1:$PORT"
}

# ---------------------------------------------------------------- the world
check "a store, a hall of 2 x $ROWS x 25 seats, an event open now, two box offices, two gates"
run "$SYNC" init --db "$DB"
[ "$rc" -eq 0 ] || fail "init"
{
	echo "venue,Crash Hall"
	for s in A B; do
		r=1
		while [ "$r" -le "$ROWS" ]; do
			echo "row,$s,$r,1-25"
			r=$((r + 1))
		done
	done
} >"$TMP/hall.csv"
run "$SYNC" venue import --db "$DB" "$TMP/hall.csv"
[ "$rc" -eq 0 ] || fail "venue import"
VENUE=$(last_word)
run "$SYNC" event create --db "$DB" --venue "$VENUE" --name "Crash test" \
    --starts "$(date -d '+2 hours' +%Y-%m-%dT%H:%M)" \
    --doors "$(date -d '-30 minutes' +%Y-%m-%dT%H:%M)" --tier "All:10.00:A,B"
[ "$rc" -eq 0 ] || fail "event create"
EVENT=$(last_word)
code() {
	run "$SYNC" device add --db "$DB" "$@"
	[ "$rc" -eq 0 ] || fail "device add"
	last_word
}
C1=$(code --role boxoffice --name "Box 1")
C2=$(code --role boxoffice --name "Box 2")
C3=$(code --role gate --name "Gate 1")
C4=$(code --role gate --name "Gate 2")
start_server
run "$BOX" enroll --replica "$BO1" --server "$URL" --code "$C1"
[ "$rc" -eq 0 ] || fail "enroll"
run "$BOX" enroll --replica "$BO2" --server "$URL" --code "$C2"
[ "$rc" -eq 0 ] || fail "enroll"
run "$SCAN" enroll --replica "$G1" --server "$URL" --code "$C3"
[ "$rc" -eq 0 ] || fail "enroll"
run "$SCAN" enroll --replica "$G2" --server "$URL" --code "$C4"
[ "$rc" -eq 0 ] || fail "enroll"
run "$BOX" lease --replica "$BO1" --event "$EVENT" --section A
[ "$rc" -eq 0 ] || fail "lease A"
run "$BOX" lease --replica "$BO2" --event "$EVENT" --section B
[ "$rc" -eq 0 ] || fail "lease B"
for g in "$G1" "$G2"; do
	run "$SCAN" sync --replica "$g"
	[ "$rc" -eq 0 ] || fail "gate sync"
done
id_of() {
	q "$1" "SELECT value FROM meta WHERE key = 'device_id'"
}
BO1_ID=$(id_of "$BO1")
BO2_ID=$(id_of "$BO2")
G1_ID=$(id_of "$G1")
G2_ID=$(id_of "$G2")

# ---------------------------------------------------------------- 1. devices killed
# Whole sales only at a box office (me = its device id).
box_whole() {
	integrity "$1"
	bad=$(q "$1" "SELECT
	    (SELECT count(*) FROM orders WHERE id NOT IN (SELECT order_id FROM order_tickets)) ||
	    ' ' || (SELECT count(*) FROM order_tickets t JOIN seat_state s USING (event_id,
	        seat_id) WHERE t.refunded_at IS NULL AND NOT (s.key_id = $2 AND s.serial = t.serial
	        AND s.state IN ('sold', 'admitted', 'exited'))) ||
	    ' ' || (SELECT count(*) FROM seat_state s WHERE s.key_id = $2 AND s.state = 'sold' AND
	        NOT EXISTS (SELECT 1 FROM order_tickets t WHERE t.event_id = s.event_id AND
	        t.seat_id = s.seat_id AND t.serial = s.serial)) ||
	    ' ' || ((SELECT count(*) FROM journal WHERE kind = 'sale') -
	        (SELECT count(*) FROM orders)) ||
	    ' ' || ((SELECT count(*) FROM outbox WHERE kind = 'sell') -
	        (SELECT count(*) FROM order_tickets))")
	[ "$bad" = "0 0 0 0 0" ] || fail "$1: half a sale (orders without tickets, tickets " \
	    "without seats, seats without tickets, journal - orders, outbox - tickets): $bad"
}

# Whole entries only at a gate.
gate_whole() {
	integrity "$1"
	bad=$(q "$1" "SELECT
	    ((SELECT count(*) FROM admissions) - (SELECT count(*) FROM scan_log WHERE
	        verdict = 'admit' AND mode = 'entry')) ||
	    ' ' || ((SELECT count(*) FROM outbox WHERE kind = 'admit') -
	        (SELECT count(*) FROM admissions)) ||
	    ' ' || ((SELECT count(*) FROM seat_state WHERE state = 'admitted' AND
	        admitted_by = $2) - (SELECT count(*) FROM admissions))")
	[ "$bad" = "0 0 0" ] || fail "$1: half an entry (admissions - scans, outbox - " \
	    "admissions, seats - admissions): $bad"
}

check "tessera-boxoffice sell --offline killed at random moments, $DEVKILLS times"
seat=1
row=1
killed=0
completed=0
for d in $(delays "$DEVKILLS" 0.016 40); do
	s1="A-$row-$seat"
	s2="A-$row-$((seat + 1))"
	seat=$((seat + 2))
	if [ "$seat" -gt 24 ]; then seat=1; row=$((row + 1)); fi
	"$BOX" sell --replica "$BO1" --event "$EVENT" --seat "$s1" "$s2" --pay cash --offline \
	    >/dev/null 2>&1 &
	pid=$!
	sleep "$d"
	kill -9 "$pid" 2>/dev/null || :
	if wait "$pid"; then completed=$((completed + 1)); else killed=$((killed + 1)); fi
	box_whole "$BO1" "$BO1_ID"
done
# And a few more that finish, so that there is something to scan.
for s in 1 3 5 7 9; do
	run "$BOX" sell --replica "$BO1" --event "$EVENT" --seat "A-$ROWS-$s" "A-$ROWS-$((s + 1))" \
	    --pay card --reference crash --offline
	[ "$rc" -eq 0 ] || fail "sell A-$ROWS-$s"
done
box_whole "$BO1" "$BO1_ID"
orders=$(q "$BO1" "SELECT count(*) FROM orders")
echo "figure: t40: box office killed in $killed of $DEVKILLS offline sales ($completed" \
    "finished first); $orders orders on disk, each whole; integrity ok"

check "tessera-scanner check --offline killed at random moments"
q "$BO1" "SELECT qr_text FROM order_tickets ORDER BY serial" >"$TMP/tickets"
ntickets=$(wc -l <"$TMP/tickets")
killed=0
i=0
for d in $(delays "$ntickets" 0.014 41); do
	i=$((i + 1))
	t=$(sed -n "${i}p" "$TMP/tickets")
	"$SCAN" check --replica "$G1" --offline --event "$EVENT" "$t" >/dev/null 2>&1 &
	pid=$!
	sleep "$d"
	kill -9 "$pid" 2>/dev/null || :
	wait "$pid" 2>/dev/null || killed=$((killed + 1))
	gate_whole "$G1" "$G1_ID"
done
# Every ticket once more, to the end: each is admitted exactly once.
while read -r t; do
	run "$SCAN" check --replica "$G1" --offline --event "$EVENT" "$t"
	case "$out" in
	"ADMIT admitted"*|"DENY already-admitted"*) ;;
	*) fail "a ticket scanned again" ;;
	esac
done <"$TMP/tickets"
gate_whole "$G1" "$G1_ID"
[ "$(q "$G1" "SELECT count(*) FROM admissions")" -eq "$ntickets" ] ||
    fail "not $ntickets admissions"
echo "figure: t40: gate killed in $killed of $ntickets offline scans; after a second scan" \
    "of each, $ntickets entries, each whole; integrity ok"

# ---------------------------------------------------------------- 2. the server killed
check "tessera-sync serve killed with SIGKILL at random moments during pushes, $KILLS times"
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || :
SERVER_PID=""
cut=0
midpush=0
round=0
bseat=1
brow=1
for d in $(delays "$KILLS" 0.04 42); do
	round=$((round + 1))
	# New work while the server is down: a sale of 4 at box office 2, its entries at gate 2.
	seats=""
	for k in 1 2 3 4; do
		seats="$seats B-$brow-$bseat"
		bseat=$((bseat + 1))
		if [ "$bseat" -gt 25 ]; then bseat=1; brow=$((brow + 1)); fi
	done
	[ "$brow" -le "$ROWS" ] || brow=1
	run "$BOX" sell --replica "$BO2" --event "$EVENT" --seat $seats --pay cash --offline
	if [ "$rc" -eq 0 ]; then
		printf '%s\n' "$out" | awk -F '\t' 'NF == 2 { print $2 }' | head -n 2 |
		while read -r t; do
			"$SCAN" check --replica "$G2" --offline --event "$EVENT" "$t" >/dev/null ||
			    fail "gate 2 check"
		done
	fi
	start_server
	pids=""
	for r in "$BO1" "$BO2"; do
		"$BOX" sync --replica "$r" >/dev/null 2>&1 &
		pids="$pids $!"
	done
	for r in "$G1" "$G2"; do
		"$SCAN" sync --replica "$r" >/dev/null 2>&1 &
		pids="$pids $!"
	done
	sleep "$d"
	kill -9 "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || :
	SERVER_PID=""
	for p in $pids; do
		wait "$p" || cut=$((cut + 1))
	done
	integrity "$DB"
	left=0
	for r in "$BO1" "$BO2" "$G1" "$G2"; do
		left=$((left + $(q "$r" "SELECT count(*) FROM outbox")))
	done
	[ "$left" -eq 0 ] || midpush=$((midpush + 1))
done
echo "figure: t40: server killed $KILLS times with SIGKILL during pushes; $cut device syncs" \
    "cut off by the kill, $midpush kills left operations unacknowledged; store integrity ok" \
    "after every kill"

check "after it all: two rounds of sync, then the server and every replica agree"
start_server
for k in 1 2; do
	for r in "$BO1" "$BO2"; do
		run "$BOX" sync --replica "$r"
		[ "$rc" -eq 0 ] || fail "final sync of $r"
	done
	for r in "$G1" "$G2"; do
		run "$SCAN" sync --replica "$r"
		[ "$rc" -eq 0 ] || fail "final sync of $r"
	done
done
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || :
SERVER_PID=""
integrity "$DB"
lost=0
doubled=0
total=0
# Sales: each ticket of each box office is one sell operation on the server.
for pair in "$BO1:$BO1_ID" "$BO2:$BO2_ID"; do
	r=${pair%%:*}
	id=${pair#*:}
	integrity "$r"
	set -- $(q "$DB" "ATTACH '$r' AS r; SELECT
	    (SELECT count(*) FROM r.order_tickets),
	    (SELECT count(*) FROM ops WHERE device_id = $id AND kind = 'sell'),
	    (SELECT count(*) FROM r.order_tickets t WHERE NOT EXISTS (SELECT 1 FROM ops o WHERE
	        o.device_id = $id AND o.kind = 'sell' AND o.event_id = t.event_id AND
	        o.seat_id = t.seat_id AND o.order_no = t.order_id)),
	    (SELECT count(*) FROM r.outbox)" | tr '|' ' ')
	[ "$4" -eq 0 ] || fail "$r: $4 operations still waiting"
	total=$((total + $1))
	lost=$((lost + $3))
	doubled=$((doubled + $2 - $1 + $3))
done
# Entries: each admission at each gate is one admit operation on the server.
for pair in "$G1:$G1_ID" "$G2:$G2_ID"; do
	r=${pair%%:*}
	id=${pair#*:}
	integrity "$r"
	set -- $(q "$DB" "ATTACH '$r' AS r; SELECT
	    (SELECT count(*) FROM r.admissions),
	    (SELECT count(*) FROM ops WHERE device_id = $id AND kind = 'admit'),
	    (SELECT count(*) FROM r.admissions a WHERE NOT EXISTS (SELECT 1 FROM ops o WHERE
	        o.device_id = $id AND o.kind = 'admit' AND o.event_id = a.event_id AND
	        o.seat_id = a.seat_id AND o.at = a.at)),
	    (SELECT count(*) FROM r.outbox)" | tr '|' ' ')
	[ "$4" -eq 0 ] || fail "$r: $4 operations still waiting"
	total=$((total + $1))
	lost=$((lost + $3))
	doubled=$((doubled + $2 - $1 + $3))
done
# Every replica holds the server's record of every seat that changed.
for r in "$BO1" "$BO2" "$G1" "$G2"; do
	differ=$(q "$DB" "ATTACH '$r' AS r; SELECT count(*) FROM seat_state s LEFT JOIN
	    r.seat_state l USING (event_id, seat_id) WHERE l.state IS NOT s.state OR
	    l.vv IS NOT s.vv OR l.key_id IS NOT s.key_id OR l.serial IS NOT s.serial OR
	    l.admitted_by IS NOT s.admitted_by")
	[ "$differ" -eq 0 ] || fail "$r differs from the server in $differ seats"
done
echo "figure: t40: $total operations committed on the devices; on the server: lost $lost," \
    "doubled $doubled; 4 replicas identical to the server; integrity ok everywhere"
[ "$lost" -eq 0 ] || fail "$lost operations lost"
[ "$doubled" -eq 0 ] || fail "$doubled operations doubled"
echo "t40-crash: ok"
