#!/usr/bin/env python3
"""Print one JSON line of CPU time and peak memory for a named group of processes.

usage: procstat.py NAME PID...
cpu_s is utime+stime of each live process (from /proc/PID/stat, in clock ticks), summed
(user_s and sys_s separately); ctxsw is the voluntary + nonvoluntary context switches of all
the process's threads (/proc/PID/task/*/status); the caller takes the difference between two
snapshots. hwm_kb is VmHWM (peak resident set)
per process: the sum is the group's peak upper bound, the max its largest process.
"""
import json
import os
import sys

TICKS = os.sysconf("SC_CLK_TCK")


def one(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # comm may contain spaces or parentheses: split after the last ')'
    fields = stat[stat.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    hwm = rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    return {"pid": int(pid), "comm": comm, "cpu_s": (utime + stime) / TICKS,
            "user_s": utime / TICKS, "sys_s": stime / TICKS, "ctxsw": ctxsw(pid),
            "hwm_kb": hwm, "rss_kb": rss}


def ctxsw(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass  # thread ended between listdir and open
    return total


def main():
    name, pids = sys.argv[1], sys.argv[2:]
    procs = []
    for p in pids:
        try:
            procs.append(one(p))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass  # exited between pgrep and now
    # taskset/setsid exec into the real program, so the group holds only the proxy's processes.
    print(json.dumps({
        "name": name,
        "cpu_s": round(sum(p["cpu_s"] for p in procs), 3),
        "user_s": round(sum(p["user_s"] for p in procs), 3),
        "sys_s": round(sum(p["sys_s"] for p in procs), 3),
        "ctxsw": sum(p["ctxsw"] for p in procs),
        "hwm_kb_sum": sum(p["hwm_kb"] for p in procs),
        "hwm_kb_max": max((p["hwm_kb"] for p in procs), default=0),
        "rss_kb_sum": sum(p["rss_kb"] for p in procs),
        "procs": procs,
    }))


if __name__ == "__main__":
    main()
