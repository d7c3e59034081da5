#!/usr/bin/env python3
"""Assemble bench/run's raw outputs into bench/results/latest.json and a Markdown section
appended to bench/RESULTS.md.

Raw inputs (per path directory under --results): wrk.txt, rate<R>.json (open-loop generator),
h2load.txt, stat-*-before/after (procstat.py lines per proxy), stat-end, or a 'failed' file.
"""
import argparse
import json
import os
import platform
import re
import subprocess
from datetime import datetime, timezone

PCTS = ["p50", "p90", "p99", "p999", "max"]
PROXIED = ["trellis-2hop", "trellis-2hop-mtls", "haproxy-2hop", "nginx-2hop", "pekko-tcp-2hop", "nio-tcp-2hop"]


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(text):
    if not text:
        return None
    out = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not m:
        return {"error": text.strip().splitlines()[-1] if text.strip() else "no output"}
    out["rps"] = round(float(m.group(1)), 1)
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", text)
    if m:
        out["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    out["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    n = out.get("requests", 0)
    if n and out["non2xx"] + out["socket_errors"] > 0.01 * n:
        out["rps_including_errors"] = out.pop("rps")
        out["error"] = f"{out['non2xx']} non-2xx and {out['socket_errors']} socket errors in {n}"
    lat = {}
    for p, key in (("50", "p50"), ("75", "p75"), ("90", "p90"), ("99", "p99")):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s|m)\s*$" % p, text, re.M)
        if m:
            lat[key] = round(to_ms(*m.groups()), 3)
    m = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)", text)
    if m:
        lat["max"] = round(to_ms(*m.groups()), 3)
    if lat:
        out["latency_ms"] = lat
    return out


def parse_h2load(text):
    if not text:
        return None
    m = re.search(r"finished in ([\d.]+)s, ([\d.]+) req/s", text)
    if not m:
        lines = [l for l in text.strip().splitlines() if l.strip()]
        return {"error": lines[-1] if lines else "no output"}
    out = {"rps": round(float(m.group(2)), 1)}
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", text)
    if m:
        out["requests"] = int(m.group(3))
        out["succeeded"] = int(m.group(4))
        out["failed"] = int(m.group(5)) + int(m.group(6)) + int(m.group(7))
    m = re.search(r"status codes: (\d+) 2xx", text)
    if m:
        out["status_2xx"] = int(m.group(1))
    n = out.get("requests", 0)
    if not n:
        out["rps_including_errors"] = out.pop("rps")
        out["error"] = "no request completed"
    elif out.get("status_2xx", 0) < 0.99 * n:
        # A rate of error responses is no throughput figure: keep it aside.
        out["rps_including_errors"] = out.pop("rps")
        out["error"] = f"{n - out.get('status_2xx', 0)} of {n} responses not 2xx"
    return out


def read_stats(path):
    text = read(path)
    if not text:
        return {}
    return {d["name"]: d for d in (json.loads(l) for l in text.splitlines() if l.strip())}


def cpu_per_10k(d, phase, requests):
    before, after = read_stats(f"{d}/stat-{phase}-before"), read_stats(f"{d}/stat-{phase}-after")
    out = {}
    for name, a in after.items():
        b = before.get(name)
        if b and requests:
            out[name] = round((a["cpu_s"] - b["cpu_s"]) / requests * 10000, 4)
    return out


def path_result(d, rates):
    failed = read(f"{d}/failed")
    if failed is not None:
        return {"status": "failed", "reason": failed.strip()}
    r = {"status": "ok"}
    r["http1_max"] = parse_wrk(read(f"{d}/wrk.txt"))
    r["open_loop"] = {}
    for rate in rates:
        text = read(f"{d}/rate{rate}.json")
        try:
            r["open_loop"][str(rate)] = json.loads(text.strip().splitlines()[-1])
        except (AttributeError, IndexError, ValueError):
            err = read(f"{d}/rate{rate}.err") or ""
            r["open_loop"][str(rate)] = {"error": (text or err).strip()[-300:] or "no output"}
    h2 = parse_h2load(read(f"{d}/h2load.txt"))
    h2end = read_stats(f"{d}/stat-h2-after")
    if isinstance(h2, dict) and h2end:
        # The HTTP/2 phase may run on its own proxies (trellis): their peak memory too.
        h2["proxies_peak_rss_mb"] = {n: round(v["hwm_kb_max"] / 1024, 1) for n, v in h2end.items()}
    r["http2_max"] = h2 if h2 is not None else {"status": "not supported on this path"}
    end = read_stats(f"{d}/stat-end")
    if end:
        cpu = {"wrk": cpu_per_10k(d, "wrk", (r["http1_max"] or {}).get("requests"))}
        for rate in rates:
            # The CPU window spans the generator's whole life (priming burst, warm-up, measured
            # part), so divide by every response it received, not only the measured ones.
            ol = r["open_loop"][str(rate)]
            cpu[f"rate{rate}"] = cpu_per_10k(d, f"rate{rate}",
                                              ol.get("responses_all", ol.get("completed")))
        if isinstance(h2, dict) and h2.get("requests"):
            cpu["h2load"] = cpu_per_10k(d, "h2", h2["requests"])
        r["proxies"] = {}
        for name, s in end.items():
            r["proxies"][name] = {
                # the largest single process (the JVM / the nginx worker / haproxy)
                "peak_rss_mb": round(s["hwm_kb_max"] / 1024, 1),
                # every process of the proxy added up (nginx master + worker, any wrapper)
                "peak_rss_group_mb": round(s["hwm_kb_sum"] / 1024, 1),
                "cpu_s_per_10k_requests": {ph: v.get(name) for ph, v in cpu.items()},
            }
    return r


def lat(res, rate, pct):
    try:
        return res["open_loop"][str(rate)]["latency_ms"][pct]
    except (KeyError, TypeError):
        return None


def ratio(a, b, digits=3):
    if a is None or b is None or b == 0:
        return None
    return round(a / b, digits)


def added_ratio(a, b, digits=3):
    # An added latency at or below zero (noise made the proxied path faster than direct) gives a
    # meaningless ratio: report none rather than a negative or huge number.
    if a is None or b is None or b <= 0:
        return None
    return round(a / b, digits)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20)
    except Exception:  # noqa: BLE001 - reporting must not fail on a missing tool
        return None


def machine():
    model = ""
    for line in (read("/proc/cpuinfo") or "").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = ""
    for line in (read("/proc/meminfo") or "").splitlines():
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) // 1024 // 1024} GiB"
    load = (read("/proc/loadavg") or "").split()[:3]
    return {"nproc": os.cpu_count(), "cpu_model": model, "memory": mem,
            "kernel": platform.release(), "loadavg_at_end": " ".join(load)}


def versions():
    def first(cmd):
        r = sh(cmd)
        if not r:
            return None
        lines = (r.stdout + r.stderr).strip().splitlines()
        return lines[0] if lines else None
    return {"jdk": first("java -version"), "wrk": first("wrk -v"),
            "h2load": first("h2load --version"), "haproxy": first("haproxy -v"),
            "nginx": first("nginx -v")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--mode", required=True)
    ap.add_argument("--started", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("--json-out", required=True)
    ap.add_argument("--md-out", required=True)
    ap.add_argument("--cpus", default="")
    ap.add_argument("--params", default="")
    ap.add_argument("--rates", default="200 2000")
    a = ap.parse_args()
    rates = [int(x) for x in a.rates.split()]

    paths = {}
    order = [p for p in ["direct"] + PROXIED if os.path.isdir(f"{a.results}/{p}")]
    order += sorted(p for p in os.listdir(a.results)
                    if os.path.isdir(f"{a.results}/{p}") and p not in order
                    and p != "generator-check")
    for p in order:
        paths[p] = path_result(f"{a.results}/{p}", rates)

    # Added latency: each proxied path minus the direct path, percentile by percentile.
    direct = paths.get("direct", {})
    for p, res in paths.items():
        if p == "direct" or res.get("status") != "ok" or direct.get("status") != "ok":
            continue
        res["added_latency_ms"] = {}
        for rate in rates:
            res["added_latency_ms"][str(rate)] = {
                pct: (round(lat(res, rate, pct) - lat(direct, rate, pct), 3)
                      if lat(res, rate, pct) is not None and lat(direct, rate, pct) is not None
                      else None) for pct in PCTS}

    def rps(p, kind="http1_max"):
        r = paths.get(p, {})
        return (r.get(kind) or {}).get("rps") if r.get("status") == "ok" else None

    def added(p, rate, pct):
        try:
            return paths[p]["added_latency_ms"][str(rate)][pct]
        except KeyError:
            return None

    def peak(p):
        prox = (paths.get(p) or {}).get("proxies") or {}
        vals = [v["peak_rss_mb"] for v in prox.values()]
        return max(vals) if vals else None

    gen_check = {}
    gdir = f"{a.results}/generator-check"
    if os.path.isdir(gdir):
        w = parse_wrk(read(f"{gdir}/wrk.txt"))
        g = None
        try:
            g = json.loads((read(f"{gdir}/gen.json") or "").strip().splitlines()[-1])
        except (IndexError, ValueError):
            pass
        gen_check = {"path": "direct", "wrk_paced": w, "open_loop": g,
                     "note": "wrk with a fixed per-connection think time vs the open-loop "
                             "generator at the rate wrk achieved, same connection count"}
        ws = parse_wrk(read(f"{gdir}/wrk-stall.txt"))
        try:
            gs = json.loads((read(f"{gdir}/gen-stall.json") or "").strip().splitlines()[-1])
        except (IndexError, ValueError):
            gs = None
        if ws or gs:
            gen_check["stall_300ms"] = {"wrk_paced": ws, "open_loop": gs}
        if w and g and "latency_ms" in (w or {}) and "latency_ms" in g:
            gen_check["p50_diff_ms"] = round(g["latency_ms"]["p50"] - w["latency_ms"].get("p50", 0), 3)
            gen_check["p90_diff_ms"] = round(g["latency_ms"]["p90"] - w["latency_ms"].get("p90", 0), 3)
            gen_check["p99_diff_ms"] = round(g["latency_ms"]["p99"] - w["latency_ms"].get("p99", 0), 3)

    commit = (sh(f"git -C {a.root} rev-parse --short HEAD") or None)
    commit = commit.stdout.strip() if commit else ""
    # The run's own outputs do not make the measured code dirty.
    dirty = sh(f"git -C {a.root} status --porcelain --untracked-files=no -- . "
               "':!bench/RESULTS.md' ':!bench/results'")
    if dirty and dirty.stdout.strip():
        commit += "-dirty"

    t_peak = peak("trellis-2hop")
    out = {
        "mode": a.mode,
        "label": a.label,
        "started": a.started,
        "finished": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit,
        "machine": machine(),
        "versions": versions(),
        "cpu_placement": a.cpus,
        "parameters": a.params,
        "throughput_ratio_trellis_haproxy": ratio(rps("trellis-2hop"), rps("haproxy-2hop")),
        "throughput_ratio_trellis_nginx": ratio(rps("trellis-2hop"), rps("nginx-2hop")),
        "h2_throughput_ratio_trellis_haproxy": ratio(rps("trellis-2hop", "http2_max"),
                                                     rps("haproxy-2hop", "http2_max")),
        "h2_throughput_ratio_trellis_nginx": ratio(rps("trellis-2hop", "http2_max"),
                                                   rps("nginx-2hop", "http2_max")),
        "added_p99_ratio_trellis_haproxy_2000rps": added_ratio(added("trellis-2hop", 2000, "p99"),
                                                         added("haproxy-2hop", 2000, "p99")),
        "added_p99_ratio_trellis_nginx_2000rps": added_ratio(added("trellis-2hop", 2000, "p99"),
                                                       added("nginx-2hop", 2000, "p99")),
        "added_p99_ms_2000rps": {p: added(p, 2000, "p99") for p in PROXIED if p in paths},
        "proxy_peak_rss_mb": t_peak,
        "memory_ratio_trellis_haproxy": ratio(t_peak, peak("haproxy-2hop")),
        "memory_ratio_trellis_nginx": ratio(t_peak, peak("nginx-2hop")),
        "generator_check": gen_check,
        "paths": paths,
    }
    tr, ar, pk = (out["throughput_ratio_trellis_haproxy"],
                  out["added_p99_ratio_trellis_haproxy_2000rps"], t_peak)
    out["milestone"] = {
        "throughput_ge_half_haproxy": None if tr is None else tr >= 0.5,
        "added_p99_2000rps_le_2x_haproxy": None if ar is None else ar <= 2.0,
        "peak_rss_le_160mb": None if pk is None else pk <= 160,
    }
    os.makedirs(os.path.dirname(a.json_out), exist_ok=True)
    with open(a.json_out, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    md = markdown(out, rates)
    with open(a.md_out, "a") as f:
        f.write(md)
    print(md)


def fmt(v, digits=2):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def markdown(o, rates):
    m = o["machine"]
    v = o["versions"]
    L = []
    title = f"## {o['finished']} — {o['mode']} run, commit {o['commit']}"
    if o["label"]:
        title += f" — {o['label']}"
    L += [title, ""]
    L.append(f"- machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['memory']}, kernel "
             f"{m['kernel']}, load average at end {m['loadavg_at_end']}")
    L.append(f"- JDK: {v['jdk']}; {v['haproxy']}; {v['nginx']}; {v['wrk']}; {v['h2load']}")
    L.append(f"- CPU placement: {o['cpu_placement']}; {o['parameters']}")
    L.append("- ratios: throughput trellis/haproxy {} trellis/nginx {}; h2 trellis/haproxy {} "
             "trellis/nginx {}; added p99 at 2000 rps trellis/haproxy {} trellis/nginx {}; "
             "peak RSS trellis {} MB (trellis/haproxy {}, trellis/nginx {})".format(
                 *(fmt(o[k]) for k in (
                     "throughput_ratio_trellis_haproxy", "throughput_ratio_trellis_nginx",
                     "h2_throughput_ratio_trellis_haproxy", "h2_throughput_ratio_trellis_nginx",
                     "added_p99_ratio_trellis_haproxy_2000rps",
                     "added_p99_ratio_trellis_nginx_2000rps", "proxy_peak_rss_mb",
                     "memory_ratio_trellis_haproxy", "memory_ratio_trellis_nginx"))))
    L.append(f"- milestone checks: {json.dumps(o['milestone'])}")
    g = o.get("generator_check") or {}
    if g.get("open_loop") and (g.get("wrk_paced") or {}).get("latency_ms"):
        wl, gl = g["wrk_paced"]["latency_ms"], g["open_loop"]["latency_ms"]
        L.append("- generator check (direct, same rate and connections): wrk paced {} rps "
                 "p50/p90/p99 {}/{}/{} ms; open-loop {} rps p50/p90/p99 {}/{}/{} ms".format(
                     fmt(g["wrk_paced"]["rps"], 0), fmt(wl.get("p50"), 3), fmt(wl.get("p90"), 3),
                     fmt(wl.get("p99"), 3), fmt(g["open_loop"].get("achieved_rps"), 0),
                     fmt(gl["p50"], 3), fmt(gl["p90"], 3), fmt(gl["p99"], 3)))
    st = g.get("stall_300ms") or {}
    if (st.get("wrk_paced") or {}).get("latency_ms") and (st.get("open_loop") or {}).get("latency_ms"):
        wl, gl = st["wrk_paced"]["latency_ms"], st["open_loop"]["latency_ms"]
        L.append("- stall check (backend frozen 300 ms mid-run): p99 wrk paced {} ms, open-loop {} ms "
                 "(open-loop from actual send, i.e. uncorrected: {} ms)".format(
                     fmt(wl.get("p99"), 1), fmt(gl["p99"], 1),
                     fmt(st["open_loop"]["service_time_ms"]["p99"], 1)))
    L.append("")
    L.append("| path | status | h1 max req/s | h2 max req/s | proxy | peak RSS MB "
             "| CPU s/10k (max, 200, 2000 rps) |")
    L.append("|---|---|---|---|---|---|---|")
    for p, r in o["paths"].items():
        if r["status"] != "ok":
            L.append(f"| {p} | FAILED: {r['reason'][:200]} | | | | | |")
            continue
        h1 = (r.get("http1_max") or {})
        h2 = (r.get("http2_max") or {})
        h1s = fmt(h1.get("rps"), 0) if "rps" in h1 else h1.get("error", "-")
        if "rps" in h1 and (h1.get("non2xx") or h1.get("socket_errors")):
            h1s += f" ({h1.get('non2xx', 0)} non-2xx, {h1.get('socket_errors', 0)} socket errors)"
        h2s = fmt(h2.get("rps"), 0) if "rps" in h2 else (h2.get("error") or h2.get("status", "-"))
        if h2.get("failed"):
            h2s += f" ({h2['failed']} failed)"
        prox = r.get("proxies") or {}
        if not prox:
            L.append(f"| {p} | ok | {h1s} | {h2s} | - | - | - |")
        for name, s in prox.items():
            c = s["cpu_s_per_10k_requests"]
            cpu = ", ".join(fmt(c.get(k), 3) for k in ["wrk"] + [f"rate{x}" for x in rates])
            L.append(f"| {p} | ok | {h1s} | {h2s} | {name} | {fmt(s['peak_rss_mb'], 1)} | {cpu} |")
    L.append("")
    L.append("| path | rate | achieved | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms "
             "| added p50 / p99 / p99.9 ms | errors |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for p, r in o["paths"].items():
        if r["status"] != "ok":
            continue
        for rate in rates:
            ol = r["open_loop"].get(str(rate), {})
            if "latency_ms" not in ol:
                L.append(f"| {p} | {rate} | {ol.get('error', '-')[:120]} | | | | | | | |")
                continue
            lm = ol["latency_ms"]
            ad = (r.get("added_latency_ms") or {}).get(str(rate), {})
            errs = ol.get("non2xx", 0) + ol.get("io_errors", 0) + ol.get("unfinished", 0)
            L.append(f"| {p} | {rate} | {fmt(ol.get('achieved_rps'), 0)} | {fmt(lm['p50'], 3)} | "
                     f"{fmt(lm['p90'], 3)} | {fmt(lm['p99'], 3)} | {fmt(lm['p999'], 3)} | "
                     f"{fmt(lm['max'], 3)} | {fmt(ad.get('p50'), 3)} / {fmt(ad.get('p99'), 3)} / "
                     f"{fmt(ad.get('p999'), 3)} | {errs} |")
    L += ["", ""]
    return "\n".join(L)


if __name__ == "__main__":
    main()
