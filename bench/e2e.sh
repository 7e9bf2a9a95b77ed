#!/usr/bin/env bash
# End-to-end throughput: `hakobu run` (file source, ltsv -> file sink, ndjson, fsync on) over
# N LTSV lines, against `cat` of the same file in the same run (the baseline), as lines/s and a
# ratio. Usage: bench/e2e.sh [LINES] (default 1000000). Needs the distribution (./hakobu builds it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lines=${1:-1000000}
work=$(mktemp -d /tmp/hakobu-e2e.XXXXXX)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=

"$root/hakobu" version >/dev/null   # builds the distribution if needed

echo "generating $lines LTSV lines..." >&2
awk -v n="$lines" 'BEGIN {
  split("/,/index.html,/api/v1/items?page=2,/api/v1/cart,/login,/static/app.js", paths, ",");
  for (i = 0; i < n; i++) {
    printf "time:27/Nov/2026:07:00:%02d +0000\thost:192.0.2.%d\tforwardedfor:-\treq:GET %s HTTP/1.1\tmethod:GET\turi:%s\tstatus:%d\tsize:%d\treferer:-\tua:curl/8.4.0\treqtime:0.0%02d\tcache:-\truntime:-\tapptime:0.003\tvhost:example.jp\tseq:%d\n",
      i % 60, 1 + i % 254, paths[1 + i % 6], paths[1 + i % 6], (i % 10 == 0 ? 404 : 200), i % 20000, 10 + i % 89, i
  }
}' > "$work/in.log"
bytes=$(stat -c %s "$work/in.log")

now() { date +%s%N; }

# baseline: cat of the same file (page cache warm for both)
cat "$work/in.log" > /dev/null
t0=$(now); cat "$work/in.log" > "$work/cat.out"; sync "$work/cat.out"; t1=$(now)
cat_ns=$((t1 - t0))

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/hakobu.yaml" <<YAML
node: {name: bench, data_dir: $work/state}
api: {listen: "127.0.0.1:$port"}
sources:
  in: {type: file, include: ["$work/in.log"], format: ltsv}
sinks:
  out: {type: file, path: "$work/out.ndjson", encoding: ndjson}
YAML

t0=$(now)
"$root/hakobu" run -c "$work/hakobu.yaml" 2>"$work/hakobu.log" &   # ./hakobu execs the distribution: same pid
pid=$!
deadline=$(( $(date +%s) + 600 ))
warm=$((lines / 10)); t_warm=
while :; do
  # progress from the metrics endpoint (reading the growing output would compete for the CPU)
  n=$(curl -sf "http://127.0.0.1:$port/metrics" 2>/dev/null | awk '/^hakobu_events_delivered_total/ {print $2}' || true)
  n=${n:-0}
  if [[ -z $t_warm && $n -ge $warm ]]; then t_warm=$(now); n_warm=$n; fi
  [[ $n -ge $lines ]] && break
  if (( $(date +%s) > deadline )); then echo "timed out at $n lines" >&2; exit 1; fi
  if ! kill -0 $pid 2>/dev/null; then echo "hakobu exited early:" >&2; tail "$work/hakobu.log" >&2; exit 1; fi
  sleep 0.1
done
t1=$(now)
kill -TERM $pid; wait $pid || true; pid=
hk_ns=$((t1 - t0))

out_lines=$(wc -l < "$work/out.ndjson")
uniq_seq=$(grep -o '"seq":"[0-9]*"' "$work/out.ndjson" | sort -u | wc -l)
steady_ns=$((t1 - t_warm))
awk -v n="$lines" -v b="$bytes" -v c="$cat_ns" -v h="$hk_ns" -v o="$out_lines" -v u="$uniq_seq" \
    -v s="$steady_ns" -v w="$n_warm" 'BEGIN {
  cl = n / (c / 1e9); hl = n / (h / 1e9); sl = (n - w) / (s / 1e9);
  printf "input            %d LTSV lines, %.1f MiB\n", n, b / 1048576;
  printf "cat (baseline)   %12.0f lines/s  (%.3f s)\n", cl, c / 1e9;
  printf "hakobu run       %12.0f lines/s  (%.3f s, includes JVM start)\n", hl, h / 1e9;
  printf "hakobu steady    %12.0f lines/s  (last %d lines, after the first 10%%)\n", sl, n - w;
  printf "ratio            hakobu/cat = %.4f (whole run), %.4f (steady)\n", hl / cl, sl / cl;
  printf "check            output lines %d, unique seq %d, lost %d, duplicated %d\n", o, u, n - u, o - u;
}'
