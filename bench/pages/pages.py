"""Time every page and API list as each demo role, with 1 and with 16 concurrent clients.

    python3 bench/pages/pages.py BASE TOKENS_FILE [REQUESTS]

TOKENS_FILE holds "email token" lines (API bearer tokens, from `amparo token create`). Each
role signs in through the login form for the pages and uses its token for the API. A page or
list the role may not open (403/404) is left out: only what the role uses is timed. Prints
one line per (role, path): p50, p95 and max in milliseconds, single client then 16 clients,
and the worst p95 at the end. Times are measured by the client on the same machine, so they
are the server's time plus a loopback round trip.
"""
import concurrent.futures, http.cookiejar, re, sys, time, urllib.error, urllib.parse, urllib.request

base, tokens_file = sys.argv[1], sys.argv[2]
requests_per = int(sys.argv[3]) if len(sys.argv) > 3 else 20
PASSWORD = "amparo-demo-2026"

PAGES = [
    "/", "/persons", "/cases", "/reports", "/referrals", "/referral-gap", "/notifications", "/tasks",
    "/alerts", "/matches", "/services", "/operations", "/inspections", "/prevention", "/orgs", "/users",
    "/audit", "/search?q=quispe",
]
API = [
    "/api/v1/persons", "/api/v1/cases", "/api/v1/reports", "/api/v1/referrals", "/api/v1/referral-gap",
    "/api/v1/alerts", "/api/v1/matches", "/api/v1/services", "/api/v1/prevention", "/api/v1/organisations",
    "/api/v1/users", "/api/v1/audit", "/api/v1/statutes", "/api/v1/countries", "/api/v1/areas",
    "/api/v1/screening-instruments", "/api/v1/search?q=quispe",
]


class Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def session(email):
    jar = http.cookiejar.CookieJar()
    op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), Stay())
    html = op.open(base + "/login").read().decode()
    csrf = re.search(r'name="_csrf" value="([^"]+)"', html).group(1)
    form = urllib.parse.urlencode({"_csrf": csrf, "email": email, "password": PASSWORD}).encode()
    try:
        op.open(urllib.request.Request(base + "/login", data=form, headers={"Origin": base})).read()
    except urllib.error.HTTPError as e:
        if e.code not in (302, 303):
            raise
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie


def fetch(path, headers):
    req = urllib.request.Request(base + path, headers=headers)
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, (time.perf_counter() - t) * 1000


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def stats(xs):
    return f"{pct(xs, 50):7.0f} {pct(xs, 95):7.0f} {max(xs):7.0f}"


worst = (0, "")
print(f"{'role':28} {'path':34} {'1 client: p50':>13} {'p95':>7} {'max':>7}   {'16 clients: p50':>15} {'p95':>7} {'max':>7}")
for line in open(tokens_file):
    email, token = line.split()
    role = email.split("@")[0]
    cookie = session(email)
    targets = [(p, {"Cookie": cookie}) for p in PAGES] + [(p, {"Authorization": f"Bearer {token}"}) for p in API]
    for path, headers in targets:
        status, _ = fetch(path, headers)
        if status != 200:
            continue
        one = [fetch(path, headers)[1] for _ in range(requests_per)]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            many = list(pool.map(lambda _: fetch(path, headers)[1], range(16 * max(1, requests_per // 4))))
        print(f"{role:28} {path:34} {stats(one):>29}   {stats(many):>31}", flush=True)
        if pct(many, 95) > worst[0]:
            worst = (pct(many, 95), f"{role} {path}")
print(f"worst p95 with 16 clients: {worst[0]:.0f} ms ({worst[1]})")
