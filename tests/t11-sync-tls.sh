#!/bin/sh
# t11-sync-tls.sh: tessera-sync with TLS, through the real binary: init --tls-host makes the key
# and a self-signed certificate and prints their pin (the one openssl computes), serve takes
# them by default and serves https (curl with the certificate as CA, and with the pin), --no-tls
# serves http, and the refusals: bad names, files that exist, a certificate without its key.
# Run by tests/run-tests with BUILD (the build folder, absolute) and SRCDIR (the repository).
set -eu

BUILD=${BUILD:-build}
SYNC="$BUILD/tessera-sync"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/t11.XXXXXX")
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

run() {
	rc=0
	out=$("$SYNC" "$@" 2>&1) || rc=$?
}

expect() {
	want=$1
	shift
	run "$@"
	[ "$rc" -eq "$want" ] || fail "tessera-sync $*: exit $rc, want $want"
}

has() {
	printf '%s\n' "$out" | grep -F -q -- "$1" || fail "output lacks \"$1\""
}

mode() {
	stat -c %a "$1"
}

# serve ARGS...: start the server, wait for its line; sets SERVER_PID, $line and $port.
serve() {
	# Empty it first: the background job truncates it only once it runs.
	: >"$TMP/serve.out"
	"$SYNC" serve --listen 127.0.0.1:0 --quiet "$@" >"$TMP/serve.out" 2>"$TMP/serve.err" &
	SERVER_PID=$!
	i=0
	while ! grep -q "serving on" "$TMP/serve.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { out=$(cat "$TMP/serve.err"); fail "serve did not start in 10 s"; }
		kill -0 "$SERVER_PID" 2>/dev/null || { out=$(cat "$TMP/serve.err"); fail "serve died"; }
		sleep 0.1
	done
	line=$(cat "$TMP/serve.out")
	port=$(printf '%s\n' "$line" | sed -n 's|^tessera-sync: serving on https\{0,1\}://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p')
	[ -n "$port" ] || { out=$line; fail "serve's first line"; }
}

stop() {
	kill -TERM "$SERVER_PID"
	rc=0
	wait "$SERVER_PID" || rc=$?
	SERVER_PID=""
	[ "$rc" -eq 0 ] || fail "serve exited $rc on SIGTERM"
}

[ -x "$SYNC" ] || fail "$SYNC is not built"

# ---------------------------------------------------------------- init
check "init --tls-host with a bad name is a usage error and creates nothing"
expect 2 init --db "$DB" --tls-host "localhost,bad_name"
has "bad_name"
[ ! -e "$DB" ] && [ ! -e "$DB.crt" ] && [ ! -e "$DB.tlskey" ] || fail "files left behind"

check "init --tls-host refuses an existing FILE.crt and leaves nothing of its own"
echo "not mine" >"$DB.crt"
expect 1 init --db "$DB" --tls-host localhost
has "$DB.crt already exists"
[ ! -e "$DB" ] && [ ! -e "$DB.rootkey" ] && [ ! -e "$DB.tlskey" ] || fail "files left behind"
[ "$(cat "$DB.crt")" = "not mine" ] || fail "init changed an existing FILE.crt"
rm -f "$DB.crt"

check "init --tls-host: key 0600, certificate 0644, the pin line, the root key last"
expect 0 init --db "$DB" --tls-host localhost,127.0.0.1
has "created the TLS certificate $DB.crt for localhost,127.0.0.1"
has "tls pin: sha256//"
[ "$(mode "$DB.tlskey")" = 600 ] || fail "FILE.tlskey has mode $(mode "$DB.tlskey")"
[ "$(mode "$DB.crt")" = 644 ] || fail "FILE.crt has mode $(mode "$DB.crt")"
last=$(printf '%s\n' "$out" | awk 'NF { w = $NF } END { print w }')
printf '%s\n' "$out" | tail -n 1 | grep -q "^root public key: [0-9a-f]\{64\}$" ||
    fail "the root public key is not the last line"
[ ${#last} -eq 64 ] || fail "last word \"$last\" is not the root key"
pin=$(printf '%s\n' "$out" | sed -n 's/^tls pin: //p')
[ ${#pin} -eq 52 ] || fail "pin \"$pin\""

check "the pin is what openssl computes from FILE.crt"
want=$(openssl x509 -in "$DB.crt" -pubkey -noout | openssl pkey -pubin -outform der |
    openssl dgst -sha256 -binary | base64)
[ "$pin" = "sha256//$want" ] || fail "pin $pin, openssl says sha256//$want"

check "init without --tls-host makes no certificate"
expect 0 init --db "$TMP/plain.db"
[ ! -e "$TMP/plain.db.crt" ] && [ ! -e "$TMP/plain.db.tlskey" ] || fail "certificate made"
case "$out" in *"tls pin"*) fail "a pin without a certificate" ;; esac

# ---------------------------------------------------------------- serve
check "serve: usage errors for --no-tls with --tls-cert"
expect 2 serve --db "$DB" --no-tls --tls-cert "$DB.crt" --tls-key "$DB.tlskey"
has "--no-tls"

check "serve uses FILE.crt and FILE.tlskey by default: https, the pin in the log"
serve --db "$DB"
case "$line" in "tessera-sync: serving on https://"*) ;; *) out=$line; fail "not https" ;; esac
grep -q "tls pin: $pin" "$TMP/serve.err" || { out=$(cat "$TMP/serve.err"); fail "no pin in the log"; }
if command -v curl >/dev/null 2>&1; then
	out=$(curl -s -S --max-time 10 --cacert "$DB.crt" "https://localhost:$port/healthz") ||
	    fail "curl with the certificate as CA"
	has '"ok":true'
	out=$(curl -s -S --max-time 10 -k --pinnedpubkey "$pin" "https://127.0.0.1:$port/healthz") ||
	    fail "curl with the pin"
	has '"ok":true'
	rc=0
	out=$(curl -s -S --max-time 10 -k --pinnedpubkey "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" \
	    "https://127.0.0.1:$port/healthz" 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "curl accepted another pin"
fi
stop

check "serve --no-tls: plain http beside the certificate"
serve --db "$DB" --no-tls
case "$line" in "tessera-sync: serving on http://"*) ;; *) out=$line; fail "not http" ;; esac
if command -v curl >/dev/null 2>&1; then
	out=$(curl -s -S --max-time 10 "http://127.0.0.1:$port/healthz") || fail "curl over http"
	has '"ok":true'
fi
stop

check "serve: a certificate without its key is an error"
mv "$DB.tlskey" "$TMP/away"
expect 1 serve --db "$DB" --listen 127.0.0.1:0
has "$DB.crt exists but $DB.tlskey does not"
mv "$TMP/away" "$DB.tlskey"

check "serve --tls-cert FILE --tls-key FILE: the certificate given"
cp "$DB.crt" "$TMP/other.crt"
cp "$DB.tlskey" "$TMP/other.key"
serve --db "$TMP/plain.db" --tls-cert "$TMP/other.crt" --tls-key "$TMP/other.key"
case "$line" in "tessera-sync: serving on https://"*) ;; *) out=$line; fail "not https" ;; esac
stop

echo "t11-sync-tls: all passed"
