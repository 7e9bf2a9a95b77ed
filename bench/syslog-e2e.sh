#!/usr/bin/env bash
# Syslog over TCP, end to end: N RFC 5424 messages, octet-counted, sent over one loopback
# connection as fast as the receiver takes them, into
#   1. rsyslogd (its own config, foreground): imtcp -> omfile (RSYSLOG_FileFormat), and
#   2. hakobu run: syslog source (tcp) -> file sink (ndjson, fsync on, its default),
# in the same run, one after the other. Both receivers are started and listening before the
# clock starts (a syslog server runs for long); the time is from the first byte sent to the last
# message in the receiver's output. Prints lines/s of each and the ratio, and checks hakobu's
# output (lost, duplicated). Never touches the system rsyslog.
#
# Usage: bench/syslog-e2e.sh [MESSAGES] (default 1000000). Needs the distribution (./hakobu builds
# it), /usr/sbin/rsyslogd and python3 (the sender).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
n=${1:-1000000}
work=$(mktemp -d /tmp/hakobu-syslog-e2e.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$root/hakobu" version >/dev/null   # builds the distribution if needed

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s%N; }
wait_port() { # port, pid
  for _ in $(seq 1 600); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1).close()" 2>/dev/null; then return 0; fi
    kill -0 "$2" 2>/dev/null || { echo "receiver exited early" >&2; return 1; }
    sleep 0.1
  done
  echo "receiver not listening on $1" >&2; return 1
}

echo "generating $n octet-counted RFC 5424 messages..." >&2
awk -v n="$n" 'BEGIN {
  for (i = 0; i < n; i++) {
    m = sprintf("<134>1 2026-11-27T07:00:%02d.%06d+00:00 web-%02d app 4242 - [meta sequenceId=\"%d\"] request handled path=/api/v1/items user=%d status=%d seq=%d",
      i % 60, i % 1000000, i % 16, i + 1, i % 977, (i % 10 == 0 ? 404 : 200), i);
    printf "%d %s", length(m), m
  }
}' > "$work/in.syslog"
bytes=$(stat -c %s "$work/in.syslog")

send() { # port
  python3 - "$1" "$work/in.syslog" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "rb") as f:
    s.sendfile(f)
s.close()
PY
}

# ---- rsyslogd: imtcp -> omfile -------------------------------------------------------------------
rport=$(free_port)
mkdir -p "$work/rsyslog-work"
cat > "$work/rsyslog.conf" <<CONF
global(workDirectory="$work/rsyslog-work" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$rport")
action(type="omfile" file="$work/rsyslog.out" template="RSYSLOG_FileFormat")
CONF
/usr/sbin/rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslog.pid" 2>"$work/rsyslog.log" &
rpid=$!; pids+=("$rpid")
wait_port "$rport" "$rpid"
t0=$(now)
send "$rport"
deadline=$(( $(date +%s) + 600 ))
while :; do
  c=$(wc -l < "$work/rsyslog.out" 2>/dev/null || echo 0)
  [[ $c -ge $n ]] && break
  if (( $(date +%s) > deadline )); then echo "rsyslog timed out at $c" >&2; exit 1; fi
  sleep 0.05
done
t1=$(now)
rs_ns=$((t1 - t0))
kill -TERM "$rpid"; wait "$rpid" 2>/dev/null || true
rm -f "$work/rsyslog.out"

# ---- hakobu: syslog (tcp) -> file sink -------------------------------------------------------------
hport=$(free_port); api=$(free_port)
cat > "$work/hakobu.yaml" <<YAML
node: {name: bench, data_dir: $work/state}
api: {listen: "127.0.0.1:$api"}
sources:
  syslog: {type: syslog, listen: ["tcp://127.0.0.1:$hport"]}
sinks:
  out: {type: file, path: "$work/out.ndjson", encoding: ndjson}
YAML
"$root/hakobu" run -c "$work/hakobu.yaml" 2>"$work/hakobu.log" &
hpid=$!; pids+=("$hpid")
wait_port "$hport" "$hpid"
t0=$(now)
send "$hport"
t1=$(wait_end "$work/hakobu.log" --port "$api" --lines "$n" --pids "$hpid" --deadline 600) || exit 1
hk_ns=$((t1 - t0))
kill -TERM "$hpid"; wait "$hpid" || true

out_lines=$(wc -l < "$work/out.ndjson")
uniq_seq=$(grep -o 'seq=[0-9]*"' "$work/out.ndjson" | sort -u | wc -l)
errors=$(grep -c '_PARSE_ERROR' "$work/out.ndjson" || true)
awk -v n="$n" -v b="$bytes" -v r="$rs_ns" -v h="$hk_ns" -v o="$out_lines" -v u="$uniq_seq" -v e="$errors" 'BEGIN {
  rl = n / (r / 1e9); hl = n / (h / 1e9);
  printf "input            %d RFC 5424 messages, octet-counted, %.1f MiB, one TCP connection\n", n, b / 1048576;
  printf "rsyslogd         %12.0f msgs/s  (%.3f s; imtcp -> omfile, no fsync)\n", rl, r / 1e9;
  printf "hakobu run       %12.0f msgs/s  (%.3f s; syslog tcp -> file sink ndjson, fsync on)\n", hl, h / 1e9;
  printf "ratio            hakobu/rsyslogd = %.3f\n", hl / rl;
  printf "check            output lines %d, unique seq %d, lost %d, duplicated %d, parse errors %d\n", o, u, n - u, o - u, e;
}'
