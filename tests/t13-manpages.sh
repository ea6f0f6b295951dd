#!/bin/sh
# t13-manpages.sh: the manual pages match the programs and render cleanly:
#   - every command that "PROGRAM --help" lists, and every option that it or any
#     "PROGRAM COMMAND --help" lists, appears in man/PROGRAM.1 as rendered;
#   - groff -man -ww and man --warnings -l render every page in man/ without a warning;
#   - tessera(7) names the three programs, and every page's title matches its file.
# Run by tests/run-tests with BUILD (the build folder, absolute) and SRCDIR (the repository).
set -eu
set -f          # option lists are split into words; no globbing

BUILD=${BUILD:-build}
SRCDIR=${SRCDIR:-$(pwd)}
MAN="$SRCDIR/man"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/t13.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP
# No settings file may change what --help prints.
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

command -v groff >/dev/null 2>&1 || fail "groff is missing: scripts/install-deps installs groff-base"

# The page as plain text on very long lines, blanks squeezed, so that no option is split.
render() {
	groff -man -Tascii -P-cbou -rLL=2000n "$1" 2>/dev/null | tr -s ' \t' '  '
}

# The commands named on the "usage: PROGRAM ..." lines: the words before the first option.
commands_of() {
	printf '%s\n' "$1" | awk -v p="$2" '
	    $1 == "usage:" && $2 == p {
		c = ""
		for (i = 3; i <= NF; i++) {
			if ($i ~ /^[-[(]/ || $i !~ /^[a-z]+$/)
				break
			c = c (c == "" ? "" : " ") $i
		}
		if (c != "")
			print c
	    }'
}

options_of() {
	printf '%s\n' "$1" | grep -o -E -- '--[a-z][a-z0-9-]*' | sort -u
}

# check_program PROGRAM PAGE [SCREEN-HELP-ARGS...]: the page covers the program's --help.
check_program() {
	prog=$1
	page=$2
	shift 2
	bin="$BUILD/$prog"
	[ -x "$bin" ] || fail "$bin is not built"
	[ -f "$MAN/$page" ] || fail "man/$page is missing"
	text=$(render "$MAN/$page")
	help=$("$bin" --help) || fail "$prog --help exits non-zero"
	all=$help
	if [ $# -gt 0 ]; then
		more=$("$bin" "$@" --help) || fail "$prog $* --help exits non-zero"
		all="$all
$more"
	fi
	n=0
	for c in $(commands_of "$help" "$prog" | tr ' ' '+'); do
		c=$(printf '%s' "$c" | tr '+' ' ')
		n=$((n + 1))
		printf '%s\n' "$text" | grep -q -F -- "$c" ||
		    fail "man/$page does not mention the command \"$c\""
		# shellcheck disable=SC2086
		more=$("$bin" $c --help) || fail "$prog $c --help exits non-zero"
		all="$all
$more"
	done
	o=0
	for opt in $(options_of "$all"); do
		o=$((o + 1))
		printf '%s\n' "$text" | grep -q -E -- "$opt([^a-z0-9-]|\$)" ||
		    fail "man/$page does not mention $opt (from $prog's help)"
	done
	echo "$prog: $n commands and $o options, all in man/$page"
}

check "every command and option of --help is in its page"
check_program tessera-sync tessera-sync.1
check_program tessera-boxoffice tessera-boxoffice.1
check_program tessera-scanner tessera-scanner.1 --replica x

check "the commands' help is found at all (the parsing above is not vacuous)"
[ "$(commands_of "$("$BUILD/tessera-sync" --help)" tessera-sync | wc -l)" -ge 12 ] ||
    fail "fewer than 12 tessera-sync commands found"
commands_of "$("$BUILD/tessera-sync" --help)" tessera-sync | grep -q '^venue import$' ||
    fail "venue import not found"
commands_of "$("$BUILD/tessera-boxoffice" --help)" tessera-boxoffice | grep -q '^shift close$' ||
    fail "shift close not found"

check "an option missing from a page is caught"
sed 's/log\\-json/log\\-jsn/g' "$MAN/tessera-sync.1" >"$TMP/broken.1"
text=$(render "$TMP/broken.1")
printf '%s\n' "$text" | grep -q -E -- "--log-json([^a-z0-9-]|\$)" && fail "the check would not notice"

check "every page renders without a warning (groff -ww, man --warnings)"
set +f
pages=$(ls "$MAN"/*.[1-8])
set -f
[ -n "$pages" ] || fail "no pages in man/"
for f in $pages; do
	name=$(basename "$f")
	out=$(groff -man -Tutf8 -ww -z "$f" 2>&1) || fail "groff failed on $name"
	[ -z "$out" ] || fail "groff warns about $name"
	if command -v man >/dev/null 2>&1; then
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >"$TMP/page") ||
		    fail "man -l failed on $name"
		[ -z "$out" ] || fail "man warns about $name"
		grep -q '^NAME' "$TMP/page" || { out=$(head "$TMP/page"); fail "$name has no NAME"; }
	fi
	title=$(sed -n 's/^\.TH \([^ ]*\) \([0-9]\).*/\1.\2/p' "$f" | tr 'A-Z' 'a-z')
	[ "$title" = "$name" ] || fail "$name is titled $title"
done

check "tessera(7) is the overview of the three programs"
text=$(render "$MAN/tessera.7")
for p in tessera-sync tessera-boxoffice tessera-scanner; do
	printf '%s\n' "$text" | grep -q "$p(1)" || fail "tessera(7) does not refer to $p(1)"
done

echo "t13: ok"
