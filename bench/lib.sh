# Shared by the bench scripts (source it after setting $root).

# wait_reason OUTPUT: why wait_metric.py failed, from its output (the fail='...' it prints)
wait_reason() { sed -n "s/.*fail='\(.*\)'.*/\1/p" <<<"$1"; }

# wait_end LOG WAIT_METRIC_ARGS...
# Waits with bench/wait_metric.py (one poller process over a kept-alive connection, not a curl
# several times a second competing for the CPU it measures) and prints the time the count was
# reached (t_end, ns). When waiting fails (a process exited, the deadline passed, delivery
# stalled) it prints the reason and the last lines of LOG to stderr and returns 1; callers write
# `t1=$(wait_end ...) || exit 1`, since a failure inside $(...) cannot exit the script itself.
wait_end() {
  local log=$1 out
  shift
  if ! out=$(python3 "$root/bench/wait_metric.py" "$@"); then
    echo "hakobu: $(wait_reason "$out"); the end of $log:" >&2
    tail -n 20 "$log" >&2
    return 1
  fi
  sed -n 's/.*t_end=\([0-9]*\).*/\1/p' <<<"$out"
}
