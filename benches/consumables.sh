#!/usr/bin/env bash
# Issue 14's figure: what the collection display adds to the consumables page's server CPU.
# One server with the demo data; the demo shopper is a member whose points ledger gets ENTRIES
# (1,000) entries, each an earning with its own lot (the display reads every lot that holds
# points: the worst case), recorded through the collection desk's page. A second shopper with the
# same equipment is not registered: their page is the same but for the registration section in
# place of the display. wrk asks for each one's /consumables in turns (TURNS, alternating which
# goes first); the server is pinned to core 0 with one worker, wrk to core 1, and the server's CPU
# time per request is read from /proc.
#
#   bash benches/consumables.sh                  # SQLite, in /tmp/shop-bench-consumables
#   DATABASE_URL=postgres://postgres@127.0.0.1/shop_bench_c bash benches/consumables.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SHOP_BIN:-}" ]; then cargo build --release -q; fi
BIN=${SHOP_BIN:-$PWD/target/release/shop}
PORT=${PORT:-18281}
DURATION=${DURATION:-10s}
TURNS=${TURNS:-3}
ENTRIES=${ENTRIES:-1000}
DIR=${BENCH_DIR:-/tmp/shop-bench-consumables$( [ -n "${DATABASE_URL:-}" ] && echo -pg || true )}
rm -rf "$DIR" && mkdir -p "$DIR"
export SHOP_DATA_DIR=$DIR SHOP_ADDR=127.0.0.1:$PORT SHOP_LOG=warn SHOP_WORKERS=1
export SHOP_LOGIN_ATTEMPTS_PER_ADDRESS=1000
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
URL=http://127.0.0.1:$PORT

start() { taskset -c 0 "$BIN" >/dev/null 2>&1 & SERVER=$!; until curl -sf -o /dev/null "$URL/healthz"; do sleep 0.1; done; }
stop() { kill -TERM "$SERVER"; wait "$SERVER" || true; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }

start
# The setup through the pages: rules without a monthly cap, ENTRIES desk records for the demo
# shopper, a second shopper with the same equipment; prints the two session cookies.
read -r MEMBER OTHER < <(python3 - "$URL" "$DIR/demo-logins.txt" "$ENTRIES" <<'PY'
import http.cookiejar, re, secrets, sys, urllib.error, urllib.parse, urllib.request
url, logins, entries = sys.argv[1], sys.argv[2], int(sys.argv[3])
cred = {m[1]: (m[2], m[3]) for m in re.finditer(r"^demo (\w+): (\S+) (\S+)$", open(logins).read(), re.M)}

def browser():
    jar = http.cookiejar.CookieJar()
    return jar, urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

def get(b, path):
    return b[1].open(url + path).read().decode()

def post(b, path, fields, page):
    token = re.search(r'name="csrf_token" value="([^"]*)"', page)[1]
    data = urllib.parse.urlencode([("csrf_token", token)] + fields).encode()
    try:
        return b[1].open(url + path, data).read().decode()
    except urllib.error.HTTPError as e:
        sys.exit(f"{path} answered {e.code}: " + " | ".join(re.findall(r'class="error"[^>]*>([^<]*)<', e.read().decode())))

def log_in(role=None, email=None, password=None):
    b = browser()
    email, password = (email, password) if email else cred[role]
    post(b, "/login", [("email", email), ("password", password)], get(b, "/login"))
    return b

admin = log_in("admin")
rules = [("points_reusable", "20"), ("points_other", "5"), ("tiers", "50:150 80:200"), ("monthly_cap", "0"),
         ("allowance", "1000"), ("expiry_months", "12"), ("point_value", "0.01"),
         ("kind", "toner-cartridge"), ("kind", "ink-cartridge")]
post(admin, "/admin/collection/rules", rules, get(admin, "/admin/collection"))
shopper = log_in("shopper")
card = re.search(r'id="card-number">([^<]+)<', get(shopper, "/collection"))[1]
clerk = log_in("clerk")
desk = get(clerk, "/clerk/collection?card=" + card)
for _ in range(entries):
    post(clerk, "/clerk/collection/records",
         [("card", card), ("cartridge", "other"), ("quantity", "1"), ("reusable", "yes"), ("key", secrets.token_hex(16))], desk)
equipment = re.findall(r'<li class="row">([^<]+?)\s*<form', get(shopper, "/account/equipment"))
other = browser()
email = "other-%s@bench.example.com" % secrets.token_hex(4)
post(other, "/register", [("email", email), ("password", "correct horse battery"), ("password_again", "correct horse battery"),
                          ("full_name", "Olive Other"), ("postal_address", "1 Bench Road\nBenchtown"), ("phone", "+1 555 0100")],
     get(other, "/register"))
other = log_in(email=email, password="correct horse battery")
page = get(other, "/account/equipment")
for item in equipment:
    maker, model = item.split(" ", 1)
    page = post(other, "/account/equipment", [("maker", maker), ("model", model)], page)
def cookie(b):
    return "; ".join(f"{c.name}={c.value}" for c in b[0])
print(cookie(shopper).replace(" ", ""), cookie(other).replace(" ", ""))
PY
)
curl -sf -H "Cookie: $MEMBER" "$URL/consumables" > "$DIR/member.html"
curl -sf -H "Cookie: $OTHER" "$URL/consumables" > "$DIR/other.html"
grep -q 'id="points"' "$DIR/member.html" || { echo "the member's page shows no display" >&2; exit 1; }
grep -q 'Register for the collection service' "$DIR/other.html" || { echo "the other page shows no registration" >&2; exit 1; }
echo "member's page $(wc -c < "$DIR/member.html") bytes (points $(grep -o 'id="points">[^<]*' "$DIR/member.html" | sed 's/.*>//')), other page $(wc -c < "$DIR/other.html") bytes"
stop

start
TICK=$(getconf CLK_TCK)
run() { # label cookie; prints one line
  local before after out requests
  curl -sf -o /dev/null -H "Cookie: $2" "$URL/consumables"   # warm
  before=$(cpu_ticks)
  out=$(taskset -c 1 wrk -t1 -c16 -d"$DURATION" --latency -H "Cookie: $2" "$URL/consumables")
  after=$(cpu_ticks)
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  printf '%-22s %9s req/s  p50 %8s  p99 %8s  CPU/request %7.1f us  (%s requests, non-2xx: %s)\n' "$1" \
    "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
    "$(echo "$out" | awk '$1 == "50%" {print $2}')" "$(echo "$out" | awk '$1 == "99%" {print $2}')" \
    "$(echo "$after $before $requests $TICK" | awk '{printf "%.1f", ($1-$2)/$4*1e6/$3}')" \
    "$requests" "$(echo "$out" | awk '/Non-2xx/ {print $NF}')"
}
for turn in $(seq 1 "$TURNS"); do
  if [ $((turn % 2)) -eq 1 ]; then
    run "with display ($ENTRIES)" "$MEMBER"; run "without (registration)" "$OTHER"
  else
    run "without (registration)" "$OTHER"; run "with display ($ENTRIES)" "$MEMBER"
  fi
done
stop
