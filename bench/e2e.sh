#!/usr/bin/env bash
# End-to-end benchmarks of `hakobu run` (file source, ltsv -> file sink, ndjson, fsync on).
#
# Usage: bench/e2e.sh [LINES] [SCENARIO]     (defaults: 1000000, file)
#   file  N LTSV lines already in a file, read to the end, against `cat` of the same file in the
#         same run (the baseline), as lines/s and a ratio.
#   tail  hakobu tails an empty file while a writer appends the N lines at a bounded rate
#         (TAIL_RATE lines/s, default 100000), as lines/s from the first write to the last
#         delivery, and how far delivery trails the writer.
#   all   both.
# Both report CPU seconds per million lines: utime+stime of the hakobu JVM from /proc/<pid>/stat.
# BUFFER=disk (default) or memory selects the sink's buffer type, to price the disk buffer.
# Needs the distribution (./hakobu builds it), curl and python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lines=${1:-1000000}
scenario=${2:-file}
tail_rate=${TAIL_RATE:-100000}
buffer=${BUFFER:-disk}
case $buffer in disk|memory) ;; *) echo "BUFFER must be disk or memory" >&2; exit 1 ;; esac
case $scenario in file|tail|all) ;; *) echo "unknown scenario '$scenario' (file, tail, all)" >&2; exit 1 ;; esac
work=$(mktemp -d /tmp/hakobu-e2e.XXXXXX)
pid=
writer=
trap 'kill $pid $writer 2>/dev/null || true; rm -rf "$work"' EXIT

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
tck=$(getconf CLK_TCK)

now() { date +%s%N; }
# utime+stime of a process, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
delivered() {
  local n
  n=$(curl -sf "http://127.0.0.1:$port/metrics" 2>/dev/null | awk '/^hakobu_events_delivered_total/ {print $2}' || true)
  echo "${n:-0}"
}

# start_hakobu NAME INCLUDE: writes the config and starts `hakobu run` in the background (sets pid, port)
start_hakobu() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat > "$work/$1.yaml" <<YAML
node: {name: bench, data_dir: $work/state-$1}
api: {listen: "127.0.0.1:$port"}
sources:
  in: {type: file, include: ["$2"], format: ltsv}
sinks:
  out: {type: file, path: "$work/out-$1.ndjson", encoding: ndjson, buffer: {type: $buffer}}
YAML
  "$root/hakobu" run -c "$work/$1.yaml" 2>"$work/hakobu-$1.log" &   # ./hakobu execs the distribution: same pid
  pid=$!
}

# check NAME: output lines, unique seq, lost, duplicated
check() {
  local o u
  o=$(wc -l < "$work/out-$1.ndjson")
  u=$(grep -o '"seq":"[0-9]*"' "$work/out-$1.ndjson" | sort -u | wc -l)
  printf "check            output lines %d, unique seq %d, lost %d, duplicated %d\n" "$o" "$u" $((lines - u)) $((o - u))
}

run_file() {
  # baseline: cat of the same file (page cache warm for both)
  cat "$work/in.log" > /dev/null
  local t0 t1 cat_ns hk_ns steady_ns deadline warm t_warm= n_warm=0 n cpu
  t0=$(now); cat "$work/in.log" > "$work/cat.out"; sync "$work/cat.out"; t1=$(now)
  cat_ns=$((t1 - t0))
  rm -f "$work/cat.out"

  t0=$(now)
  start_hakobu file "$work/in.log"
  deadline=$(( $(date +%s) + 600 ))
  warm=$((lines / 10))
  while :; do
    # progress from the metrics endpoint (reading the growing output would compete for the CPU)
    n=$(delivered)
    if [[ -z $t_warm && $n -ge $warm ]]; then t_warm=$(now); n_warm=$n; fi
    [[ $n -ge $lines ]] && break
    if (( $(date +%s) > deadline )); then echo "timed out at $n lines" >&2; exit 1; fi
    if ! kill -0 $pid 2>/dev/null; then echo "hakobu exited early:" >&2; tail "$work/hakobu-file.log" >&2; exit 1; fi
    sleep 0.1
  done
  t1=$(now)
  cpu=$(cpu_ticks $pid)
  kill -TERM $pid; wait $pid || true; pid=
  hk_ns=$((t1 - t0))
  steady_ns=$((t1 - t_warm))
  echo "== file: read a file of $lines lines to its end"
  awk -v n="$lines" -v b="$bytes" -v c="$cat_ns" -v h="$hk_ns" -v s="$steady_ns" -v w="$n_warm" \
      -v cpu="$cpu" -v tck="$tck" 'BEGIN {
    cl = n / (c / 1e9); hl = n / (h / 1e9); sl = (n - w) / (s / 1e9);
    printf "input            %d LTSV lines, %.1f MiB\n", n, b / 1048576;
    printf "cat (baseline)   %12.0f lines/s  (%.3f s)\n", cl, c / 1e9;
    printf "hakobu run       %12.0f lines/s  (%.3f s, includes JVM start)\n", hl, h / 1e9;
    printf "hakobu steady    %12.0f lines/s  (last %d lines, after the first 10%%)\n", sl, n - w;
    printf "ratio            hakobu/cat = %.4f (whole run), %.4f (steady)\n", hl / cl, sl / cl;
    printf "cpu              %.2f s per million lines (%.2f s in all, JVM start included)\n", cpu / tck / n * 1e6, cpu / tck;
  }'
  check file
}

run_tail() {
  : > "$work/tail.log"
  start_hakobu tail "$work/tail.log"
  local deadline t0 t1 t_w cpu0 cpu1 n
  deadline=$(( $(date +%s) + 60 ))
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
    if (( $(date +%s) > deadline )); then echo "hakobu did not start" >&2; tail "$work/hakobu-tail.log" >&2; exit 1; fi
    sleep 0.1
  done
  sleep 1   # let the JVM settle after start, so its CPU below is the tailing only
  cpu0=$(cpu_ticks $pid)
  t0=$(now)
  # the writer: appends the lines in 10 ms steps at tail_rate lines/s (writes whole lines)
  python3 - "$work/in.log" "$work/tail.log" "$tail_rate" "$work/writer.done" <<'PY' &
import itertools, sys, time
src, dst, rate, done = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
step = 0.01
per_step = max(1, int(rate * step))
start = time.monotonic()
written = 0
with open(src, "rb") as f, open(dst, "ab", buffering=0) as out:
    while True:
        chunk = list(itertools.islice(f, per_step))
        if not chunk:
            break
        out.write(b"".join(chunk))
        written += len(chunk)
        due = start + written / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
open(done, "w").write(str(time.monotonic() - start))
PY
  writer=$!
  deadline=$(( $(date +%s) + 600 ))
  while :; do
    n=$(delivered)
    [[ $n -ge $lines ]] && break
    if (( $(date +%s) > deadline )); then echo "timed out at $n lines" >&2; exit 1; fi
    if ! kill -0 $pid 2>/dev/null; then echo "hakobu exited early:" >&2; tail "$work/hakobu-tail.log" >&2; exit 1; fi
    sleep 0.05
  done
  t1=$(now)
  cpu1=$(cpu_ticks $pid)
  wait $writer; writer=
  t_w=$(cat "$work/writer.done")
  kill -TERM $pid; wait $pid || true; pid=
  echo "== tail: a writer appends $lines lines at up to $tail_rate lines/s while hakobu tails the file"
  awk -v n="$lines" -v t0="$t0" -v t1="$t1" -v tw="$t_w" -v c0="$cpu0" -v c1="$cpu1" -v tck="$tck" 'BEGIN {
    s = (t1 - t0) / 1e9;
    printf "writer           %12.0f lines/s  (%.3f s)\n", n / tw, tw;
    printf "hakobu tail      %12.0f lines/s  (%.3f s from the first write to the last delivery)\n", n / s, s;
    printf "trailing         %.3f s after the writer finished\n", s - tw;
    printf "cpu              %.2f s per million lines (%.2f s while tailing)\n", (c1 - c0) / tck / n * 1e6, (c1 - c0) / tck;
  }'
  check tail
}

[[ $scenario == file || $scenario == all ]] && run_file
[[ $scenario == tail || $scenario == all ]] && run_tail
exit 0
