#!/usr/bin/env bash
# Builds the JMH jar and runs the micro-benchmarks with the GC profiler, then prints a summary:
# ops/s (one op = one line), the error, bytes allocated per op (gc.alloc.rate.norm) and the
# throughput relative to baselineScanTabs, which runs in the same fork.
#
# Usage: bench/run-jmh.sh [JMH args...]     e.g. bench/run-jmh.sh 'ParseBenchmark.ltsv.*'
# Environment:
#   HAKOBU_TARGET  build directory name (default: target), as -Dhakobu.target, for parallel builds
#   MVN_FLAGS      extra Maven flags (default: -B -q), e.g. "-B -q -o" to build offline
#   SKIP_BUILD=1   reuse an existing jar
#   SKIP_RUN=1     only print the summary of the last results
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${HAKOBU_TARGET:-target}
jar="$root/bench/$target/benchmarks.jar"
results="$root/bench/$target/jmh-results.csv"

if [[ "${SKIP_BUILD:-0}" != 1 && "${SKIP_RUN:-0}" != 1 ]]; then
  # shellcheck disable=SC2086 # MVN_FLAGS is a list of flags
  (cd "$root" && mvn ${MVN_FLAGS:--B -q} -Dhakobu.target="$target" -pl core,bench -am package -DskipTests)
fi

args=("$@")
if [[ ${#args[@]} -eq 0 ]]; then
  args=(ParseBenchmark)
fi
if [[ "${SKIP_RUN:-0}" != 1 ]]; then
  java -jar "$jar" -prof gc -rf csv -rff "$results" "${args[@]}"
fi

# JMH's CSV: "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit"[,params...]
# Secondary metrics are rows named "<benchmark>:<metric>".
echo
echo "Summary (one op = one line or entry; ratio = ops/s / baselineScanTabs ops/s)"
awk -F, '
  function unq(s) { gsub(/"/, "", s); return s }
  NR == 1 { next }
  {
    split(unq($1), part, ":"); score = unq($5) + 0; err = unq($6)
    sub(/^.*\./, "", part[1])      # drop the package and class
    if (part[2] == "") { order[++n] = part[1]; ops[part[1]] = score; opsErr[part[1]] = err }
    else if (part[2] == "gc.alloc.rate.norm") { alloc[part[1]] = score }
  }
  END {
    base = ops["baselineScanTabs"]
    printf "%-24s %14s %10s %10s %8s\n", "benchmark", "entries/s", "+-", "B/op", "ratio"
    for (i = 1; i <= n; i++) {
      b = order[i]
      e = opsErr[b] ~ /^[0-9.]+$/ ? sprintf("%.0f", opsErr[b]) : "-"
      printf "%-24s %14.0f %10s %10.1f %8s\n", b, ops[b], e, alloc[b], (base > 0 ? sprintf("%.3f", ops[b] / base) : "-")
    }
  }' "$results"
echo "(full results: $results)"
