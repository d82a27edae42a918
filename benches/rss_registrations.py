#!/usr/bin/env python3
"""Memory after many registrations (issue 17): starts the release `shop` on a fresh data folder,
registers N shoppers through /register (4 at a time, each in a browser-like session with its
CSRF token), and prints the server's resident memory before, right after, and after idling.

    cargo build --release
    SHOP_BIN=$PWD/target/release/shop python3 benches/rss_registrations.py [N=1000] [IDLE_SECONDS=60]

Standard library only. SQLite in a temporary folder; the shop listens on 127.0.0.1:18993.
"""
import concurrent.futures
import http.cookiejar
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
IDLE = int(sys.argv[2]) if len(sys.argv) > 2 else 60
BASE = "http://127.0.0.1:18993"


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def register(i):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(f"{BASE}/register").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {
        "csrf_token": token,
        "email": f"rss-{i}@example.com",
        "password": "a long enough password",
        "password_again": "a long enough password",
        "full_name": f"Shopper {i}",
        "postal_address": "1 Bench Road\n10115 Benchtown",
        "phone": "+1 555 0100",
    }
    try:
        opener.open(f"{BASE}/register", urllib.parse.urlencode(form).encode())
    except urllib.error.HTTPError as e:
        if e.code != 303:
            raise


def main():
    data = tempfile.mkdtemp(prefix="shop-rss-")
    env = dict(os.environ, SHOP_DATA_DIR=data, SHOP_ADDR="127.0.0.1:18993", SHOP_DEMO="false", SHOP_LOG="warn")
    server = subprocess.Popen([os.environ.get("SHOP_BIN", "target/release/shop")], env=env, stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{BASE}/healthz")
                break
            except Exception:
                time.sleep(0.1)
        for i in range(5):  # warm the pages up
            urllib.request.urlopen(f"{BASE}/register").read()
        before = rss_mb(server.pid)
        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(register, range(N)))
        took = time.time() - started
        after = rss_mb(server.pid)
        time.sleep(IDLE)
        idle = rss_mb(server.pid)
        print(f"{N} registrations in {took:.1f} s; RSS before {before:.0f} MB, right after {after:.0f} MB, "
              f"after {IDLE} s idle {idle:.0f} MB")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
