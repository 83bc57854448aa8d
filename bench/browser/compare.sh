#!/usr/bin/env bash
# The home screen drawn to a PNG by a browser kiosk's engine (headless Chromium on a static
# page, bench/browser/home.html) and by Waystation (`waystation screenshot`), side by side:
# wall time and peak resident memory from /usr/bin/time -v, several runs each, medians.
#
# Needs: apt-get install chromium time; a release build (cargo build --release).
# Usage: bench/browser/compare.sh [RUNS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "compare.sh: no chromium here (apt-get install chromium)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "compare.sh: no /usr/bin/time (apt-get install time)" >&2; exit 1; }
[ -x target/release/waystation ] || { echo "compare.sh: build first: cargo build --release" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Prints "seconds kib" for one run of the command.
measure() {
    /usr/bin/time -v "$@" >/dev/null 2>"$out/time.txt" || { cat "$out/time.txt" >&2; exit 1; }
    awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = (n == 3) ? t[1]*3600 + t[2]*60 + t[3] : t[1]*60 + t[2] }
                /Maximum resident set size/ { kib = $2 }
                END { printf "%.3f %d\n", s, kib }' "$out/time.txt"
}

page="file://$PWD/bench/browser/home.html"
: > "$out/chromium"; : > "$out/waystation"
for run in $(seq "$runs"); do
    # A fresh profile each run, as a kiosk browser starting cold would have after a reboot.
    measure "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$out/profile-$run" --window-size=800,480 \
        --screenshot="$out/chromium.png" "$page" >> "$out/chromium"
    measure target/release/waystation screenshot --screen home --lang zh --size 800x480 \
        --out "$out/waystation.png" >> "$out/waystation"
done

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '%-12s %12s %16s   (median of %s runs)\n' "" "wall time" "peak RSS" "$runs"
for who in chromium waystation; do
    t=$(cut -d' ' -f1 "$out/$who" | median)
    m=$(cut -d' ' -f2 "$out/$who" | median)
    printf '%-12s %10.3f s %12d KiB\n' "$who" "$t" "$m"
done
cp "$out/chromium.png" "$out/waystation.png" /tmp/ 2>/dev/null || true
echo "the last pictures: /tmp/chromium.png and /tmp/waystation.png"
