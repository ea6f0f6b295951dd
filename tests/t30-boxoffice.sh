#!/bin/sh
# t30-boxoffice.sh: tessera-boxoffice end to end, with the real sync server, real replicas and
# (when it is built) a real gate:
#   - a sale online: tickets printed, the PNG read back by zbarimg, the SVG and the ESC/POS
#     bytes holding the ticket text, a gate admitting the ticket;
#   - another box office refused the same seat, and shown it sold after a sync;
#   - leases, then the server stopped: the box office sells its leased seats offline and refuses
#     every other seat by name; the gate admits the offline ticket; the sales reach the server
#     and the other box office once it is back;
#   - a refund: the old ticket is DENY (void) at the gate, and the seat sells again;
#   - the shift report's totals are the sales made here, and closing it balances the drawer;
#   - under tmux at 80x24 a cashier opens the event, picks two seats, pays cash, sees the
#     change due and the tickets.
# Run by tests/run-tests with BUILD (the build folder, absolute) and SRCDIR (the repository).
set -eu

BUILD=${BUILD:-build}
SRCDIR=${SRCDIR:-$(pwd)}
SYNC="$BUILD/tessera-sync"
BOX="$BUILD/tessera-boxoffice"
SCAN="$BUILD/tessera-scanner"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/t30.XXXXXX")
SERVER_PID=""
TMUX_SOCK="t30-$$"
cleanup() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || :
	if [ -n "$SERVER_PID" ]; then
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

# run PROGRAM ARGS...: stdout and stderr in $out, the exit status in $rc.
run() {
	rc=0
	out=$("$@" 2>&1) || rc=$?
}

# runo PROGRAM ARGS...: stdout alone in $out, stderr in $err, the exit status in $rc.
runo() {
	rc=0
	out=$("$@" 2>"$TMP/stderr") || rc=$?
	err=$(cat "$TMP/stderr")
}

has() {
	printf '%s\n' "$out" | grep -F -q -- "$1" || fail "output lacks \"$1\""
}

# has_re REGEX: a line of the output matches the extended regular expression.
has_re() {
	printf '%s\n' "$out" | grep -E -q -- "$1" || fail "output lacks /$1/"
}

last_word() {
	printf '%s\n' "$out" | awk 'NF { w = $NF } END { print w }'
}

# The ticket text of a seat in the output of sell.
ticket_of() {
	printf '%s\n' "$out" | awk -F '\t' -v l="$1" '$1 == l { print $2 }'
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds, polling every 0.2 s.
wait_for() {
	n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

start_server() {
	: >"$TMP/serve.out"
	"$SYNC" serve --db "$TMP/central.db" --listen "127.0.0.1:${1:-0}" --quiet \
	    >"$TMP/serve.out" 2>"$TMP/serve.err" &
	SERVER_PID=$!
	wait_for 10 grep -q "serving on" "$TMP/serve.out" ||
	    { out=$(cat "$TMP/serve.err"); fail "the server did not start"; }
	PORT=$(sed -n 's|^tessera-sync: serving on http://127.0.0.1:\([0-9]*\).*|\1|p' \
	    "$TMP/serve.out" | head -n 1)
	[ -n "$PORT" ] || fail "no port in \"$(cat "$TMP/serve.out")\""
	URL="http://127.0.0.1:$PORT"
}

stop_server() {
	kill "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || :
	SERVER_PID=""
}

# A gate's verdict on a ticket, from its replica alone: 0 ADMIT, 1 DENY. Skipped (0) when the
# scanner is not built.
gate() {
	[ -x "$SCAN" ] || return 0
	run "$SCAN" check --replica "$GATE" --offline --event "$EVENT" "$1"
}

BO1="$TMP/front.db"
BO2="$TMP/side.db"
GATE="$TMP/gate.db"
DB="$TMP/central.db"

# ---------------------------------------------------------------- the central office
check "init, a venue, an event starting soon (so that a gate admits now), devices"
run "$SYNC" init --db "$DB"
[ "$rc" -eq 0 ] || fail "init"
run "$SYNC" venue import --db "$DB" "$SRCDIR/data/venues/theatre.csv"
[ "$rc" -eq 0 ] || fail "venue import"
VENUE=$(last_word)
STARTS=$(date -d '+2 hours' +%Y-%m-%dT%H:%M)
DOORS=$(date -d '-30 minutes' +%Y-%m-%dT%H:%M)
run "$SYNC" event create --db "$DB" --venue "$VENUE" --name "Hamlet" --starts "$STARTS" \
    --doors "$DOORS" --currency EUR --tier Stalls:45.00:A,B,C --tier Circle:30.00:CIRCLE,BOXES
[ "$rc" -eq 0 ] || fail "event create"
EVENT=$(last_word)
run "$SYNC" device add --db "$DB" --role boxoffice --name "Front desk"
CODE1=$(last_word)
run "$SYNC" device add --db "$DB" --role boxoffice --name "Side desk"
CODE2=$(last_word)
run "$SYNC" device add --db "$DB" --role gate --name "North gate"
CODEG=$(last_word)
start_server

check "enroll two box offices (and a gate when the scanner is built)"
run "$BOX" enroll --replica "$BO1" --server "$URL" --code "$CODE1"
[ "$rc" -eq 0 ] || fail "enroll front"
has "Front desk"
has "1 event ready"
run "$BOX" enroll --replica "$BO2" --server "$URL" --code "$CODE2"
[ "$rc" -eq 0 ] || fail "enroll side"
run "$BOX" enroll --replica "$TMP/again.db" --server "$URL" --code "$CODE1"
[ "$rc" -eq 1 ] || fail "a used code: exit $rc, want 1"
if [ -x "$SCAN" ]; then
	run "$SCAN" enroll --replica "$GATE" --server "$URL" --code "$CODEG"
	[ "$rc" -eq 0 ] || fail "enroll the gate"
else
	echo "note: $SCAN is not built: the gate checks are skipped"
fi
run "$BOX" shift open --replica "$BO1" --float 50
[ "$rc" -eq 0 ] || fail "shift open"

# ---------------------------------------------------------------- online
check "an online sale: the order number, then a ticket per seat; files written"
runo "$BOX" sell --replica "$BO1" --event "$EVENT" --seat A-1-1 A-1-2 --pay cash \
    --tendered 100 --png "$TMP/png" --svg "$TMP/svg" --escpos "$TMP/printer.bin"
[ "$rc" -eq 0 ] || { out="$out$err"; fail "sell online"; }
ORDER1=$(printf '%s\n' "$out" | head -n 1)
case "$ORDER1" in ''|*[!0-9]*) fail "the first line is not an order number" ;; esac
[ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ] || fail "want 3 lines"
T_A11=$(ticket_of A-1-1)
T_A12=$(ticket_of A-1-2)
[ ${#T_A11} -eq 136 ] && [ ${#T_A12} -eq 136 ] || fail "tickets of 136 characters"
case "$T_A11" in TS1:*) ;; *) fail "not a ticket: $T_A11" ;; esac
printf '%s\n' "$err" | grep -q "sold online" || { out=$err; fail "not sold online"; }
printf '%s\n' "$err" | grep -q "change due 10.00" || { out=$err; fail "no change due"; }

check "the PNG is read by zbarimg to the ticket text; the SVG and the printer bytes hold it"
PNG=$(ls "$TMP"/png/*-A-1-1-*.png)
run zbarimg --quiet --raw "$PNG"
[ "$(printf '%s\n' "$out" | grep -v '^Connection' | head -n 1)" = "$T_A11" ] ||
    fail "zbarimg read another text from $PNG"
grep -F -q "$T_A12" "$TMP"/svg/*-A-1-2-*.svg || fail "the SVG lacks the ticket text"
grep -F -q "Seat A-1-2" "$TMP"/svg/*-A-1-2-*.svg || fail "the SVG lacks the seat"
grep -F -q -a "$T_A11" "$TMP/printer.bin" || fail "the ESC/POS bytes lack the ticket text"
[ "$(grep -c -a "$(printf '\035V')" "$TMP/printer.bin")" -ge 2 ] || fail "no cut per ticket"

check "a gate admits the online ticket"
if [ -x "$SCAN" ]; then
	"$SCAN" sync --replica "$GATE" >/dev/null || fail "gate sync"
	gate "$T_A11"
	[ "$rc" -eq 0 ] || fail "the gate did not admit A-1-1"
	has "ADMIT"
fi

check "the other box office is refused the seat, and sees it sold after a sync"
run "$BOX" sell --replica "$BO2" --event "$EVENT" --seat A-1-2 --pay card --reference x
[ "$rc" -eq 1 ] || fail "a second sale of A-1-2: exit $rc, want 1"
has "A-1-2 is already sold"
run "$BOX" sync --replica "$BO2"
[ "$rc" -eq 0 ] || fail "sync"
state=$(sqlite3 "$BO2" "SELECT state FROM seat_state JOIN seats ON seats.id = seat_id WHERE \
    label = 'A-1-1' AND event_id = $EVENT")
[ "$state" = "sold" ] || fail "A-1-1 is \"$state\" at the other box office"
# Even without the server, it now knows.
run "$BOX" sell --replica "$BO2" --event "$EVENT" --seat A-1-1 --pay cash --offline
[ "$rc" -eq 1 ] || fail "sold A-1-1 again"
has "A-1-1 is already sold"

# ---------------------------------------------------------------- offline
check "leases: all or nothing, never two box offices"
run "$BOX" lease --replica "$BO1" --event "$EVENT" --seat B-1-1 B-1-2 B-1-3
[ "$rc" -eq 0 ] || fail "lease"
has "leased 3 seats"
run "$BOX" lease --replica "$BO2" --event "$EVENT" --seat B-1-3 B-1-4
[ "$rc" -eq 1 ] || fail "B-1-3 leased twice"
run "$BOX" lease --replica "$BO1" --event "$EVENT" --ga 2 --area NOWHERE
[ "$rc" -eq 1 ] || fail "an area that does not exist"

check "the server stops: leased seats sell offline, every other seat is refused by name"
stop_server
t0=$(date +%s)
runo "$BOX" sell --replica "$BO1" --event "$EVENT" --seat B-1-1,B-1-2 --pay card \
    --reference 4471 --png "$TMP/png"
[ "$rc" -eq 0 ] || { out="$out$err"; fail "an offline sale of leased seats"; }
[ $(($(date +%s) - t0)) -le 3 ] || fail "the offline sale waited on the network"
printf '%s\n' "$err" | grep -q OFFLINE || { out=$err; fail "not offline"; }
T_B11=$(ticket_of B-1-1)
[ ${#T_B11} -eq 136 ] || fail "no offline ticket"
run zbarimg --quiet --raw "$(ls "$TMP"/png/*-B-1-1-*.png)"
[ "$(printf '%s\n' "$out" | grep -v '^Connection' | head -n 1)" = "$T_B11" ] ||
    fail "zbarimg: the offline PNG"
for seats in "C-1-1" "B-1-3 C-1-2" "A-5-5"; do
	run "$BOX" sell --replica "$BO1" --event "$EVENT" --seat $seats --pay cash
	[ "$rc" -eq 1 ] || fail "sold $seats offline"
	bad=${seats##* }
	has "$bad is not leased to this box office; offline it can sell only its leased seats"
done
run "$BOX" sell --replica "$BO1" --event "$EVENT" --seat B-1-1 --pay cash
[ "$rc" -eq 1 ] || fail "sold B-1-1 twice"
has "B-1-1 is already sold"
if [ -x "$SCAN" ]; then
	gate "$T_B11"
	[ "$rc" -eq 0 ] || fail "the gate did not admit the offline ticket"
fi

check "the server is back: the offline sale reaches it and the other box office"
start_server "$PORT"
run "$BOX" sync --replica "$BO1"
[ "$rc" -eq 0 ] || fail "sync after offline"
has "pushed 2"
has "waiting 0"
run "$BOX" sync --replica "$BO2"
state=$(sqlite3 "$BO2" "SELECT state FROM seat_state JOIN seats ON seats.id = seat_id WHERE \
    label = 'B-1-2' AND event_id = $EVENT")
[ "$state" = "sold" ] || fail "B-1-2 is \"$state\" at the other box office"
run "$BOX" lease --replica "$BO1" --event "$EVENT" --return
[ "$rc" -eq 0 ] || fail "lease return"
has "returned 1 seat"

# ---------------------------------------------------------------- refund
check "a refund: the old ticket is refused at the gate, the seat sells again"
runo "$BOX" sell --replica "$BO1" --event "$EVENT" --seat A-2-1 --pay cash
[ "$rc" -eq 0 ] || fail "sell A-2-1"
T_A21=$(ticket_of A-2-1)
run "$BOX" refund --replica "$BO1" --seat A-2-1 --event "$EVENT"
[ "$rc" -eq 0 ] || fail "refund"
has "refunded order"
has "45.00 EUR back by cash"
run "$BOX" refund --replica "$BO1" --seat A-2-1 --event "$EVENT"
[ "$rc" -eq 1 ] || fail "refunded twice"
if [ -x "$SCAN" ]; then
	"$SCAN" sync --replica "$GATE" >/dev/null || fail "gate sync"
	gate "$T_A21"
	[ "$rc" -eq 1 ] || fail "the refunded ticket was not refused"
	has "DENY void"
fi
run "$BOX" sync --replica "$BO2"
runo "$BOX" sell --replica "$BO2" --event "$EVENT" --seat A-2-1 --pay card --reference y
[ "$rc" -eq 0 ] || { out="$out$err"; fail "the refunded seat does not sell again"; }
T_A21B=$(ticket_of A-2-1)
[ "$T_A21B" != "$T_A21" ] || fail "the same ticket again"
if [ -x "$SCAN" ]; then
	"$SCAN" sync --replica "$GATE" >/dev/null || fail "gate sync"
	gate "$T_A21B"
	[ "$rc" -eq 0 ] || fail "the new ticket for A-2-1 was not admitted"
	gate "$T_A21"
	[ "$rc" -eq 1 ] || fail "the old ticket for A-2-1 was admitted"
fi

# ---------------------------------------------------------------- the shift
check "the shift report: the sales made here, and the drawer"
# Cash: A-1-1 and A-1-2 (90.00) and A-2-1 (45.00) sold, A-2-1 refunded; card: B-1-1, B-1-2.
run "$BOX" report shift --replica "$BO1" --csv
[ "$rc" -eq 0 ] || fail "report"
has "sales,cash,3,135.00"
has "refunds,cash,1,45.00"
has "sales,card,2,90.00"
has "refunds,card,0,0.00"
has "sales,comp,0,0.00"
has "net,,4,180.00"
has "float,,,50.00"
has "expected_cash,,,140.00"
has "chain_head,intact,"
run "$BOX" shift close --replica "$BO1" --counted 140
[ "$rc" -eq 0 ] || fail "shift close"
has "Counted cash"
has_re "^Difference +0\\.00 EUR$"
has "chain intact"
HEAD=$(printf '%s\n' "$out" | awk '/Chain head/ { getline; print $1 }')
[ ${#HEAD} -eq 64 ] || fail "no chain head"
run "$BOX" report shift --replica "$BO1"
has "$HEAD"

check "tampering with the journal shows in the report"
sqlite3 "$BO1" ".backup '$TMP/tampered.db'"
cp "$BO1.key" "$TMP/tampered.db.key"
sqlite3 "$TMP/tampered.db" "DROP TRIGGER journal_no_update; UPDATE journal SET body = \
    replace(body, '\"total\":9000', '\"total\":4500') WHERE kind = 'sale'"
run "$BOX" report shift --replica "$TMP/tampered.db"
[ "$rc" -eq 1 ] || fail "a tampered journal: exit $rc, want 1"
has "BROKEN"

# ---------------------------------------------------------------- the screen
check "the screen under tmux at 80x24: open the event, two seats, cash, change, tickets"
# The side desk's shift (opened by its card sale) closes; the screen asks for a new float.
run "$BOX" shift close --replica "$BO2" --counted 0
[ "$rc" -eq 0 ] || fail "close the side desk's shift"
tm() {
	tmux -L "$TMUX_SOCK" "$@"
}
screen() {
	tm capture-pane -p -t box
}
on_screen() {
	screen | grep -F -q -- "$1"
}
# The screen has a line matching an extended regular expression (for wait_for: a program).
cat >"$TMP/on-screen-re" <<EOF
#!/bin/sh
tmux -L "$TMUX_SOCK" capture-pane -p -t box | grep -E -q -- "\$1"
EOF
chmod +x "$TMP/on-screen-re"
tm new-session -d -x 80 -y 24 -s box "env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$BOX' \
    --replica '$BO2' --png '$TMP/screen-png'; sleep 30"
# No shift is open at the side desk: it asks for the float first.
wait_for 10 on_screen "Opening float" || { out=$(screen); fail "no float asked"; }
tm send-keys -t box 2 0 Enter
wait_for 5 on_screen "Shift 2 (open)" || { out=$(screen); fail "the shift did not open"; }
tm send-keys -t box Escape
wait_for 5 on_screen "Hamlet" || { out=$(screen); fail "no event list"; }
wait_for 10 on_screen "ONLINE" || { out=$(screen); fail "not online"; }
tm send-keys -t box Enter
wait_for 5 on_screen " A  B  C  CIRCLE  BOXES" || { out=$(screen); fail "no seat map"; }
# Sold at the front desk, shown sold here: row 1 starts with A-1-1 and A-1-2.
screen | grep -q '^  1 x x' || { out=$(screen); fail "A-1-1 and A-1-2 do not show sold"; }
tm send-keys -t box j j Space
wait_for 5 "$TMP/on-screen-re" 'Cart +1 seat *$' ||
    { out=$(screen); fail "the first seat did not go in the cart"; }
tm send-keys -t box l Space
wait_for 5 on_screen "2 seats" || { out=$(screen); fail "the second seat did not go in the cart"; }
has_total=$(screen | grep -c "Total EUR *90.00" || :)
[ "$has_total" -ge 1 ] || { out=$(screen); fail "the cart total is not 90.00"; }
tm send-keys -t box Enter
wait_for 5 on_screen "Pay by:" || { out=$(screen); fail "no checkout"; }
tm send-keys -t box c 1 0 0
wait_for 5 on_screen "CHANGE DUE: 10.00 EUR" || { out=$(screen); fail "no change shown"; }
tm send-keys -t box Enter
wait_for 10 on_screen "Ticket 1 of 2" || { out=$(screen); fail "no tickets"; }
on_screen "CHANGE DUE 10.00 EUR" || { out=$(screen); fail "no change on the tickets"; }
on_screen "SEAT A-3-" || { out=$(screen); fail "no seat on the ticket"; }
screen | grep -q "█" || { out=$(screen); fail "no QR code on screen"; }
tm send-keys -t box n
wait_for 5 on_screen "Ticket 2 of 2" || { out=$(screen); fail "no second ticket"; }
tm send-keys -t box Enter
wait_for 5 "$TMP/on-screen-re" 'Cart +0 seats' || { out=$(screen); fail "not back to the map"; }
tm send-keys -t box q
wait_for 5 sh -c "! tmux -L '$TMUX_SOCK' capture-pane -p -t box | grep -q 'Tessera\|Hamlet'" ||
    { out=$(screen); fail "q does not quit"; }
[ "$(ls "$TMP"/screen-png/*.png | wc -l)" -eq 2 ] || fail "the screen's sale wrote no PNGs"
for f in "$TMP"/screen-png/*.png; do
	run zbarimg --quiet --raw "$f"
	printf '%s\n' "$out" | grep -q '^TS1:' || fail "zbarimg: $f"
done
run "$BOX" report shift --replica "$BO2" --csv
has "sales,cash,2,90.00"
has "expected_cash,,,110.00"

echo "t30-boxoffice: all checks passed"
