#!/usr/bin/env bash
# Benchmark of the s3 sink: `hakobu run` (file source, LTSV -> s3 sink with a disk buffer) archiving
# N nginx LTSV lines to a real S3Proxy on 127.0.0.1 (filesystem store), once with zstd and once with
# gzip; reported as entries/s, MB/s (input LTSV and NDJSON archived) and the compression ratio,
# against the zstd and gzip command-line tools compressing the same NDJSON (what hakobu archived,
# decompressed from the bucket) in the same run.
#
# Usage: bench/s3.sh [LINES]          (default 500000)
#   HAKOBU=path/to/bin/hakobu         a distribution to run (default: ./hakobu, which builds one)
#   S3PROXY_JAR=path                  (default: the local Maven repository, fetched with mvn if missing)
# Needs Java 17, curl, python3, zstd, gzip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
lines=${1:-500000}
hakobu=${HAKOBU:-$root/hakobu}
work=$(mktemp -d /tmp/hakobu-s3bench.XXXXXX)
pid=
proxy=
trap 'kill $pid $proxy 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

jar=${S3PROXY_JAR:-$HOME/.m2/repository/org/gaul/s3proxy/4.1.0/s3proxy-4.1.0-jar-with-dependencies.jar}
if [[ ! -f $jar ]]; then
  echo "fetching S3Proxy 4.1.0 with Maven..." >&2
  mvn -B -q dependency:get -Dartifact=org.gaul:s3proxy:4.1.0:jar:jar-with-dependencies >&2
fi
"$hakobu" version >/dev/null   # builds the distribution if needed

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s%N; }

echo "generating $lines LTSV lines..." >&2
awk -v n="$lines" 'BEGIN {
  split("/,/index.html,/api/v1/items?page=2,/api/v1/cart,/login,/static/app.js", paths, ",");
  for (i = 0; i < n; i++) {
    printf "time:27/Nov/2026:07:00:%02d +0000\thost:192.0.2.%d\tforwardedfor:-\treq:GET %s HTTP/1.1\tmethod:GET\turi:%s\tstatus:%d\tsize:%d\treferer:-\tua:curl/8.4.0\treqtime:0.0%02d\tcache:-\truntime:-\tapptime:0.003\tvhost:example.jp\tseq:%d\n",
      i % 60, 1 + i % 254, paths[1 + i % 6], paths[1 + i % 6], (i % 10 == 0 ? 404 : 200), i % 20000, 10 + i % 89, i
  }
}' > "$work/in.log"
in_bytes=$(stat -c %s "$work/in.log")

s3port=$(free_port)
mkdir -p "$work/blobs"
cat > "$work/s3proxy.conf" <<EOF
s3proxy.endpoint=http://127.0.0.1:$s3port
s3proxy.authorization=none
s3proxy.ignore-unknown-headers=true
jclouds.provider=filesystem
jclouds.filesystem.basedir=$work/blobs
EOF
java -Xmx256m -XX:+UseSerialGC -jar "$jar" --properties "$work/s3proxy.conf" >"$work/s3proxy.log" 2>&1 &
proxy=$!
deadline=$(( $(date +%s) + 90 ))
until curl -s -o /dev/null "http://127.0.0.1:$s3port/"; do
  (( $(date +%s) < deadline )) || { echo "S3Proxy did not start" >&2; cat "$work/s3proxy.log" >&2; exit 1; }
  sleep 0.2
done

metric() {  # metric NAME: the archive sink's value (0 if absent)
  local v
  v=$(curl -sf "http://127.0.0.1:$port/metrics" 2>/dev/null \
      | awk -v m="hakobu_$1{" 'index($0, m) == 1 && /component_id="archive"/ {print $2}' || true)
  echo "${v:-0}"
}

# run COMPRESSION: archive the input, print hakobu's line; leaves the NDJSON archived in $work/$1.ndjson
run() {
  local c=$1 bucket="bench-$1" t0 t1 n raw obj
  curl -sf -X PUT "http://127.0.0.1:$s3port/$bucket" >/dev/null
  port=$(free_port)
  cat > "$work/$c.yaml" <<YAML
node: {name: bench, data_dir: $work/state-$c}
api: {listen: "127.0.0.1:$port"}
sources:
  in: {type: file, include: ["$work/in.log"], format: ltsv}
sinks:
  archive:
    type: s3
    bucket: $bucket
    endpoint: http://127.0.0.1:$s3port
    force_path_style: true
    access_key_id: bench
    secret_access_key: bench
    compression: $c
    batch: {max_bytes: 16MiB, timeout: 2s}
YAML
  t0=$(now)
  "$hakobu" run -c "$work/$c.yaml" 2>"$work/hakobu-$c.log" &
  pid=$!
  # until the sink uploaded every entry (events_out_total: its events_delivered_total counts what
  # its spool took)
  t1=$(wait_end "$work/hakobu-$c.log" --port "$port" --lines "$lines" --pids "$pid" --deadline 900 \
      --metric hakobu_events_out_total --match 'component_id="archive"') || exit 1
  raw=$(metric bytes_out_total)
  obj=$(metric object_bytes_uploaded_total)
  kill -TERM $pid; wait $pid || true; pid=
  # what the bucket holds, decompressed: the same NDJSON for the command-line tools
  local ext=zst dec="zstd -dc"
  [[ $c == gzip ]] && { ext=gz; dec="gzip -dc"; }
  find "$work/blobs/$bucket" -name "*.ndjson.$ext" -print0 | sort -z | xargs -0 cat | $dec > "$work/$c.ndjson"
  local got
  got=$(grep -o '"seq":"[0-9]*"' "$work/$c.ndjson" | sort -u | wc -l)
  awk -v c="$c" -v n="$lines" -v ns=$((t1 - t0)) -v ib="$in_bytes" -v raw="$raw" -v obj="$obj" -v got="$got" 'BEGIN {
    s = ns / 1e9;
    printf "hakobu %-5s  %9.0f entries/s  %6.1f MB/s LTSV in  %6.1f MB/s NDJSON archived  ratio %5.2f  (%.1f s, JVM start included; %d MB NDJSON -> %.1f MB; %d of %d entries found in the bucket)\n",
      c, n / s, ib / s / 1e6, raw / s / 1e6, raw / obj, s, raw / 1e6, obj / 1e6, got, n;
  }'
}

tool() {  # tool NAME CMD...: compress $work/ndjson with a command-line tool
  local name=$1 t0 t1 out; shift
  t0=$(now); "$@" < "$work/zstd.ndjson" > "$work/tool.out"; t1=$(now)
  out=$(stat -c %s "$work/tool.out")
  awk -v name="$name" -v ns=$((t1 - t0)) -v raw="$(stat -c %s "$work/zstd.ndjson")" -v out="$out" 'BEGIN {
    printf "%-12s %6.1f MB/s NDJSON  ratio %5.2f  (%.2f s, one core)\n", name, raw / (ns / 1e9) / 1e6, raw / out, ns / 1e9 }'
}

echo "== s3 sink: $lines nginx LTSV lines ($(awk -v b="$in_bytes" 'BEGIN{printf "%.1f MB", b/1e6}')) to S3Proxy on 127.0.0.1"
run zstd
run gzip
echo "-- the command-line tools on the same NDJSON:"
tool "zstd -3" zstd -3 -q -c
tool "gzip -6" gzip -6 -c
