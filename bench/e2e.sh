#!/usr/bin/env bash
# End-to-end benchmarks of `hakobu run` (file source, ltsv -> file sink, ndjson, fsync on).
#
# Usage: bench/e2e.sh [LINES] [SCENARIO]     (defaults: 1000000, file)
#   file     N LTSV lines already in a file, read to the end, against `cat` of the same file in the
#            same run (the baseline), as lines/s and a ratio.
#   tail     hakobu tails an empty file while a writer appends the N lines at a bounded rate
#            (TAIL_RATE lines/s, default 100000), as lines/s from the first write to the last
#            delivery, and how far delivery trails the writer.
#   forward  the same file through two `hakobu run` processes over loopback: an agent (file
#            source, ltsv -> disk buffer -> `hakobu` sink, zstd) and an aggregator (`hakobu`
#            source -> file sink, ndjson, fsync on), each with its own data_dir and api port. The
#            aggregator starts first; the clock starts with the agent and stops when the
#            aggregator's hakobu_events_delivered_total reaches N. Runs the `file` scenario first
#            in the same run (unless `all` already did) as the single-process baseline, and
#            reports lines/s and MB/s of input (whole run; steady, after the first 10%; warm, the
#            last half, when the JIT has done most of its work, with its CPU per line), CPU
#            seconds of each process and their sum, peak RSS (VmHWM) of each, and ratios
#            forward/single-process.
#   all      the three.
# All report CPU seconds per million lines: utime+stime of the hakobu JVM from /proc/<pid>/stat
# (forward also by thread, from /proc/<pid>/task/*/stat: where each process spends it)
# (./hakobu and bin/hakobu exec the JVM, so the pid of `hakobu run &` is the JVM's).
# BUFFER=disk (default) or memory selects the file sink's buffer type (in `forward`, the
# aggregator's), to price the disk buffer. The agent's hakobu sink keeps a disk buffer.
# forward only:
#   AGENT_JAVA_OPTS   HAKOBU_JAVA_OPTS of the agent. Default: the agent role's sizing,
#                     "-Xms32m -Xmx48m -Xmn24m -XX:SurvivorRatio=2 -Xss512k -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError";
#                     set it to override (empty: the launcher's defaults).
#   AGG_JAVA_OPTS     HAKOBU_JAVA_OPTS of the aggregator. Default unset: the launcher's defaults
#                     (a HAKOBU_JAVA_OPTS in the environment is not passed on to it).
#   AGENT_SINK_EXTRA  a YAML flow fragment added inside the agent's hakobu sink mapping, to
#                     compare settings, e.g. "window: 64, compression: none" (default empty).
# Deadlines: forward waits at most 120 s + 1 s per 5000 lines (5M lines: 1120 s) and fails when
# nothing is delivered for 60 s; either process exiting early fails the run with its log's tail.
# Disk: forward keeps its output, the aggregator's buffer and the agent's buffer (each at most
# 1 GiB, the default max_bytes) in the work dir; each scenario's output is deleted once checked.
# Needs the distribution (./hakobu builds it), curl and python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lines=${1:-1000000}
scenario=${2:-file}
tail_rate=${TAIL_RATE:-100000}
buffer=${BUFFER:-disk}
case $buffer in disk|memory) ;; *) echo "BUFFER must be disk or memory" >&2; exit 1 ;; esac
case $scenario in file|tail|forward|all) ;; *) echo "unknown scenario '$scenario' (file, tail, forward, all)" >&2; exit 1 ;; esac
agent_opts=${AGENT_JAVA_OPTS-"-Xms32m -Xmx48m -Xmn24m -XX:SurvivorRatio=2 -Xss512k -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError"}
agent_extra=${AGENT_SINK_EXTRA:-}
work=$(mktemp -d /tmp/hakobu-e2e.XXXXXX)
pid=
writer=
agent=
agg=
# running: the process exists and has not exited (an exited child stays a zombie until waited for)
running() { [[ -r /proc/$1/stat ]] && [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
cleanup() {
  local procs p i left
  read -ra procs <<< "$pid $writer $agent $agg"
  if (( ${#procs[@]} )); then
    kill -TERM "${procs[@]}" 2>/dev/null || true
    # a graceful stop drains for up to shutdown_grace (10 s); then SIGKILL, so rm below never races a writer
    for i in $(seq 150); do
      left=0
      for p in "${procs[@]}"; do if running "$p"; then left=1; fi; done
      if (( ! left )); then break; fi
      sleep 0.1
    done
    kill -KILL "${procs[@]}" 2>/dev/null || true
    wait "${procs[@]}" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

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
# peak resident set size of a process, in KiB
peak_rss() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
# CPU seconds of a JVM's threads by name (digits folded: "hakobu-in-io-3-1" -> "hakobu-in-io-#-#"),
# most first: "seconds|name" lines. Thread names are at most 15 characters in /proc.
thread_cpu() {
  local t line name rest f
  for t in /proc/$1/task/*/stat; do
    line=$(cat "$t" 2>/dev/null) || continue
    name=${line#*\(}; name=${name%\)*}; rest=${line##*\) }
    read -ra f <<< "$rest"
    echo "${name//[0-9]/#}|$(( f[11] + f[12] ))"
  done | awk -F'|' -v tck="$tck" '{ s[$1] += $2 } END { for (k in s) printf "%.2f|%s\n", s[k] / tck, k }' | sort -t'|' -k1 -g -r
}
# "CPU by thread" line: the top n threads of a JVM, "name s" comma separated
thread_line() {
  thread_cpu "$1" | head -n "${2:-7}" | awk -F'|' '{ printf "%s%s %s s", (NR > 1 ? ", " : ""), $2, $1 }'
}
# wait_for PORT [wait_metric.py options]: waits until the process whose api listens on PORT
# delivered $lines entries (bench/wait_metric.py: one poller process, not a curl every 0.1 s).
# Sets w_warm, w_n_warm, w_end (ns since the epoch), w_out (its output: w_disk reads it) and, when
# it fails (non-zero status), fail.
wait_for() {
  local port=$1 t_warm= n_warm= t_mark= n_mark= t_end= n= rc=0
  shift
  fail=
  w_out=$(python3 "$root/bench/wait_metric.py" --port "$port" --lines "$lines" "$@") || rc=$?
  eval "$w_out"   # t_warm=.. n_warm=.. t_end=.. n=.. [disk_P=..] [fail='..']: our own output
  if [[ -z $t_end ]]; then fail="bench/wait_metric.py failed (exit status $rc)"; fi
  w_warm=$t_warm w_n_warm=$n_warm w_mark=$t_mark w_n_mark=$n_mark w_end=$t_end
  [[ -z $fail ]]
}
# w_disk PORT: the peak hakobu_buffer_disk_bytes the last wait_for saw on PORT
w_disk() { tr ' ' '\n' <<<"$w_out" | sed -n "s/^disk_$1=//p"; }
# free_ports N: N distinct free TCP ports on 127.0.0.1, one per line
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))
PY
}

# start_hakobu NAME INCLUDE: writes the config and starts `hakobu run` in the background (sets pid, port)
start_hakobu() {
  port=$(free_ports 1)
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
  u=$( { grep -o '"seq":"[0-9]*"' "$work/out-$1.ndjson" || true; } | sort -u | wc -l)
  printf "check            output lines %d, unique seq %d, lost %d, duplicated %d\n" "$o" "$u" $((lines - u)) $((o - u))
  rm -f "$work/out-$1.ndjson"   # checked: free the disk for the next scenario
}

run_file() {
  # baseline: cat of the same file (page cache warm for both)
  cat "$work/in.log" > /dev/null
  local t0 t1 cat_ns hk_ns steady_ns t_warm n_warm cpu rss
  t0=$(now); cat "$work/in.log" > "$work/cat.out"; sync "$work/cat.out"; t1=$(now)
  cat_ns=$((t1 - t0))
  rm -f "$work/cat.out"

  t0=$(now)
  start_hakobu file "$work/in.log"
  # progress from the metrics endpoint (reading the growing output would compete for the CPU)
  if ! wait_for "$port" --warm $((lines / 10)) --pids "$pid" --deadline 600; then
    echo "$fail" >&2; tail "$work/hakobu-file.log" >&2; exit 1
  fi
  t_warm=$w_warm n_warm=$w_n_warm t1=$w_end
  cpu=$(cpu_ticks $pid)
  rss=$(peak_rss $pid)
  kill -TERM $pid; wait $pid || true; pid=
  hk_ns=$((t1 - t0))
  steady_ns=$((t1 - t_warm))
  # the single-process baseline of `forward`
  base_cat_ns=$cat_ns base_ns=$hk_ns base_steady_ns=$steady_ns base_warm=$n_warm base_cpu=$cpu base_rss=$rss
  echo "== file: read a file of $lines lines to its end"
  awk -v n="$lines" -v b="$bytes" -v c="$cat_ns" -v h="$hk_ns" -v s="$steady_ns" -v w="$n_warm" \
      -v cpu="$cpu" -v tck="$tck" -v rss="$rss" 'BEGIN {
    cl = n / (c / 1e9); hl = n / (h / 1e9); sl = (n - w) / (s / 1e9);
    printf "input            %d LTSV lines, %.1f MiB\n", n, b / 1048576;
    printf "cat (baseline)   %12.0f lines/s  (%.3f s)\n", cl, c / 1e9;
    printf "hakobu run       %12.0f lines/s  (%.3f s, includes JVM start)\n", hl, h / 1e9;
    printf "hakobu steady    %12.0f lines/s  (last %d lines, after the first 10%%)\n", sl, n - w;
    printf "ratio            hakobu/cat = %.4f (whole run), %.4f (steady)\n", hl / cl, sl / cl;
    printf "cpu              %.2f s per million lines (%.2f s in all, JVM start included)\n", cpu / tck / n * 1e6, cpu / tck;
    printf "memory           peak RSS %.1f MiB\n", rss / 1024;
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
  if ! wait_for "$port" --pids "$pid" --deadline 600; then
    echo "$fail" >&2; tail "$work/hakobu-tail.log" >&2; exit 1
  fi
  t1=$w_end
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

# forward_fail MESSAGE: the message, the tail of both logs and where the pipeline stands; exits
forward_fail() {
  local who
  echo "forward: $1" >&2
  for who in agent agg; do
    echo "--- $who: last lines of $work/hakobu-fwd-$who.log" >&2
    tail -n 20 "$work/hakobu-fwd-$who.log" >&2 || true
  done
  echo "--- agent metrics" >&2
  curl -sf "http://127.0.0.1:$agent_api/metrics" 2>/dev/null | grep -E '^hakobu_(events_(out|in|delivered)_total|buffer_events|connected|frames_in_flight|acks_received_total|ack_timeouts_total|disconnects_total|connect_failures_total)[{ ]' >&2 || true
  echo "--- aggregator metrics" >&2
  curl -sf "http://127.0.0.1:$agg_api/metrics" 2>/dev/null | grep -E '^hakobu_(events_(received|out|in|delivered)_total|buffer_events|pending_bytes|connections_open|reads_paused_total|protocol_errors_total|batches_duplicate_total)[{ ]' |
    awk '!/^hakobu_protocol_errors_total/ || $NF != 0' >&2 || true
  exit 1
}

# the -Xmx a running JVM was started with
jvm_xmx() { tr '\0' '\n' < "/proc/$1/cmdline" | awk '/^-Xmx/ { x = substr($0, 5) } END { print (x == "" ? "(JVM default)" : x) }'; }
# WARN and ERROR lines of a hakobu log
log_problems() { grep -E '^[^ ]+ (WARN|ERROR) ' "$1" || true; }
# metric FILE NAME [LABEL]: a metric from a saved /metrics, summed over the lines that have LABEL
metric() {
  awk -v m="$2" -v l="${3:-}" 'index($0, m "{") == 1 && index($0, l) { s += $NF } END { printf "%d\n", s }' "$1"
}

run_forward() {
  # the single-process baseline, in the same run (`all` has just measured it)
  if [[ -z ${base_ns:-} ]]; then run_file; fi
  local agg_listen agg_api agent_api t0 t1 t_warm n_warm
  local agent_cpu agg_cpu agent_cpu_mark agg_cpu_mark t_mark n_mark agent_rss agg_rss agent_xmx agg_xmx agent_rc=0 agg_rc=0 agent_warn agg_warn p am gm
  local agent_threads agg_threads
  local agent_disk agg_disk
  { read -r agg_listen; read -r agg_api; read -r agent_api; } < <(free_ports 3)
  cat > "$work/fwd-agg.yaml" <<YAML
node: {name: bench-agg, data_dir: $work/state-fwd-agg}
api: {listen: "127.0.0.1:$agg_api"}
sources:
  in: {type: hakobu, listen: "127.0.0.1:$agg_listen"}
sinks:
  out: {type: file, path: "$work/out-forward.ndjson", encoding: ndjson, buffer: {type: $buffer}}
YAML
  cat > "$work/fwd-agent.yaml" <<YAML
node: {name: bench-agent, data_dir: $work/state-fwd-agent}
api: {listen: "127.0.0.1:$agent_api"}
sources:
  in: {type: file, include: ["$work/in.log"], format: ltsv}
sinks:
  fwd: {type: hakobu, endpoints: ["127.0.0.1:$agg_listen"]${agent_extra:+, $agent_extra}}
YAML

  # the aggregator first; ./hakobu execs the distribution, which execs java: $! is the JVM
  if [[ -n ${AGG_JAVA_OPTS+set} ]]; then
    HAKOBU_JAVA_OPTS=$AGG_JAVA_OPTS "$root/hakobu" run -c "$work/fwd-agg.yaml" 2>"$work/hakobu-fwd-agg.log" &
  else
    env -u HAKOBU_JAVA_OPTS "$root/hakobu" run -c "$work/fwd-agg.yaml" 2>"$work/hakobu-fwd-agg.log" &
  fi
  agg=$!
  deadline=$(( $(date +%s) + 60 ))
  # /health answers before the hakobu source listens: wait for both, so the agent's first connect works
  until curl -sf "http://127.0.0.1:$agg_api/health" >/dev/null 2>&1 && grep -q 'event=listening' "$work/hakobu-fwd-agg.log"; do
    if ! kill -0 $agg 2>/dev/null; then forward_fail "the aggregator exited at start"; fi
    if (( $(date +%s) > deadline )); then forward_fail "the aggregator did not answer /health and log event=listening within 60 s"; fi
    sleep 0.1
  done

  t0=$(now)
  HAKOBU_JAVA_OPTS=$agent_opts "$root/hakobu" run -c "$work/fwd-agent.yaml" 2>"$work/hakobu-fwd-agent.log" &
  agent=$!
  # progress from the aggregator's metrics endpoint (reading the growing output would compete for
  # the CPU); about once a second also the buffers' size on disk, for their peak (disk use at 5M
  # lines). Bounded: 120 s plus 1 s per 5000 lines (5M lines: 1120 s), and 60 s without a delivery.
  if ! wait_for "$agg_api" --warm $((lines / 10)) --mark $((lines / 2)) --pids "$agent,$agg" --deadline $((120 + lines / 5000)) --stall 60 \
      --disk-ports "$agent_api,$agg_api"; then
    forward_fail "$fail (agent pid $agent, aggregator pid $agg)"
  fi
  t_warm=$w_warm n_warm=$w_n_warm t1=$w_end
  # the second half ("warm"): the JIT has done most of its work by then (cpu_<pid>: ticks at the mark)
  t_mark=$w_mark n_mark=$w_n_mark
  p=cpu_$agent; agent_cpu_mark=${!p:-}
  p=cpu_$agg; agg_cpu_mark=${!p:-}
  agent_disk=$(w_disk "$agent_api") agg_disk=$(w_disk "$agg_api")
  for p in $agent $agg; do
    [[ $(cat "/proc/$p/comm") == java ]] || forward_fail "pid $p is $(cat "/proc/$p/comm"), not the JVM: CPU and RSS would be wrong"
  done
  # CPU and peak RSS just before stopping: the whole life of each process
  agent_cpu=$(cpu_ticks $agent) agg_cpu=$(cpu_ticks $agg)
  agent_rss=$(peak_rss $agent) agg_rss=$(peak_rss $agg)
  agent_xmx=$(jvm_xmx $agent) agg_xmx=$(jvm_xmx $agg)
  agent_threads=$(thread_line $agent) agg_threads=$(thread_line $agg)
  curl -sf "http://127.0.0.1:$agent_api/metrics" > "$work/fwd-agent.metrics" || true
  curl -sf "http://127.0.0.1:$agg_api/metrics" > "$work/fwd-agg.metrics" || true
  kill -TERM $agent; wait $agent || agent_rc=$?; agent=
  kill -TERM $agg; wait $agg || agg_rc=$?; agg=
  echo "== forward: agent (file, ltsv -> disk buffer -> hakobu sink) -> loopback -> aggregator (hakobu source -> file sink), $lines lines"
  awk -v n="$lines" -v b="$bytes" -v h="$((t1 - t0))" -v s="$((t1 - ${t_warm:-$t1}))" -v w="$n_warm" \
      -v m="$((t1 - ${t_mark:-$t1}))" -v nm="${n_mark:-0}" -v acm="${agent_cpu_mark:-0}" -v gcm="${agg_cpu_mark:-0}" \
      -v c="$base_cat_ns" -v bh="$base_ns" -v bs="$base_steady_ns" -v bw="$base_warm" \
      -v ac="$agent_cpu" -v gc="$agg_cpu" -v bc="$base_cpu" -v tck="$tck" \
      -v ar="$agent_rss" -v gr="$agg_rss" -v br="$base_rss" \
      -v ax="$agent_xmx" -v gx="$agg_xmx" -v ao="${agent_opts:-launcher defaults}" \
      -v go="${AGG_JAVA_OPTS-launcher defaults}" -v extra="$agent_extra" -v buf="$buffer" 'BEGIN {
    fl = n / (h / 1e9); fb = b / 1e6 / (h / 1e9);
    sl = s > 0 ? (n - w) / (s / 1e9) : 0; sb = s > 0 ? b * (n - w) / n / 1e6 / (s / 1e9) : 0;
    bl = n / (bh / 1e9); bb = b / 1e6 / (bh / 1e9);
    bsl = (n - bw) / (bs / 1e9); bsb = b * (n - bw) / n / 1e6 / (bs / 1e9);
    cl = n / (c / 1e9);
    printf "input            %d LTSV lines, %.1f MiB\n", n, b / 1048576;
    printf "agent            -Xmx%s  (HAKOBU_JAVA_OPTS: %s)\n", ax, ao;
    printf "aggregator       -Xmx%s  (HAKOBU_JAVA_OPTS: %s)\n", gx, go;
    printf "agent sink       {type: hakobu%s}, buffer disk; aggregator file sink buffer %s\n", (extra == "" ? "" : ", " extra), buf;
    printf "forward run      %12.0f lines/s  %7.1f MB/s  (%.3f s from the agent'"'"'s start, JVM start included)\n", fl, fb, h / 1e9;
    if (s > 0) printf "forward steady   %12.0f lines/s  %7.1f MB/s  (last %d lines, after the first 10%%)\n", sl, sb, n - w;
    if (m > 0 && acm > 0 && gcm > 0) printf "forward warm     %12.0f lines/s  %7.1f MB/s  (last %d lines, after half; CPU %.2f s per million lines)\n", (n - nm) / (m / 1e9), b * (n - nm) / n / 1e6 / (m / 1e9), n - nm, (ac - acm + gc - gcm) / tck / (n - nm) * 1e6;
    printf "single process   %12.0f lines/s  %7.1f MB/s  (the file scenario: whole run)\n", bl, bb;
    printf "single steady    %12.0f lines/s  %7.1f MB/s  (after the first 10%%)\n", bsl, bsb;
    printf "ratio            forward/single-process = %.4f (whole run), %.4f (steady); forward/cat = %.4f (whole run)\n", fl / bl, sl / bsl, fl / cl;
    printf "cpu              agent %.2f s + aggregator %.2f s = %.2f s, %.2f s per million lines (JVM starts included)\n", ac / tck, gc / tck, (ac + gc) / tck, (ac + gc) / tck / n * 1e6;
    printf "cpu baseline     single process %.2f s per million lines; ratio forward/single-process = %.2f\n", bc / tck / n * 1e6, (ac + gc) / bc;
    printf "memory           peak RSS agent %.1f MiB + aggregator %.1f MiB = %.1f MiB (single process %.1f MiB, ratio %.2f)\n", ar / 1024, gr / 1024, (ar + gr) / 1024, br / 1024, (ar + gr) / br;
  }'
  # where the CPU went (C# CompilerThre: the JIT; VM Thread: the serial collector's pauses; java: startup)
  echo "cpu by thread    agent: $agent_threads"
  echo "                 aggregator: $agg_threads"
  # how the link behaved: resends, reconnects and duplicates should be 0 in a clean run
  am=$work/fwd-agent.metrics gm=$work/fwd-agg.metrics
  printf "link             %d batch frames, %d resent, %d connections, %d connect failures, %d ack timeouts; %.1f MB on the wire, compression ratio %.2f\n" \
    "$(metric "$am" hakobu_frames_sent_total 'type="batch"')" "$(metric "$am" hakobu_frames_resent_total)" \
    "$(metric "$am" hakobu_connections_total)" "$(metric "$am" hakobu_connect_failures_total)" \
    "$(metric "$am" hakobu_ack_timeouts_total)" "$(awk -v b="$(metric "$am" hakobu_bytes_sent_total)" 'BEGIN { print b / 1e6 }')" \
    "$(awk -v r="$(metric "$am" hakobu_batch_raw_bytes_total)" -v c="$(metric "$am" hakobu_batch_compressed_bytes_total)" 'BEGIN { print (c > 0 ? r / c : 0) }')"
  printf "aggregator side  %d batches received, %d duplicate, reads paused %d times\n" \
    "$(metric "$gm" hakobu_batches_received_total)" "$(metric "$gm" hakobu_batches_duplicate_total)" \
    "$(metric "$gm" hakobu_reads_paused_total)"
  # a disk buffer's sink that falls behind its memory cache decodes from disk (see README, the disk buffer's price)
  printf "buffer reads     agent's hakobu sink: %d batches from memory, %d from disk" \
    "$(metric "$am" hakobu_buffer_batches_read_total 'from="memory"')" "$(metric "$am" hakobu_buffer_batches_read_total 'from="disk"')"
  if [[ $buffer == disk ]]; then
    printf "; aggregator's file sink: %d from memory, %d from disk" \
      "$(metric "$gm" hakobu_buffer_batches_read_total 'from="memory"')" "$(metric "$gm" hakobu_buffer_batches_read_total 'from="disk"')"
  fi
  echo
  # peaks sampled about once a second; a disk buffer holds at most max_bytes (default 1 GiB), then blocks its sources
  printf "buffer disk      agent wrote %.1f MB of buffer records, peak %.1f MiB on disk" \
    "$(awk -v b="$(metric "$am" hakobu_buffer_written_bytes_total)" 'BEGIN { print b / 1e6 }')" \
    "$(awk -v b="$agent_disk" 'BEGIN { print b / 1048576 }')"
  if [[ $buffer == disk ]]; then printf "; aggregator peak %.1f MiB" "$(awk -v b="$agg_disk" 'BEGIN { print b / 1048576 }')"; fi
  echo " (sampled every second)"
  agent_warn=$(log_problems "$work/hakobu-fwd-agent.log")
  agg_warn=$(log_problems "$work/hakobu-fwd-agg.log")
  printf "stop             SIGTERM: agent exit %d, aggregator exit %d; WARN/ERROR log lines: agent %d, aggregator %d\n" \
    "$agent_rc" "$agg_rc" "$(grep -c . <<< "$agent_warn" || true)" "$(grep -c . <<< "$agg_warn" || true)"
  { [[ -z $agent_warn ]] || sed 's/^/  agent: /' <<< "$agent_warn"; [[ -z $agg_warn ]] || sed 's/^/  aggregator: /' <<< "$agg_warn"; } | head -n 6 || true
  check forward
  rm -rf "$work/state-fwd-agent" "$work/state-fwd-agg"
}

# `if`, not `&&`: a function called as part of an && list runs with set -e ignored
if [[ $scenario == file || $scenario == all ]]; then run_file; fi
if [[ $scenario == tail || $scenario == all ]]; then run_tail; fi
if [[ $scenario == forward || $scenario == all ]]; then run_forward; fi
exit 0
