#!/usr/bin/env python3
"""A full disk under a running shop (issue 17): mounts a small tmpfs (root only), starts the release
`shop` with its data folder there (SQLite, demo data, SHOP_MIN_FREE_MB=64), then another program
fills the volume to the last byte. Prints how long after the free space fell below the reserve
/healthz said 503 and a change (a registration) was refused, that pages still read, and how long
after the space came back the shop took changes again; no restart.

    cargo build --release
    sudo SHOP_BIN=$PWD/target/release/shop python3 benches/full_disk.py [VOLUME_MB=256]

Standard library only. The shop listens on 127.0.0.1:18994.
"""
import http.cookiejar
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

VOLUME = int(sys.argv[1]) if len(sys.argv) > 1 else 256
BASE = "http://127.0.0.1:18994"
MB = 1024 * 1024


def free_mb(path):
    s = os.statvfs(path)
    return s.f_bavail * s.f_frsize / MB


def status(opener, path, data=None):
    try:
        with opener.open(BASE + path, data=data, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def register(n):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    _, form = status(opener, "/register")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    fields = {
        "csrf_token": token.group(1) if token else "",
        "email": f"full{n}@example.com", "password": "a long enough password",
        "password_again": "a long enough password", "full_name": f"Full {n}",
        "postal_address": "1 Disk Road\nFulltown", "phone": "+1 555 0100",
    }
    return status(opener, "/register", urllib.parse.urlencode(fields).encode())[0]


def wait_for(predicate, limit=30.0):
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > limit:
            return None
        time.sleep(0.005)
    return time.monotonic() - started


def main():
    mount = tempfile.mkdtemp(prefix="shop-full-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={VOLUME}m", "tmpfs", mount], check=True)
    env = dict(os.environ, SHOP_DATA_DIR=f"{mount}/data", SHOP_ADDR="127.0.0.1:18994", SHOP_MIN_FREE_MB="64",
               SHOP_LOG="warn")
    shop = subprocess.Popen([os.environ["SHOP_BIN"]], env=env, stdout=subprocess.DEVNULL)
    plain = urllib.request.build_opener()
    ballast = open(os.devnull, "wb")
    try:
        wait_for(lambda: _up() and status(plain, "/healthz")[0] == 200, 120)
        print(f"volume {VOLUME} MB, after start {free_mb(mount):.0f} MB free; registration -> {register(0)}")
        ballast = open(f"{mount}/ballast", "wb")  # noqa: SIM115 (closed in finally)
        chunk = b"\1" * MB
        crossed = None
        try:
            while True:
                ballast.write(chunk)
                ballast.flush()
                if crossed is None and free_mb(mount) < 64:
                    crossed = time.monotonic()
        except OSError as e:
            print(f"the volume is full ({e.strerror}); {free_mb(mount):.1f} MB free")
        said = wait_for(lambda: status(plain, "/healthz")[0] == 503, 10)
        since_cross = time.monotonic() - crossed
        if said is None:
            print(f"/healthz never said 503 (10 s): {status(plain, '/healthz')}")
        else:
            print(f"/healthz 503 {since_cross:.2f} s after the free space fell below the reserve "
                  f"(filling the rest took part of that); body: {status(plain, '/healthz')[1].strip()!r}")
        refused = register(1)
        reads = [status(plain, p)[0] for p in ("/", "/catalog", "/login")]
        print(f"a registration on the full volume -> {refused}; reads / /catalog /login -> {reads}")
        ballast.close()
        os.remove(f"{mount}/ballast")
        freed = time.monotonic()
        wait_for(lambda: status(plain, "/healthz")[0] == 200, 10)
        print(f"/healthz {status(plain, '/healthz')[0]} {time.monotonic() - freed:.2f} s after the space came back; "
              f"registration -> {register(2)}; WAL {_wal(mount)}")
    finally:
        if not ballast.closed:
            ballast.close()
        shop.terminate()
        shop.wait()
        print(f"stopped: exit {shop.returncode}; WAL left {_wal(mount)}")
        subprocess.run(["umount", mount], check=False)
        os.rmdir(mount)


def _up():
    try:
        urllib.request.urlopen(BASE + "/healthz", timeout=1)
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _wal(mount):
    path = f"{mount}/data/shop.sqlite3-wal"
    return f"{os.path.getsize(path)} bytes" if os.path.exists(path) else "none"


if __name__ == "__main__":
    main()
