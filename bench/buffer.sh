#!/usr/bin/env bash
# Disk buffer write throughput with `fsync: always` (an fdatasync per group) and with an interval
# (200ms), each against dd writing the same number of bytes with the same fsync pattern, in the
# same run and on the same filesystem:
#   always   vs  dd bs=<bytes per group> count=<groups> oflag=dsync   (a sync per write)
#   interval vs  dd bs=1M conv=fdatasync                               (one sync at the end)
# Figures are medians over ROUNDS runs, reported as MB/s and as ratios (this machine is noisy:
# compare ratios, not absolute numbers). Target (issue 4): always >= 0.5 x interval.
#
# Usage: bench/buffer.sh [ENTRIES]        (default 2000000 entries of ~200 bytes)
# Environment: ROUNDS (default 3), BENCH_DIR (default /tmp), HAKOBU_TARGET, MVN_FLAGS, SKIP_BUILD=1
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${HAKOBU_TARGET:-target}
jar="$root/bench/$target/benchmarks.jar"
entries=${1:-2000000}
rounds=${ROUNDS:-3}

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  # shellcheck disable=SC2086 # MVN_FLAGS is a list of flags
  (cd "$root" && mvn ${MVN_FLAGS:--B -q} -Dhakobu.target="$target" -pl core,bench -am package -DskipTests)
fi
work=$(mktemp -d "${BENCH_DIR:-/tmp}/hakobu-buffer-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
fs=$(df -T "$work" | awk 'NR==2 {print $2}')

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
ddrate() { # dd's own MB/s figure, from its last line ("... s, 123 MB/s")
  LC_ALL=C dd "$@" 2>&1 | tail -1 | awk -F', ' '{print $NF}' | awk '{v=$1; u=$2; if (u=="GB/s") v*=1000; if (u=="kB/s") v/=1000; print v}'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

: >"$work/always"; : >"$work/interval"; : >"$work/dd_dsync"; : >"$work/dd_fdatasync"
for r in $(seq 1 "$rounds"); do
  a=$(java -Xmx512m -XX:+UseSerialGC -Dslf4j.internal.verbosity=ERROR -cp "$jar" io.hakobu.bench.BufferBench "$work/a$r" "$entries" always)
  rm -rf "$work/a$r"
  i=$(java -Xmx512m -XX:+UseSerialGC -Dslf4j.internal.verbosity=ERROR -cp "$jar" io.hakobu.bench.BufferBench "$work/i$r" "$entries" 200)
  rm -rf "$work/i$r"
  echo "round $r: $a"
  echo "round $r: $i"
  field mb_per_s "$a" >>"$work/always"
  field mb_per_s "$i" >>"$work/interval"
  group=$(field bytes_per_fsync "$a")
  groups=$(field fsyncs "$a")
  bytes=$(field bytes "$i")
  ddrate if=/dev/zero of="$work/dd" bs="$group" count="$groups" oflag=dsync >>"$work/dd_dsync"
  rm -f "$work/dd"
  ddrate if=/dev/zero of="$work/dd" bs=1M count=$(( (bytes + 1048575) / 1048576 )) conv=fdatasync >>"$work/dd_fdatasync"
  rm -f "$work/dd"
  echo "round $r: dd dsync bs=$group x $groups: $(tail -1 "$work/dd_dsync") MB/s; dd fdatasync: $(tail -1 "$work/dd_fdatasync") MB/s"
done

ma=$(median <"$work/always"); mi=$(median <"$work/interval")
da=$(median <"$work/dd_dsync"); di=$(median <"$work/dd_fdatasync")
echo
echo "filesystem: $fs   entries per run: $entries   rounds: $rounds (medians)"
printf '%-22s %10s %12s\n' "" "MB/s" "ratio"
printf '%-22s %10.1f %12s\n' "dd oflag=dsync" "$da" "baseline"
printf '%-22s %10.1f %11.2fx\n' "hakobu fsync: always" "$ma" "$(awk -v a="$ma" -v b="$da" 'BEGIN{print a/b}')"
printf '%-22s %10.1f %12s\n' "dd conv=fdatasync" "$di" "baseline"
printf '%-22s %10.1f %11.2fx\n' "hakobu fsync: 200ms" "$mi" "$(awk -v a="$mi" -v b="$di" 'BEGIN{print a/b}')"
printf 'always / interval: %.2f (target >= 0.5)\n' "$(awk -v a="$ma" -v b="$mi" 'BEGIN{print a/b}')"
