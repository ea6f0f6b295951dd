#!/bin/sh
# t20-scanner.sh: tessera-scanner end to end, with the real sync server and real replicas:
# enroll and sync; check producing every reason code from a ticket made for it (online and
# offline); check --image on a PNG from the QR module and one from the qrencode tool; inspect's
# bytes verified by OpenSSL (not libsodium); and the gate screen under tmux: ADMIT then DENIED
# for the same ticket, a burst of 50 tickets typed as fast as tmux can giving 50 verdicts in
# order, and OFFLINE once the server is stopped.
#
# Tickets come from tessera-boxoffice sell when it is built; tickets made for one reason (a
# forged signature, an old generation, a revoked box office...) are signed with a box office's
# real key by the helper in tests/test_gate.c ("test_gate sign").
# Run by tests/run-tests with BUILD (the build folder, absolute) and SRCDIR (the repository).
set -eu
set -f          # verdict lines are split into words; no globbing

BUILD=${BUILD:-build}
SRCDIR=${SRCDIR:-$(pwd)}
SYNC="$BUILD/tessera-sync"
SCAN="$BUILD/tessera-scanner"
BOX="$BUILD/tessera-boxoffice"
SIGN="$BUILD/tests/test_gate"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/t20.XXXXXX")
SERVER_PID=""
TMUX_SOCK="t20-$$"
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

last_word() {
	printf '%s\n' "$out" | awk 'NF { w = $NF } END { print w }'
}

# verdict WANT_STATUS WANT_WORD WANT_REASON ARGS...: tessera-scanner check ARGS, and require
# its exit status and the first two words of its line ("ADMIT admitted", "DENY void").
verdict() {
	want_rc=$1
	want_word=$2
	want_reason=$3
	shift 3
	run "$SCAN" check "$@"
	set -- $out
	[ "$rc" -eq "$want_rc" ] || fail "check: exit $rc, want $want_rc"
	[ "${1:-}" = "$want_word" ] && [ "${2:-}" = "$want_reason" ] ||
	    fail "check: got \"${1:-} ${2:-}\", want \"$want_word $want_reason\""
	seen_reasons="$seen_reasons $want_reason"
}

has() {
	printf '%s\n' "$out" | grep -F -q -- "$1" || fail "output lacks \"$1\""
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds, polling every 0.2 s.
wait_for() {
	n=$(($1 * 5))
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.2
	done
}

for p in "$SYNC" "$SCAN" "$SIGN"; do
	[ -x "$p" ] || fail "$p is not built"
done
for t in tmux sqlite3 openssl qrencode xxd; do
	command -v "$t" >/dev/null || fail "$t is not installed (scripts/install-deps)"
done
seen_reasons=""
DB="$TMP/central.db"
now=$(date +%s)
iso() {
	date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ
}

# ---------------------------------------------------------------- the central office
check "a store, the theatre, tonight's show, tomorrow's and last night's, four devices"
run "$SYNC" init --db "$DB"
[ "$rc" -eq 0 ] || fail "init"
run "$SYNC" venue import --db "$DB" "$SRCDIR/data/venues/theatre.csv"
[ "$rc" -eq 0 ] || fail "venue import"
VENUE=$(last_word)
run "$SYNC" event create --db "$DB" --venue "$VENUE" --name "Tonight" \
    --starts "$(iso $((now + 3600)))" --doors "$(iso $((now - 1800)))" \
    --tier "Stalls:45:A,B,C" --tier "Circle:25:CIRCLE,BOXES"
[ "$rc" -eq 0 ] || fail "event create"
EVENT=$(last_word)
run "$SYNC" event create --db "$DB" --venue "$VENUE" --name "Tomorrow" \
    --starts "$(iso $((now + 90000)))" --doors "$(iso $((now + 86400)))"
[ "$rc" -eq 0 ] || fail "event create"
TOMORROW=$(last_word)
run "$SYNC" event create --db "$DB" --venue "$VENUE" --name "Last night" \
    --starts "$(iso $((now - 86400)))" --doors "$(iso $((now - 90000)))"
[ "$rc" -eq 0 ] || fail "event create (in the past): $out"
PAST=$(last_word)
device() {
	run "$SYNC" device add --db "$DB" "$@"
	[ "$rc" -eq 0 ] || fail "device add $*"
	last_word
}
CODE_NORTH=$(device --role gate --name "North Gate")
CODE_SOUTH=$(device --role gate --name "South Gate" --sections CIRCLE,BOXES)
CODE_EAST=$(device --role gate --name "East Gate")
CODE_BO=$(device --role boxoffice --name "Box office")
CODE_KIOSK=$(device --role boxoffice --name "Kiosk")

"$SYNC" serve --db "$DB" --listen 127.0.0.1:0 --quiet >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
wait_for 10 grep -q "serving on" "$TMP/serve.out" || fail "the server did not start"
URL=$(sed -n 's|^tessera-sync: serving on \(http://127\.0\.0\.1:[0-9][0-9]*\)$|\1|p' \
    "$TMP/serve.out")
[ -n "$URL" ] || fail "no URL in \"$(cat "$TMP/serve.out")\""

# ---------------------------------------------------------------- enroll and sync
check "enroll the gates and the box offices"
NORTH="$TMP/north.db"
SOUTH="$TMP/south.db"
EAST="$TMP/east.db"
BO="$TMP/bo.db"
KIOSK="$TMP/kiosk.db"
run "$SCAN" enroll --replica "$NORTH" --server "$URL" --code "$CODE_NORTH"
[ "$rc" -eq 0 ] || fail "enroll"
has "enrolled: gate \"North Gate\""
run "$SCAN" enroll --replica "$NORTH" --server "$URL" --code "$CODE_NORTH"
[ "$rc" -eq 1 ] || fail "a second enroll: exit $rc, want 1"
for g in "$SOUTH:$CODE_SOUTH" "$EAST:$CODE_EAST"; do
	run "$SCAN" enroll --replica "${g%%:*}" --server "$URL" --code "${g#*:}"
	[ "$rc" -eq 0 ] || fail "enroll"
done
if [ -x "$BOX" ]; then
	run "$BOX" enroll --replica "$BO" --server "$URL" --code "$CODE_BO"
else
	run "$SCAN" enroll --replica "$BO" --server "$URL" --code "$CODE_BO"
fi
[ "$rc" -eq 0 ] || fail "enroll the box office"
run "$SCAN" enroll --replica "$KIOSK" --server "$URL" --code "$CODE_KIOSK"
[ "$rc" -eq 0 ] || fail "enroll the kiosk"
has "not a gate"

check "sync: the gates learn of the box offices"
for g in "$NORTH" "$SOUTH" "$EAST"; do
	run "$SCAN" sync --replica "$g"
	[ "$rc" -eq 0 ] || fail "sync"
	has "pushed 0, waiting 0"
done
id_of() {
	sqlite3 "$NORTH" "SELECT id FROM devices WHERE name = '$1'"
}
BO_ID=$(id_of "Box office")
KIOSK_ID=$(id_of "Kiosk")
NORTH_ID=$(id_of "North Gate")
[ -n "$BO_ID" ] && [ -n "$KIOSK_ID" ] && [ -n "$NORTH_ID" ] || fail "devices not synced"
seat() {
	sqlite3 "$NORTH" "SELECT id FROM seats WHERE label = '$1'"
}
[ -n "$(seat A-1-1)" ] || fail "the seat map did not reach the gate"

# sign KEYFILE KEY_ID EVENT LABEL SERIAL GENERATION [TIER [ISSUED]]: a ticket's text
serial=1000
sign() {
	"$SIGN" sign "$1" "$2" "$3" "$(seat "$4")" "$5" "$6" "${7:-0}" "${8:-$now}"
}

# ---------------------------------------------------------------- tickets sold
if [ -x "$BOX" ]; then
	check "tessera-boxoffice sells A-1-1, A-1-2, A-1-3, CIRCLE-1-1 online"
	run "$BOX" sell --replica "$BO" --event "$EVENT" --seat A-1-1 --seat A-1-2 --seat A-1-3 \
	    --seat CIRCLE-1-1 --pay cash --tendered 500 --png "$TMP"
	[ "$rc" -eq 0 ] || fail "sell"
	ticket_of() {
		printf '%s\n' "$out" | awk -F '\t' -v l="$1" '$1 == l { print $2 }'
	}
	SOLD=$out
	T_A11=$(out=$SOLD; ticket_of A-1-1)
	T_A12=$(out=$SOLD; ticket_of A-1-2)
	T_A13=$(out=$SOLD; ticket_of A-1-3)
	T_C11=$(out=$SOLD; ticket_of CIRCLE-1-1)
	PNG=$(ls "$TMP"/*-A-1-2-*.png 2>/dev/null | head -n 1)
else
	echo "note: $BOX is not built: tickets are signed with the box office's key instead"
	T_A11=$(sign "$BO.key" "$BO_ID" "$EVENT" A-1-1 1 0)
	T_A12=$(sign "$BO.key" "$BO_ID" "$EVENT" A-1-2 2 0)
	T_A13=$(sign "$BO.key" "$BO_ID" "$EVENT" A-1-3 3 0)
	T_C11=$(sign "$BO.key" "$BO_ID" "$EVENT" CIRCLE-1-1 4 0 1)
	PNG=""
fi
[ ${#T_A11} -eq 136 ] || fail "no ticket for A-1-1: \"$T_A11\""
for g in "$NORTH" "$SOUTH"; do
	"$SCAN" sync --replica "$g" >/dev/null || fail "sync"
done

# ---------------------------------------------------------------- every reason code
check "admitted, online, then already-admitted naming the gate and the time"
verdict 0 ADMIT admitted --replica "$NORTH" "$T_A11"
has "A-1-1"
[ "$(sqlite3 "$NORTH" "SELECT route FROM scan_log ORDER BY id DESC LIMIT 1")" = online ] ||
    fail "not admitted online"
verdict 1 DENY already-admitted --replica "$NORTH" "$T_A11"
has "this gate"
verdict 1 DENY already-admitted --replica "$EAST" "$T_A11"
has "Already admitted at North Gate at "

check "--json"
run "$SCAN" check --replica "$NORTH" --json "$T_A12"
[ "$rc" -eq 0 ] || fail "check --json: exit $rc"
has '"verdict":"admit"'
has '"reason":"admitted"'
has '"label":"A-1-2"'
has '"tier":"Stalls"'
has '"route":"online"'

check "exited, not-inside, and no re-entry"
verdict 0 ADMIT exited --replica "$NORTH" --exit "$T_A12"
verdict 1 DENY not-inside --replica "$NORTH" --exit "$T_A12"
verdict 1 DENY already-admitted --replica "$NORTH" "$T_A12"
has "no re-entry"
verdict 1 DENY not-inside --replica "$NORTH" --exit "$T_A13"

check "wrong-gate: South Gate admits the circle and the boxes only"
verdict 1 DENY wrong-gate --replica "$SOUTH" "$T_A13"
has "North Gate"
verdict 0 ADMIT admitted --replica "$SOUTH" "$T_C11"
has "CIRCLE-1-1"

check "not-a-ticket and unreadable"
verdict 1 DENY not-a-ticket --replica "$NORTH" "hello, world"
verdict 1 DENY not-a-ticket --replica "$NORTH" "https://example.com/?ticket=1"
cut=$(printf '%s' "$T_A13" | cut -c1-120)
verdict 1 DENY unreadable --replica "$NORTH" "$cut"
verdict 1 DENY unreadable --replica "$NORTH" "${T_A13}XYZ"
verdict 1 DENY unreadable --replica "$NORTH" "TS1:abc$(printf '%s' "$T_A13" | cut -c8-)"

check "bad-signature: one character of the signature changed"
last=$(printf '%s' "$T_A13" | cut -c136)
if [ "$last" = 0 ]; then other=1; else other=0; fi
forged="$(printf '%s' "$T_A13" | cut -c1-135)$other"
verdict 1 DENY bad-signature --replica "$NORTH" "$forged"
# A genuine signature for A-1-4 under a payload that claims A-1-5: characters 5 to 37 are the
# payload's first 22 bytes (base45: 3 characters for 2 bytes), the seat id among them.
serial=$((serial + 1))
signed_a14=$(sign "$BO.key" "$BO_ID" "$EVENT" A-1-4 "$serial" 0)
signed_a15=$(sign "$BO.key" "$BO_ID" "$EVENT" A-1-5 "$serial" 0)
mixed="$(printf '%s' "$signed_a15" | cut -c1-37)$(printf '%s' "$signed_a14" | cut -c38-)"
verdict 1 DENY bad-signature --replica "$NORTH" "$mixed"

check "unknown-key, wrong-role, outside-validity, revoked"
serial=$((serial + 1))
verdict 1 DENY unknown-key --replica "$NORTH" \
    "$(sign "$BO.key" 99999 "$EVENT" A-1-4 "$serial" 0)"
verdict 1 DENY wrong-role --replica "$NORTH" \
    "$(sign "$NORTH.key" "$NORTH_ID" "$EVENT" A-1-4 "$serial" 0)"
verdict 1 DENY outside-validity --replica "$NORTH" \
    "$(sign "$BO.key" "$BO_ID" "$EVENT" A-1-4 "$serial" 0 0 1000000000)"
T_KIOSK=$(sign "$KIOSK.key" "$KIOSK_ID" "$EVENT" A-2-1 1 0)
run "$SCAN" inspect --replica "$NORTH" "$T_KIOSK"
has "verify:      ok"
run "$SYNC" device revoke --db "$DB" "$KIOSK_ID"
[ "$rc" -eq 0 ] || fail "device revoke"
"$SCAN" sync --replica "$NORTH" >/dev/null || fail "sync"
verdict 1 DENY revoked --replica "$NORTH" "$T_KIOSK"

check "wrong-event, unknown-seat, too-early, too-late"
serial=$((serial + 1))
T_TOMORROW=$(sign "$BO.key" "$BO_ID" "$TOMORROW" A-1-4 "$serial" 0)
verdict 1 DENY wrong-event --replica "$NORTH" "$T_TOMORROW"
has "Tomorrow"
verdict 1 DENY too-early --replica "$NORTH" --event "$TOMORROW" "$T_TOMORROW"
verdict 0 ADMIT admitted --replica "$NORTH" --event "$TOMORROW" --early 1500 "$T_TOMORROW"
serial=$((serial + 1))
T_PAST=$(sign "$BO.key" "$BO_ID" "$PAST" A-1-4 "$serial" 0)
verdict 1 DENY too-late --replica "$NORTH" --event "$PAST" "$T_PAST"
serial=$((serial + 1))
verdict 1 DENY unknown-seat --replica "$NORTH" \
    "$("$SIGN" sign "$BO.key" "$BO_ID" "$EVENT" 4000000000 "$serial" 0 0 "$now")"

check "void: refunded, an older generation, another ticket for the seat"
if [ -x "$BOX" ]; then
	run "$BOX" refund --replica "$BO" --seat A-1-3 --event "$EVENT"
	[ "$rc" -eq 0 ] || fail "refund"
	# The gate has not synced: the server's compare-and-swap knows.
	verdict 1 DENY void --replica "$NORTH" "$T_A13"
	has "refunded"
	"$SCAN" sync --replica "$NORTH" >/dev/null || fail "sync"
	verdict 1 DENY void --replica "$NORTH" --offline "$T_A13"
fi
# Sold again at generation 1 (the signature proves it): the generation-0 ticket is dead.
serial=$((serial + 1))
verdict 0 ADMIT admitted --replica "$NORTH" "$(sign "$BO.key" "$BO_ID" "$EVENT" A-3-1 "$serial" 1)"
verdict 1 DENY void --replica "$NORTH" "$(sign "$BO.key" "$BO_ID" "$EVENT" A-3-1 7 0)"
has "newer"
verdict 1 DENY void --replica "$NORTH" "$(sign "$BO.key" "$BO_ID" "$EVENT" A-3-1 8 1)"

check "not-sold and manual entry; a scanned seat label is no ticket"
verdict 1 DENY not-sold --replica "$NORTH" --manual A-9-9
verdict 1 DENY already-admitted --replica "$NORTH" --manual a-1-1
verdict 1 DENY not-a-ticket --replica "$NORTH" A-1-4

check "offline: decided alone, uploaded by the next sync, refused online afterwards"
serial=$((serial + 1))
T_OFF=$(sign "$BO.key" "$BO_ID" "$EVENT" A-4-1 "$serial" 0)
verdict 0 ADMIT admitted --replica "$NORTH" --offline "$T_OFF"
[ "$(sqlite3 "$NORTH" "SELECT count(*) FROM outbox")" -eq 1 ] || fail "nothing waits to upload"
run "$SCAN" sync --replica "$NORTH"
has "pushed 1, waiting 0"
verdict 1 DENY already-admitted --replica "$EAST" "$T_OFF"
has "North Gate"

check "every reason code was produced"
for r in admitted exited not-a-ticket unreadable unknown-key bad-signature revoked wrong-role \
    outside-validity wrong-event unknown-seat not-sold void wrong-gate too-early too-late \
    already-admitted not-inside; do
	case " $seen_reasons " in
	*" $r "*) ;;
	*) fail "no ticket produced $r" ;;
	esac
done

check "every scan is in the scan log, with its raw text"
n=$(sqlite3 "$NORTH" "SELECT count(*) FROM scan_log")
[ "$n" -ge 30 ] || fail "only $n scans logged"
[ "$(sqlite3 "$NORTH" "SELECT count(*) FROM scan_log WHERE raw = 'hello, world' AND \
    verdict = 'deny' AND reason = 'not-a-ticket'")" -eq 1 ] || fail "the refusal is not logged"

check "usage errors and a missing replica: exit 2"
run "$SCAN" check --replica "$NORTH"
[ "$rc" -eq 2 ] || fail "no payload: exit $rc"
run "$SCAN" check --replica "$TMP/nope.db" "$T_A11"
[ "$rc" -eq 2 ] || fail "missing replica: exit $rc"
run "$SCAN" check --replica "$BO" "$T_A11"
[ "$rc" -eq 2 ] || fail "a box office's replica: exit $rc"
has "not of a gate"
run "$SCAN" check --replica "$NORTH" --frobnicate "$T_A11"
[ "$rc" -eq 2 ] || fail "unknown option: exit $rc"
run "$SCAN" frobnicate
[ "$rc" -eq 2 ] || fail "unknown command: exit $rc"
run "$SCAN" --help
[ "$rc" -eq 0 ] || fail "--help"
has "tessera-scanner check"

# ---------------------------------------------------------------- images
check "check --image: a PNG from the QR module, and one from qrencode"
serial=$((serial + 1))
T_IMG=$(sign "$BO.key" "$BO_ID" "$EVENT" A-5-1 "$serial" 0)
if [ -z "$PNG" ]; then
	"$SIGN" png "$T_IMG" "$TMP/module.png" || fail "test_gate png"
	PNG="$TMP/module.png"
	IMG_LABEL=A-5-1
else
	IMG_LABEL=A-1-2
fi
run "$SCAN" check --replica "$EAST" --image "$PNG"
set -- $out
[ "${3:-}" = "$IMG_LABEL" ] || fail "check --image $PNG read \"$out\""
serial=$((serial + 1))
T_QRE=$(sign "$BO.key" "$BO_ID" "$EVENT" A-5-2 "$serial" 0)
qrencode -l M -o "$TMP/qrencode.png" "$T_QRE"
verdict 0 ADMIT admitted --replica "$EAST" --image "$TMP/qrencode.png"
has "A-5-2"
printf 'P5\n2 2\n255\n\377\377\377\377' >"$TMP/blank.pgm"
run "$SCAN" check --replica "$EAST" --image "$TMP/blank.pgm"
[ "$rc" -eq 2 ] || fail "an image without a QR code: exit $rc, want 2"
check "a payload from standard input"
run sh -c "printf '%s\r\n' '$T_QRE' | '$SCAN' check --replica '$EAST' -"
[ "$rc" -eq 1 ] || fail "check -: exit $rc"
has "DENY already-admitted A-5-2"

# ---------------------------------------------------------------- inspect and OpenSSL
check "inspect: OpenSSL verifies the signed bytes with the box office's key"
run "$SCAN" inspect --replica "$NORTH" "$T_A11"
[ "$rc" -eq 0 ] || fail "inspect: exit $rc"
has "verify:      ok"
field() {
	printf '%s\n' "$out" | sed -n "s/^$1: *//p"
}
[ "$(field 'key id')" = "$BO_ID" ] || fail "key id"
[ "$(field seat)" = "$(seat A-1-1)" ] || fail "seat"
SIGNED=$(field signed)
SIG=$(field signature)
PK=$(field 'public key')
[ ${#SIGNED} -eq 84 ] && [ ${#SIG} -eq 128 ] && [ ${#PK} -eq 64 ] || fail "hex lengths"
run "$SCAN" inspect "$T_A11"
[ "$rc" -eq 0 ] || fail "inspect without a replica"
[ "$(field signed)" = "$SIGNED" ] || fail "inspect without a replica differs"
printf '302a300506032b6570032100%s' "$PK" | xxd -r -p >"$TMP/pk.der"
openssl pkey -pubin -inform DER -in "$TMP/pk.der" -out "$TMP/pk.pem" 2>/dev/null ||
    fail "openssl pkey"
printf '%s' "$SIGNED" | xxd -r -p >"$TMP/signed.bin"
printf '%s' "$SIG" | xxd -r -p >"$TMP/sig.bin"
run openssl pkeyutl -verify -pubin -inkey "$TMP/pk.pem" -rawin -in "$TMP/signed.bin" \
    -sigfile "$TMP/sig.bin"
[ "$rc" -eq 0 ] || fail "openssl does not verify the ticket"
has "Signature Verified Successfully"
# One byte changed (the tier): OpenSSL refuses.
printf '%s' "$SIGNED" | sed 's/..\(........\)$/ff\1/' | xxd -r -p >"$TMP/signed.bin"
run openssl pkeyutl -verify -pubin -inkey "$TMP/pk.pem" -rawin -in "$TMP/signed.bin" \
    -sigfile "$TMP/sig.bin"
[ "$rc" -ne 0 ] || fail "openssl verifies a changed ticket"
run "$SCAN" inspect "garbage"
[ "$rc" -eq 1 ] || fail "inspect garbage: exit $rc"
has "not-a-ticket"

# ---------------------------------------------------------------- the screen under tmux
check "the screen: ADMIT, then DENIED for the same ticket"
serial=$((serial + 1))
T_SCREEN=$(sign "$BO.key" "$BO_ID" "$EVENT" A-6-1 "$serial" 0)
tm() {
	tmux -L "$TMUX_SOCK" "$@"
}
screen() {
	tm capture-pane -p -t gate
}
on_screen() {
	screen | grep -F -q -- "$1"
}
tm new-session -d -s gate -x 80 -y 24 \
    "TESSERA_REPLICA='$EAST' '$SCAN' --no-bell 2>'$TMP/screen.err'"
wait_for 10 on_screen "Ready: scan a ticket" || { out=$(screen); fail "the screen did not start"; }
wait_for 10 on_screen "ONLINE" || { out=$(screen); fail "the screen is not ONLINE"; }
tm send-keys -t gate -l "$T_SCREEN"
tm send-keys -t gate Enter
wait_for 10 on_screen "ADMIT  Section A, row 6, seat 1  Stalls" ||
    { out=$(screen); fail "no ADMIT"; }
on_screen "Valid ticket" || { out=$(screen); fail "no reason in words"; }
tm send-keys -t gate -l "$T_SCREEN"
tm send-keys -t gate Enter
wait_for 10 on_screen "DENIED  Section A, row 6, seat 1  Stalls" ||
    { out=$(screen); fail "no DENIED"; }
on_screen "Already admitted at this gate" || { out=$(screen); fail "no reason in words"; }

check "the screen: x switches to exit mode and back, q asks first"
tm send-keys -t gate x
wait_for 5 on_screen "EXIT MODE" || { out=$(screen); fail "no exit mode"; }
tm send-keys -t gate x
wait_for 5 sh -c "! tmux -L '$TMUX_SOCK' capture-pane -p -t gate | grep -q 'EXIT MODE'" ||
    { out=$(screen); fail "still in exit mode"; }
tm send-keys -t gate q
wait_for 5 on_screen "Quit the scanner?" || { out=$(screen); fail "quit does not ask"; }
tm send-keys -t gate n
wait_for 5 sh -c "! tmux -L '$TMUX_SOCK' capture-pane -p -t gate | grep -q 'Quit the scanner'" ||
    { out=$(screen); fail "n does not keep scanning"; }

check "the screen: a burst of 50 tickets typed as fast as tmux can gives 50 verdicts in order"
: >"$TMP/burst.txt"
if [ -x "$BOX" ]; then
	seats=""
	for r in 1 2 3 4 5; do
		for s in 1 2 3 4 5 6 7 8 9 10; do
			seats="$seats --seat B-$r-$s"
		done
	done
	run "$BOX" sell --replica "$BO" --event "$EVENT" $seats --pay card --reference t20
	[ "$rc" -eq 0 ] || fail "sell 50"
	printf '%s\n' "$out" | awk -F '\t' 'NF == 2 { print $2 }' >"$TMP/burst.txt"
	LAST=$(printf '%s\n' "$out" | awk -F '\t' 'NF == 2 { l = $1 } END { print l }')
else
	for r in 1 2 3 4 5; do
		for s in 1 2 3 4 5 6 7 8 9 10; do
			serial=$((serial + 1))
			sign "$BO.key" "$BO_ID" "$EVENT" "B-$r-$s" "$serial" 0 >>"$TMP/burst.txt"
		done
	done
	LAST=B-5-10
fi
[ "$(wc -l <"$TMP/burst.txt")" -eq 50 ] || fail "not 50 tickets"
before=$(sqlite3 "$EAST" "SELECT coalesce(max(id), 0) FROM scan_log")
# Every ticket and its Enter (a carriage return) in one send-keys.
tm send-keys -t gate -l "$(awk '{ printf "%s\r", $0 }' "$TMP/burst.txt")"
logged() {
	[ "$(sqlite3 "$EAST" "SELECT count(*) FROM scan_log WHERE id > $before")" -ge 50 ]
}
wait_for 60 logged || fail "$(sqlite3 "$EAST" "SELECT count(*) FROM scan_log WHERE id > \
    $before") of 50 scans decided"
sqlite3 "$EAST" "SELECT raw FROM scan_log WHERE id > $before ORDER BY id" >"$TMP/got.txt"
cmp -s "$TMP/got.txt" "$TMP/burst.txt" || fail "the verdicts are not the 50 tickets in order"
[ "$(sqlite3 "$EAST" "SELECT count(*) FROM scan_log WHERE id > $before AND \
    verdict = 'admit'")" -eq 50 ] || fail "not 50 admissions"
wait_for 10 on_screen "Last scans (52 this session)" || { out=$(screen); fail "not 52 scans"; }
last_row=${LAST#B-}
last_row=${last_row%-*}
on_screen "ADMIT  Section B, row $last_row, seat ${LAST##*-}" ||
    { out=$(screen); fail "not $LAST last"; }

check "the screen: OFFLINE once the server is stopped"
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || :
SERVER_PID=""
wait_for 30 on_screen "OFFLINE since" || { out=$(screen); fail "no OFFLINE"; }
# A scan while offline is decided alone and waits to upload.
serial=$((serial + 1))
tm send-keys -t gate -l "$(sign "$BO.key" "$BO_ID" "$EVENT" A-6-2 "$serial" 0)"
tm send-keys -t gate Enter
wait_for 10 on_screen "ADMIT  Section A, row 6, seat 2" || { out=$(screen); fail "no ADMIT"; }
wait_for 15 on_screen "1 to upload" || { out=$(screen); fail "nothing to upload"; }
on_screen "OFFLINE since" || { out=$(screen); fail "not OFFLINE"; }
[ "$(sqlite3 "$EAST" "SELECT route FROM scan_log ORDER BY id DESC LIMIT 1")" = offline ] ||
    fail "not decided offline"

check "the screen quits on q y"
tm send-keys -t gate q
wait_for 5 on_screen "Quit the scanner?" || { out=$(screen); fail "quit does not ask"; }
tm send-keys -t gate y
wait_for 10 sh -c "! tmux -L '$TMUX_SOCK' has-session -t gate" || fail "the screen did not quit"
[ ! -s "$TMP/screen.err" ] || fail "the screen wrote errors: $(cat "$TMP/screen.err")"

echo "t20-scanner: ok"
