#!/usr/bin/env python3
"""Issue 12: the resident memory of a running `soilwatch serve` while clients hammer the main
list queries (docs/PERFORMANCE.md, "Server memory under load").

    python3 docs/scaling/serve_rss.py --pid PID --base http://127.0.0.1:8088 --token TOKEN \
        --clients 50 --seconds 60

Loopback only, bounded in time. Each client is a thread with one keep-alive connection that
reads the URLs below in turn (first pages, then the next page by the cursor header); the server's
VmRSS and VmHWM (peak) are read from /proc/PID/status every 0.5 s. Prints one line per second and
a summary: requests, statuses, latency p50/p99 of the whole run, RSS before, peak and after.
"""

import argparse
import http.client
import statistics
import threading
import time
import urllib.parse

URLS = [
    "/api/v1/points?limit=50",
    "/api/v1/samples?limit=50",
    "/api/v1/results?limit=50",
    "/api/v1/samples?division=513401&limit=50",
    "/api/v1/results?analyte=Cd&limit=50",
    "/api/v1/results?division=513422&sort=-date&limit=50",
    "/api/v1/points?division=513433&limit=200",
    "/points?limit=50",
    "/samples?limit=50",
    "/results?limit=50",
    "/",
    "/network/coverage",
    "/ogc/collections/samples/items?limit=100",
]


def rss(pid):
    out = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) // 1024  # MiB
    return out


def client(base, token, stop, lock, latencies, statuses, index):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}"}
    i = index
    next_url = None
    while not stop.is_set():
        url = next_url or URLS[i % len(URLS)]
        i += 1
        t0 = time.perf_counter()
        try:
            conn.request("GET", url, headers=headers)
            res = conn.getresponse()
            res.read()
            status = res.status
            cursor = res.getheader("X-Next-Cursor")
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
            status, cursor = 0, None
        dt = time.perf_counter() - t0
        # Every other request of a list follows its cursor once: a second page.
        next_url = None
        if cursor and next_url is None and i % 2 == 0 and url.startswith("/api/"):
            sep = "&" if "?" in url else "?"
            next_url = f"{url.split('&cursor=')[0]}{sep}cursor={urllib.parse.quote(cursor)}"
        with lock:
            latencies.append(dt)
            statuses[status] = statuses.get(status, 0) + 1
    conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--base", default="http://127.0.0.1:8088")
    ap.add_argument("--token", required=True)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    a = ap.parse_args()
    if urllib.parse.urlsplit(a.base).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loopback only")
    before = rss(a.pid)
    stop = threading.Event()
    lock = threading.Lock()
    latencies, statuses = [], {}
    threads = [
        threading.Thread(
            target=client, args=(a.base, a.token, stop, lock, latencies, statuses, n), daemon=True
        )
        for n in range(a.clients)
    ]
    for t in threads:
        t.start()
    start = time.time()
    peak = 0
    last_print = 0.0
    while time.time() - start < a.seconds:
        time.sleep(0.5)
        r = rss(a.pid)
        peak = max(peak, r["VmRSS"])
        if time.time() - last_print >= 1:
            last_print = time.time()
            with lock:
                n = len(latencies)
            print(f"t={time.time() - start:5.1f}s rss={r['VmRSS']} MiB hwm={r['VmHWM']} MiB requests={n}", flush=True)
    stop.set()
    for t in threads:
        t.join(timeout=70)
    after = rss(a.pid)
    lat = sorted(latencies)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")
    print(
        f"clients={a.clients} seconds={a.seconds:.0f} requests={len(lat)} "
        f"rate={len(lat) / a.seconds:.1f}/s statuses={dict(sorted(statuses.items()))} "
        f"p50={p(0.50):.1f} ms p99={p(0.99):.1f} ms mean={statistics.mean(lat) * 1000 if lat else 0:.1f} ms"
    )
    print(
        f"rss_before={before['VmRSS']} MiB rss_peak_sampled={peak} MiB "
        f"hwm={after['VmHWM']} MiB rss_after={after['VmRSS']} MiB"
    )


if __name__ == "__main__":
    main()
