#!/usr/bin/env bash
# hakobu's journald source against rsyslog's imjournal, reading the same system journal in the
# same run. Both need a journald: this script runs a private one in a mount (and network)
# namespace (tmpfs /run and /var/log/journal, its own journald.conf without rate limits), so the
# host's journal and /dev/log are never touched. Needs root (unshare), rsyslogd,
# /lib/systemd/systemd-journald, systemd-cat, python3 and the distribution (./hakobu builds
# it; HAKOBU=/path/to/bin/hakobu uses another).
#
# Usage: sudo bench/journald-rsyslog.sh [ENTRIES]    (default 1000000)
#   1. writes ENTRIES lines through `systemd-cat` into the private journald;
#   2. rsyslogd (imjournal -> omfile, no fsync) reads the whole journal: entries/s;
#   3. hakobu run (journald source -> file sink, ndjson, fsync on) reads it: entries/s;
#   and checks that both outputs hold every line exactly once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
entries=${1:-1000000}
hakobu=${HAKOBU:-$root/hakobu}
if [[ -z ${HAKOBU_BENCH_INNER:-} ]]; then
  "$hakobu" version >/dev/null   # builds the distribution if needed, outside the namespace
  exec env HAKOBU_BENCH_INNER=1 HAKOBU="$hakobu" unshare --mount --net --propagation private "$0" "$@"
fi

work=$(mktemp -d /tmp/hakobu-journald-rsyslog.XXXXXX)
jpid= rpid= hpid=
cleanup() { kill $hpid $rpid $jpid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ip link set lo up 2>/dev/null || true

mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/journal /var/log/journal
mount -t tmpfs tmpfs /var/log/journal
cat > "$work/journald.conf" <<CONF
[Journal]
Storage=volatile
RuntimeMaxUse=8G
RuntimeMaxFileSize=128M
RateLimitBurst=0
RateLimitIntervalSec=0
ReadKMsg=no
ForwardToSyslog=no
ForwardToWall=no
CONF
mount --bind "$work/journald.conf" /etc/systemd/journald.conf
/lib/systemd/systemd-journald 2>"$work/journald.log" &
jpid=$!
for _ in $(seq 1 100); do [[ -S /run/systemd/journal/stdout ]] && break; sleep 0.1; done

echo "writing $entries entries through systemd-cat..." >&2
awk -v n="$entries" 'BEGIN { for (i = 0; i < n; i++) printf "request handled method=GET path=/api/v1/items/%d status=200 seq=%d\n", i % 977, i }' \
  | systemd-cat -t bench
for _ in $(seq 1 600); do
  n=$(journalctl -t bench -o cat -n 1 2>/dev/null || true)
  [[ $n == *"seq=$((entries - 1))" ]] && break
  sleep 0.2
done
total=$(journalctl -o export | grep -ac '^__CURSOR=')
echo "journal: $total entries ($(du -sh /run/log/journal | cut -f1))" >&2

now() { date +%s%N; }
tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
count_lines() { [[ -f $1 ]] && wc -l < "$1" || echo 0; }

# rsyslogd: imjournal -> omfile
mkdir -p "$work/rsyslog"
cat > "$work/rsyslog.conf" <<CONF
global(workDirectory="$work/rsyslog")
module(load="imjournal" StateFile="$work/rsyslog/imjournal.state" IgnorePreviousMessages="off" Ratelimit.Interval="0" PersistStateInterval="10000")
template(name="msgonly" type="string" string="%msg%\n")
action(type="omfile" file="$work/rsyslog.out" template="msgonly")
CONF
t0=$(now)
rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslog.pid" 2>"$work/rsyslog.log" &
rpid=$!
deadline=$(( $(date +%s) + 1800 ))
while (( $(count_lines "$work/rsyslog.out") < total )); do
  if ! kill -0 "$rpid" 2>/dev/null || (( $(date +%s) > deadline )); then echo "rsyslogd stopped or timed out" >&2; tail "$work/rsyslog.log" >&2; exit 1; fi
  sleep 0.2
done
t1=$(now)
rsyslog_ticks=$(cpu_ticks "$rpid")
kill "$rpid"; wait "$rpid" 2>/dev/null || true; rpid=
rsyslog_ms=$(( (t1 - t0) / 1000000 ))

# hakobu: journald source (the system journal) -> file sink
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/hakobu.yaml" <<YAML
node: {name: bench, data_dir: $work/state}
api: {listen: "127.0.0.1:$port"}
sources:
  journal: {type: journald}
sinks:
  out: {type: file, path: "$work/hakobu.ndjson", encoding: ndjson}
YAML
t0=$(now)
"$hakobu" run -c "$work/hakobu.yaml" 2>"$work/hakobu.log" &
hpid=$!
t1=$(wait_end "$work/hakobu.log" --port "$port" --lines "$total" --pids "$hpid" --deadline $(( deadline - $(date +%s) ))) || exit 1
hakobu_ticks=$(cpu_ticks "$hpid")
kill -TERM "$hpid"; wait "$hpid" || true; hpid=
hakobu_ms=$(( (t1 - t0) / 1000000 ))

python3 - "$entries" "$total" "$rsyslog_ms" "$rsyslog_ticks" "$hakobu_ms" "$hakobu_ticks" "$tck" "$work" <<'PY'
import json, sys
n, total, r_ms, r_ticks, h_ms, h_ticks, tck = (int(x) for x in sys.argv[1:8])
work = sys.argv[8]
def check(seqs):
    seen = set(seqs)
    return len(seqs), len(seen), n - len(seen & set(range(n)))
r = [int(l.rsplit("seq=", 1)[1]) for l in open(f"{work}/rsyslog.out", encoding="utf-8", errors="replace") if "seq=" in l]
h = []
for line in open(f"{work}/hakobu.ndjson", encoding="utf-8"):
    m = json.loads(line).get("MESSAGE", "")
    if isinstance(m, str) and "seq=" in m:
        h.append(int(m.rsplit("seq=", 1)[1]))
print(f"journal: {total} entries ({n} bench lines)")
for name, ms, ticks, seqs in (("rsyslogd imjournal -> omfile", r_ms, r_ticks, r), ("hakobu journald -> file (fsync)", h_ms, h_ticks, h)):
    lines, distinct, lost = check(seqs)
    print(f"{name:32s}: {total / (ms / 1000):>9,.0f} entries/s ({ms} ms incl. start), CPU {ticks / tck:.1f} s, "
          f"lost {lost}, duplicated {lines - distinct}")
print(f"ratio hakobu/rsyslog: {r_ms / h_ms:.2f}")
PY
