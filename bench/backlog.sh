#!/usr/bin/env bash
# The agent role catching up: an agent (HAKOBU_ROLE=agent, the launcher's 48 MiB heap) reads LINES
# LTSV lines from one file plus FILES small files of PER lines while its aggregator is down (a
# backlog in its disk buffer), then an aggregator (HAKOBU_ROLE=aggregator, file sink, NDJSON)
# starts and the agent delivers it all. Reports the agent's peak RSS (VmHWM) after reading and
# after delivering, its read_buffer_bytes gauge, and the aggregator's output checked for loss and
# duplicates by seq. Fails if a process exits early, a line is lost or duplicated, or a phase
# passes its deadline (300 s each).
#
# Usage: bench/backlog.sh [LINES] [FILES] [PER]     (defaults: 1000000, 50, 1000)
# Needs the distribution (./hakobu builds it), curl and python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
lines=${1:-1000000}
files=${2:-50}
per=${3:-1000}
total=$(( lines + files * per ))
work=$(mktemp -d /tmp/hakobu-backlog.XXXXXX)
agent=
agg=
cleanup() {
  local p
  for p in $agent $agg; do kill -TERM "$p" 2>/dev/null || true; done
  for p in $agent $agg; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log.err; do [[ -e $f ]] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done; exit 1; }

echo "generating $lines + $files x $per LTSV lines..." >&2
awk -v n="$lines" 'BEGIN { for (i = 0; i < n; i++) printf "time:27/Nov/2026:07:00:%02d\thost:192.0.2.%d\treq:GET /x HTTP/1.1\tstatus:200\tsize:%d\tua:curl/8.4.0\tseq:%d\n", i % 60, 1 + i % 254, i % 20000, i }' > "$work/in.log"
for f in $(seq 1 "$files"); do
  awk -v f="$f" -v n="$per" -v base="$lines" 'BEGIN { for (i = 0; i < n; i++) printf "status:200\tseq:%d\n", base + (f - 1) * n + i }' > "$work/small-$f.log"
done
read -r listen agent_api agg_api < <(python3 -c '
import socket
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
cat > "$work/agent.yaml" <<YAML
node: {name: backlog-agent, data_dir: $work/state-agent}
api: {listen: "127.0.0.1:$agent_api"}
sources:
  in: {type: file, include: ["$work/*.log"], format: ltsv}
sinks:
  fwd: {type: hakobu, endpoints: ["127.0.0.1:$listen"]}
YAML
cat > "$work/agg.yaml" <<YAML
node: {name: backlog-agg, data_dir: $work/state-agg}
api: {listen: "127.0.0.1:$agg_api"}
sources:
  in: {type: hakobu, listen: "127.0.0.1:$listen"}
sinks:
  out: {type: file, path: "$work/out.ndjson", encoding: ndjson}
YAML

# metric PORT NAME: the sum of a metric's samples, 0 while the endpoint does not answer
metric() {
  { curl -sf "http://127.0.0.1:$1/metrics" 2>/dev/null || true; } |
    awk -v m="hakobu_$2" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%d\n", s }'
}
hwm_mib() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
# wait_for PORT NAME: until the metric reaches $total (bench/wait_metric.py: one poller process);
# fails when the agent or the aggregator exits or 300 s pass
wait_for() {
  local out
  out=$(python3 "$root/bench/wait_metric.py" --port "$1" --metric "hakobu_$2" --lines "$total" \
      --pids "$agent${agg:+,$agg}" --deadline 300 --interval 0.2) ||
    fail "$2: $(wait_reason "$out")"
}

HAKOBU_ROLE=agent HAKOBU_JAVA_OPTS= "$root/hakobu" run -c "$work/agent.yaml" 2> "$work/agent.log.err" &
agent=$!
wait_for "$agent_api" lines_read_total
echo "read             $total lines from $(( files + 1 )) files with the aggregator down"
echo "agent            peak RSS $(hwm_mib $agent) MiB; buffer on disk $(metric "$agent_api" buffer_disk_bytes) bytes; read_buffer_bytes $(metric "$agent_api" read_buffer_bytes)"

HAKOBU_ROLE=aggregator HAKOBU_JAVA_OPTS= "$root/hakobu" run -c "$work/agg.yaml" 2> "$work/agg.log.err" &
agg=$!
t0=$(date +%s%N)
wait_for "$agg_api" events_delivered_total
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "delivered        $total lines in $ms ms from the aggregator's start"
echo "agent            peak RSS $(hwm_mib $agent) MiB; read_buffer_bytes now $(metric "$agent_api" read_buffer_bytes)"
python3 - "$work/out.ndjson" "$total" <<'PY'
import json, sys
seen, dup = set(), 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        s = int(json.loads(line)["seq"])
        dup += s in seen
        seen.add(s)
total = int(sys.argv[2])
lost = sum(1 for i in range(total) if i not in seen)
print(f"check            output lines {len(seen) + dup}, unique seq {len(seen)}, lost {lost}, duplicated {dup}")
sys.exit(1 if lost or dup else 0)
PY
