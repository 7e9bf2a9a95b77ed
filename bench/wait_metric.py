#!/usr/bin/env python3
"""Waits until a hakobu process's counter reaches N (by default: it delivered N entries), polling
its /metrics, and says when.

The bench scripts used to poll with curl, awk and date ten times a second: about a dozen short
processes a second, which took 8-9% of this 2-core machine's CPU samples (perf) away from the
processes being measured. This is one process with one kept-alive HTTP connection per port.

Usage: wait_metric.py --port P --lines N [--metric NAME] [--match TEXT] [--warm W] [--mark M]
                      [--pids PID,...] [--deadline S] [--stall S] [--interval S]
                      [--disk-ports P,...]

  --port        the api port whose metric is counted
  --metric      the counter, summed over its samples (default hakobu_events_delivered_total: over
                the sinks)
  --match       count only the samples whose line contains TEXT (e.g. 'component_id="archive"')
  --lines       stop when it reaches this
  --warm        also note the time it first reaches this (the start of the "steady" part)
  --mark        also note the time it first reaches this, and the CPU time so far (utime+stime,
                clock ticks) of each of --pids (e.g. half the lines: the "warm" part after it,
                when the JIT has mostly done its work)
  --pids        fail as soon as one of these processes has exited
  --deadline    fail after this many seconds (default 600)
  --stall       fail when the count has not moved for this many seconds (default: off)
  --interval    seconds between polls (default 0.1: each poll costs the polled JVM about 2 ms of
                CPU to render its metrics, 0.3 s over a 2M-line forward run at 0.05)
  --disk-ports  about once a second, hakobu_buffer_disk_bytes summed per port; report the peaks

Prints shell assignments on stdout: t_warm=<ns> n_warm=<n> t_end=<ns> n=<n>, with --mark
t_mark=<ns> n_mark=<n> and per pid cpu_<pid>=<ticks at the mark>, and per disk port
disk_<port>=<peak bytes>. Times are wall-clock nanoseconds since the epoch (as `date +%s%N`).
On failure the same, plus fail='<why>', and the exit status is 1.
"""
import argparse
import http.client
import os
import sys
import time


class Metrics:
    """GET /metrics on 127.0.0.1:port over one kept-alive connection (reconnects on error)."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def sums(self, *prefixes, match=b""):
        """Sums of the samples whose line starts with each prefix (name followed by '{' or ' ') and
        contain match."""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            self.conn.request("GET", "/metrics")
            resp = self.conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                return None
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None
        totals = [0] * len(prefixes)
        found = False
        for line in body.split(b"\n"):
            for i, p in enumerate(prefixes):
                if line.startswith(p) and len(line) > len(p) and line[len(p)] in b"{ " and match in line:
                    totals[i] += float(line.rsplit(b" ", 1)[1])
                    found = True
        return totals if found else None


def running(pid):
    """The process exists and has not exited (an exited child stays a zombie until waited for)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3] != b"Z"


def cpu_ticks(pid):
    """utime+stime of a process in clock ticks (fields 14 and 15 of /proc/<pid>/stat), 0 if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return 0
    fields = stat[stat.rindex(b")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--lines", type=int, required=True)
    ap.add_argument("--metric", default="hakobu_events_delivered_total")
    ap.add_argument("--match", default="")
    ap.add_argument("--warm", type=int, default=0)
    ap.add_argument("--mark", type=int, default=0)
    ap.add_argument("--pids", default="")
    ap.add_argument("--deadline", type=float, default=600)
    ap.add_argument("--stall", type=float, default=0)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--disk-ports", default="")
    a = ap.parse_args()
    pids = [int(p) for p in a.pids.split(",") if p]
    disk = {int(p): Metrics(int(p)) for p in a.disk_ports.split(",") if p}
    peaks = {p: 0 for p in disk}
    counted = Metrics(a.port)
    start = time.monotonic()
    last_n, last_move, next_disk = -1, start, start
    t_warm, n_warm, n = None, 0, 0
    t_mark, n_mark, cpu_mark = None, 0, {}
    fail = None
    while True:
        got = counted.sums(a.metric.encode(), match=a.match.encode())
        now_ns = time.time_ns()
        n = int(got[0]) if got else n
        if t_warm is None and n >= a.warm:
            t_warm, n_warm = now_ns, n
        if a.mark and t_mark is None and n >= a.mark:
            t_mark, n_mark = now_ns, n
            cpu_mark = {p: cpu_ticks(p) for p in pids}
        if n >= a.lines:
            t_end = now_ns
            break
        mono = time.monotonic()
        if n != last_n:
            last_n, last_move = n, mono
        if mono >= next_disk:
            next_disk = mono + 1
            for p, m in disk.items():
                d = m.sums(b"hakobu_buffer_disk_bytes")
                if d:
                    peaks[p] = max(peaks[p], int(d[0]))
        gone = [p for p in pids if not running(p)]
        if gone:
            fail = f"process {gone[0]} exited early, at {n} of {a.lines}"
        elif mono - start > a.deadline:
            fail = f"timed out at {n} of {a.lines}"
        elif a.stall and mono - last_move > a.stall:
            fail = f"stalled: {a.metric} did not move for {a.stall:g} s, at {n} of {a.lines}"
        if fail:
            t_end = now_ns
            break
        time.sleep(a.interval)
    out = [f"t_warm={t_warm or 0}", f"n_warm={n_warm}", f"t_end={t_end}", f"n={n}"]
    if t_mark is not None:
        out += [f"t_mark={t_mark}", f"n_mark={n_mark}"] + [f"cpu_{p}={v}" for p, v in cpu_mark.items()]
    out += [f"disk_{p}={v}" for p, v in peaks.items()]
    if fail:
        out.append("fail='" + fail.replace("'", "") + "'")
    print(" ".join(out))
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
