#!/usr/bin/env bash
# End-to-end benchmark of the journald source: ENTRIES entries in a journal directory (written by
# systemd-journal-remote, as journald would), read by `hakobu run` (journald source -> file sink,
# ndjson, fsync on), against `journalctl -o export --all --merge` of the same journal into
# /dev/null in the same run: the baseline is the reader hakobu runs, without hakobu.
#
# Usage: bench/journald-e2e.sh [ENTRIES]     (default 1000000)
# Needs the distribution (./hakobu builds it; HAKOBU=/path/to/bin/hakobu uses another),
# /lib/systemd/systemd-journal-remote (package systemd-journal-remote) and python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
entries=${1:-1000000}
hakobu=${HAKOBU:-$root/hakobu}
work=$(mktemp -d /tmp/hakobu-journald-e2e.XXXXXX)
pid=
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT

"$hakobu" version >/dev/null   # builds the distribution if needed

echo "writing $entries journal entries with systemd-journal-remote..." >&2
mkdir -p "$work/journal"
python3 - "$entries" <<'PY' | /lib/systemd/systemd-journal-remote --split-mode=none -o "$work/journal/system.journal" - 2>/dev/null
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
parts = []
for i in range(n):
    parts.append(b"__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n"
                 b"_BOOT_ID=0123456789abcdef0123456789abcdef\n_MACHINE_ID=fedcba9876543210fedcba9876543210\n"
                 b"_HOSTNAME=bench\n_TRANSPORT=stdout\n_SYSTEMD_UNIT=app.service\nSYSLOG_IDENTIFIER=app\n"
                 b"_PID=%d\nPRIORITY=%d\nMESSAGE=request handled method=GET path=/api/v1/items/%d status=200 seq=%d\n\n"
                 % (1700000000000000 + i, 1000000 + i, 1000 + i % 50, 3 + i % 5, i % 977, i))
    if len(parts) == 10000:
        out.write(b"".join(parts))
        parts = []
out.write(b"".join(parts))
PY
size=$(du -sb "$work/journal" | cut -f1)
echo "journal: $entries entries, $((size / 1048576)) MiB in $(ls "$work/journal" | wc -l) file(s)" >&2

now() { date +%s%N; }
tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

t0=$(now)
journalctl --directory="$work/journal" -o export --all --merge > /dev/null
t1=$(now)
base_ms=$(( (t1 - t0) / 1000000 ))

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/bench.yaml" <<YAML
node: {name: bench, data_dir: $work/state}
api: {listen: "127.0.0.1:$port"}
sources:
  journal: {type: journald, directory: "$work/journal"}
sinks:
  out: {type: file, path: "$work/out.ndjson", encoding: ndjson}
YAML
t0=$(now)
"$hakobu" run -c "$work/bench.yaml" 2>"$work/hakobu.log" &
pid=$!
t1=$(wait_end "$work/hakobu.log" --port "$port" --lines "$entries" --pids "$pid" --deadline 1800) || exit 1
ticks=$(cpu_ticks "$pid")
kill -TERM "$pid"
wait "$pid" || true
pid=
hakobu_ms=$(( (t1 - t0) / 1000000 ))
lines=$(wc -l < "$work/out.ndjson")
unique=$(python3 -c '
import json, sys
seen = set()
for line in open(sys.argv[1], encoding="utf-8"):
    seen.add(json.loads(line)["MESSAGE"].rsplit("seq=", 1)[1])
print(len(seen))' "$work/out.ndjson")

python3 - "$entries" "$base_ms" "$hakobu_ms" "$ticks" "$tck" "$lines" "$unique" <<'PY'
import sys
n, base_ms, hk_ms, ticks, tck, lines, unique = (int(x) for x in sys.argv[1:])
print(f"journalctl -o export > /dev/null : {n / (base_ms / 1000):,.0f} entries/s ({base_ms} ms)")
print(f"hakobu run (journald -> file)    : {n / (hk_ms / 1000):,.0f} entries/s ({hk_ms} ms incl. JVM start), "
      f"ratio {base_ms / hk_ms:.3f}, hakobu CPU {ticks / tck:.1f} s")
print(f"output: {lines} lines, {unique} distinct entries, lost {n - unique}, duplicated {lines - unique}")
PY
