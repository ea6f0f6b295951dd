#!/bin/sh
# t15-config.sh: the device programs' settings files, through the real binaries:
#   - ~/.config/tessera/boxoffice.conf (XDG_CONFIG_HOME) names the replica, the server, the pin
#     and the printers: enroll, sell and events run without those options, and options win;
#   - --config FILE (before or after the command) for the scanner: enroll, check, the screen
#     (under tmux, colours off) without --replica; $TESSERA_REPLICA wins over the file;
#   - a broken file stops the program with file:line:column, a missing --config FILE too.
# Run by tests/run-tests with BUILD (the build folder, absolute) and SRCDIR (the repository).
set -eu

BUILD=${BUILD:-build}
SRCDIR=${SRCDIR:-$(pwd)}
SYNC="$BUILD/tessera-sync"
BOX="$BUILD/tessera-boxoffice"
SCAN="$BUILD/tessera-scanner"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/t15.XXXXXX")
SERVER_PID=""
TMUX_SOCK="t15-$$"
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

# Settings files live in a home of their own.
export HOME="$TMP/home"
export XDG_CONFIG_HOME="$TMP/xdg"
unset TESSERA_REPLICA
mkdir -p "$HOME" "$XDG_CONFIG_HOME/tessera"
DB="$TMP/central.db"

check "a server with TLS, an event open now, a box office and a gate"
run "$SYNC" init --db "$DB" --tls-host 127.0.0.1
PIN=$(printf '%s\n' "$out" | sed -n 's/^tls pin: //p')
run "$SYNC" venue import --db "$DB" "$SRCDIR/data/venues/theatre.csv"
VENUE=$(last_word)
run "$SYNC" event create --db "$DB" --venue "$VENUE" --name "Hamlet" \
    --starts "$(date -d '+2 hours' +%Y-%m-%dT%H:%M)" --doors "$(date -d '-30 minutes' +%Y-%m-%dT%H:%M)" \
    --tier Stalls:45:A,B,C
[ "$rc" -eq 0 ] || fail "event create"
EVENT=$(last_word)
run "$SYNC" device add --db "$DB" --role boxoffice --name "Front desk"
CODE_BO=$(last_word)
run "$SYNC" device add --db "$DB" --role gate --name "Config gate"
CODE_GATE=$(last_word)
"$SYNC" serve --db "$DB" --listen 127.0.0.1:0 --quiet >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
wait_for 10 grep -q "serving on" "$TMP/serve.out" || { out=$(cat "$TMP/serve.err"); fail "serve"; }
URL=$(sed -n 's/^tessera-sync: serving on \(https:[^ ]*\)$/\1/p' "$TMP/serve.out")
[ -n "$URL" ] || fail "no https URL in $(cat "$TMP/serve.out")"

# ---------------------------------------------------------------- the box office, by default file
check "boxoffice.conf under XDG_CONFIG_HOME: enroll with no --replica, --server or --pin"
cat >"$XDG_CONFIG_HOME/tessera/boxoffice.conf" <<EOF
# the front desk
replica = ~/front.db
server  = $URL
pin     = "$PIN"
png     = ~/tickets      # one PNG per ticket
timeout = 2000
colours = colourblind
EOF
run "$BOX" enroll --code "$CODE_BO"
[ "$rc" -eq 0 ] || fail "enroll from the settings file"
[ -f "$HOME/front.db" ] && [ -f "$HOME/front.db.key" ] || fail "the replica is not ~/front.db"
[ "$(sqlite3 "$HOME/front.db" "SELECT value FROM meta WHERE key = 'tls_pin'")" = "$PIN" ] ||
    fail "the pin of the settings file was not kept"

check "events and sell take the replica and the printer from the file"
run "$BOX" events
[ "$rc" -eq 0 ] || fail "events"
has "Hamlet"
run "$BOX" sell --event "$EVENT" --seat A-1-1 --pay card --reference 1
[ "$rc" -eq 0 ] || fail "sell"
[ "$(ls "$HOME"/tickets/*-A-1-1-*.png | wc -l)" -eq 1 ] || fail "no PNG in ~/tickets"

check "options win: --png elsewhere, --replica elsewhere"
run "$BOX" sell --event "$EVENT" --seat A-1-2 --pay card --reference 2 --png "$TMP/other"
[ "$rc" -eq 0 ] || fail "sell --png"
[ -f "$(ls "$TMP"/other/*-A-1-2-*.png)" ] || fail "--png did not win"
ls "$HOME"/tickets/*-A-1-2-*.png >/dev/null 2>&1 && fail "the file's png was used too"
run "$BOX" events --replica "$TMP/nope.db"
[ "$rc" -eq 1 ] || fail "--replica did not win"
has "nope.db"

check "a broken boxoffice.conf names its line and column; --help still works"
printf 'replica = ~/front.db\n\ncolours = rainbow\n' >"$XDG_CONFIG_HOME/tessera/boxoffice.conf"
run "$BOX" events
[ "$rc" -eq 2 ] || fail "a broken file: exit $rc, want 2"
has "$XDG_CONFIG_HOME/tessera/boxoffice.conf:3:11: colours: want on, off, or a scheme"
run "$BOX" --help
[ "$rc" -eq 0 ] || fail "--help with a broken file"
printf 'replica = ~/front.db\nprinter = lp0\n' >"$XDG_CONFIG_HOME/tessera/boxoffice.conf"
run "$BOX" events
[ "$rc" -eq 2 ] || fail "an unknown key: exit $rc"
has "boxoffice.conf:2:1: unknown key \"printer\""
rm "$XDG_CONFIG_HOME/tessera/boxoffice.conf"
run "$BOX" events
[ "$rc" -eq 2 ] || fail "no replica anywhere: exit $rc, want 2"
has "--replica FILE is required"

# ---------------------------------------------------------------- the scanner, --config FILE
check "the scanner with --config FILE, before or after the command"
cat >"$TMP/gate.conf" <<EOF
replica = $TMP/gate.db
server = $URL
pin = $PIN
timeout = 1500
bell = off
colours = off
EOF
run "$SCAN" --config "$TMP/gate.conf" enroll --code "$CODE_GATE"
[ "$rc" -eq 0 ] || fail "scanner enroll with --config"
has "Config gate"
run "$BOX" sell --replica "$HOME/front.db" --event "$EVENT" --seat A-2-1 --pay cash
[ "$rc" -eq 0 ] || fail "a ticket for the gate"
T=$(printf '%s\n' "$out" | awk -F '\t' '$1 == "A-2-1" { print $2 }')
[ -n "$T" ] || fail "no ticket"
run "$SCAN" check --config="$TMP/gate.conf" --event "$EVENT" "$T"
[ "$rc" -eq 0 ] || fail "check with --config: exit $rc"
has "ADMIT"
run "$SCAN" check --event "$EVENT" "$T"
[ "$rc" -eq 2 ] || fail "check without any replica: exit $rc, want 2"
has "--replica FILE is required"
run env TESSERA_REPLICA="$TMP/elsewhere.db" "$SCAN" --config "$TMP/gate.conf" sync
[ "$rc" -eq 1 ] || fail "TESSERA_REPLICA did not win over the file"
has "elsewhere.db"
run "$SCAN" --config "$TMP/missing.conf" sync
[ "$rc" -eq 2 ] || fail "a missing --config FILE: exit $rc, want 2"
has "missing.conf"
run "$SCAN" sync --config
[ "$rc" -eq 2 ] || fail "--config without FILE: exit $rc, want 2"
printf 'replica = %s\nbell = sometimes\n' "$TMP/gate.db" >"$TMP/bad.conf"
run "$SCAN" --config "$TMP/bad.conf" sync
[ "$rc" -eq 2 ] || fail "a broken --config FILE: exit $rc"
has "$TMP/bad.conf:2:8: bell: want on or off"
run "$SCAN" --colours purple --replica "$TMP/gate.db"
[ "$rc" -eq 2 ] || fail "--colours purple: exit $rc"

check "the gate screen from the settings file alone (under tmux, no colours)"
tmux -L "$TMUX_SOCK" new-session -d -x 80 -y 24 -s gate \
    "env LANG=C.UTF-8 '$SCAN' --config '$TMP/gate.conf'; sleep 30"
screen() {
	tmux -L "$TMUX_SOCK" capture-pane -p -t gate
}
wait_for 10 sh -c "tmux -L '$TMUX_SOCK' capture-pane -p -t gate | grep -q 'Config gate'" ||
    { out=$(screen); fail "the screen did not open the file's replica"; }
tmux -L "$TMUX_SOCK" send-keys -t gate q
wait_for 5 sh -c "tmux -L '$TMUX_SOCK' capture-pane -p -t gate | grep -q 'Quit the scanner'" ||
    { out=$(screen); fail "q does not ask"; }
tmux -L "$TMUX_SOCK" send-keys -t gate y
wait_for 5 sh -c "! tmux -L '$TMUX_SOCK' capture-pane -p -t gate | grep -q 'Config gate'" ||
    { out=$(screen); fail "q does not quit"; }

echo "t15: ok"
