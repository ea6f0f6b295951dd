#!/bin/sh
# t14-install.sh: make install and make uninstall into a temporary DESTDIR:
#   - the programs (0755), the man pages (0644, man1 and man7), the sample venues, the systemd
#     unit (its own user, the store under /var/lib/tessera, hardening) and the sysusers.d file;
#   - the installed programs run (--help, --version, a store made with an installed venue), and
#     man finds the installed pages;
#   - another PREFIX lands elsewhere and the unit names the programs there (systemd-analyze
#     verify accepts it when systemd is there);
#   - make uninstall leaves no file in DESTDIR, and installing twice is fine.
# Run by tests/run-tests with BUILD (the build folder, absolute) and SRCDIR (the repository).
set -eu

BUILD=${BUILD:-build}
SRCDIR=${SRCDIR:-$(pwd)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/t14.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP
export XDG_CONFIG_HOME="$TMP/xdg"

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

mode() {
	stat -c %a "$1"
}

# mk TARGET VARS...: make in the repository with this build, never rebuilding the programs
# (they are built; -o takes them as they are), without the make check's own flags.
mk() {
	target=$1
	shift
	run env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$SRCDIR" --no-print-directory \
	    BUILD="$BUILD" -o "$BUILD/tessera-sync" -o "$BUILD/tessera-boxoffice" \
	    -o "$BUILD/tessera-scanner" "$target" "$@"
	[ "$rc" -eq 0 ] || fail "make $target $*"
}

D="$TMP/dest"
P=/usr/local

check "make install PREFIX=$P DESTDIR=..."
mk install PREFIX="$P" DESTDIR="$D"
for f in tessera-sync tessera-boxoffice tessera-scanner; do
	[ -f "$D$P/bin/$f" ] || fail "bin/$f is missing"
	[ "$(mode "$D$P/bin/$f")" = 755 ] || fail "bin/$f has mode $(mode "$D$P/bin/$f")"
done
for f in man1/tessera-sync.1 man1/tessera-boxoffice.1 man1/tessera-scanner.1 man7/tessera.7; do
	[ -f "$D$P/share/man/$f" ] || fail "share/man/$f is missing"
	[ "$(mode "$D$P/share/man/$f")" = 644 ] || fail "share/man/$f has mode 0$(mode "$D$P/share/man/$f")"
	cmp -s "$SRCDIR/man/$(basename "$f")" "$D$P/share/man/$f" || fail "share/man/$f differs"
done
for f in theatre.csv arena.csv club.csv; do
	[ -f "$D$P/share/tessera/venues/$f" ] || fail "share/tessera/venues/$f is missing"
	[ "$(mode "$D$P/share/tessera/venues/$f")" = 644 ] || fail "venues/$f mode"
done
UNIT="$D$P/lib/systemd/system/tessera-sync.service"
[ -f "$UNIT" ] && [ "$(mode "$UNIT")" = 644 ] || fail "the systemd unit, mode 0644"
[ "$(mode "$D$P/lib/sysusers.d/tessera.conf")" = 644 ] || fail "the sysusers.d file"
grep -q '^u tessera ' "$D$P/lib/sysusers.d/tessera.conf" || fail "sysusers.d: no user tessera"
n=$(find "$D" -type f | wc -l)
[ "$n" -eq 12 ] || { out=$(find "$D" -type f); fail "$n files installed, want 12"; }

check "the unit: its own user, the store under /var/lib/tessera, hardened"
for line in "User=tessera" "Group=tessera" "StateDirectory=tessera" "NoNewPrivileges=yes" \
    "ProtectSystem=strict" "ReadWritePaths=/var/lib/tessera" "PrivateTmp=yes" \
    "CapabilityBoundingSet=" "WantedBy=multi-user.target" \
    "ExecStart=$P/bin/tessera-sync serve --db /var/lib/tessera/central.db --listen 0.0.0.0:8443"; do
	grep -q -x -F -- "$line" "$UNIT" || fail "the unit lacks \"$line\""
done
grep -q '@BINDIR@' "$UNIT" && fail "the unit still says @BINDIR@"

check "the installed programs run"
for f in tessera-sync tessera-boxoffice tessera-scanner; do
	run "$D$P/bin/$f" --help
	[ "$rc" -eq 0 ] || fail "$f --help: exit $rc"
	case "$out" in *"usage: $f"*) ;; *) fail "$f --help prints no usage" ;; esac
	run "$D$P/bin/$f" --version
	[ "$rc" -eq 0 ] || fail "$f --version: exit $rc"
	case "$out" in "$f 0."*) ;; *) fail "$f --version" ;; esac
done
run "$D$P/bin/tessera-sync" init --db "$TMP/store.db"
[ "$rc" -eq 0 ] || fail "installed init"
run "$D$P/bin/tessera-sync" venue import --db "$TMP/store.db" "$D$P/share/tessera/venues/theatre.csv"
[ "$rc" -eq 0 ] || fail "import the installed theatre"
case "$out" in *"522 seats"*) ;; *) fail "the installed theatre" ;; esac

if command -v man >/dev/null 2>&1; then
	check "man finds the installed pages"
	for page in tessera-sync tessera-boxoffice tessera-scanner "7 tessera"; do
		# shellcheck disable=SC2086
		run man -M "$D$P/share/man" -w $page
		[ "$rc" -eq 0 ] || fail "man -w $page"
		case "$out" in "$D$P/share/man/"*) ;; *) fail "man -w $page: $out" ;; esac
	done
	run env LC_ALL=C.UTF-8 MANWIDTH=80 man -M "$D$P/share/man" tessera-sync
	[ "$rc" -eq 0 ] || fail "man tessera-sync"
	case "$out" in *"tessera-sync backup"*) ;; *) fail "the rendered page" ;; esac
fi

check "installing twice is fine; make uninstall leaves no file"
mk install PREFIX="$P" DESTDIR="$D"
[ "$(find "$D" -type f | wc -l)" -eq 12 ] || fail "a second install"
echo "keep me" >"$D$P/bin/someone-else"
mk uninstall PREFIX="$P" DESTDIR="$D"
[ -f "$D$P/bin/someone-else" ] || fail "uninstall removed a file it did not install"
rm "$D$P/bin/someone-else"
left=$(find "$D" -type f)
[ -z "$left" ] || { out=$left; fail "files left after uninstall"; }
[ ! -d "$D$P/share/tessera" ] || fail "share/tessera is left"

check "another PREFIX: the unit names the programs there"
Q="$TMP/opt/tessera"
mk install PREFIX="$Q"
[ -x "$Q/bin/tessera-sync" ] || fail "PREFIX=$Q: no bin/tessera-sync"
UNIT="$Q/lib/systemd/system/tessera-sync.service"
grep -q -x -F "ExecStart=$Q/bin/tessera-sync serve --db /var/lib/tessera/central.db --listen 0.0.0.0:8443" \
    "$UNIT" || fail "ExecStart under PREFIX=$Q"
if command -v systemd-analyze >/dev/null 2>&1; then
	# The unit is checked as systemd would load it (without looking up its man pages).
	run systemd-analyze verify --man=no "$UNIT"
	out=$(printf '%s\n' "$out" | grep -v -e 'sysinit.target' -e '^$' || :)
	[ -z "$out" ] || fail "systemd-analyze verify complains"
fi
mk uninstall PREFIX="$Q"
left=$(find "$Q" -type f)
[ -z "$left" ] || { out=$left; fail "files left after uninstall from $Q"; }

echo "t14: ok"
