"""Sign in as the demo coordinator and time GET /statistics?year=Y (RUNS times, default 3)."""
import re, sys, time, urllib.error, urllib.parse, urllib.request, http.cookiejar

base, year = sys.argv[1], sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
jar = http.cookiejar.CookieJar()


class Stay(urllib.request.HTTPRedirectHandler):
    """Do not follow the redirect after signing in: the home page is not what is timed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), Stay())
html = op.open(base + "/login").read().decode()
csrf = re.search(r'name="_csrf" value="([^"]+)"', html).group(1)
form = urllib.parse.urlencode({"_csrf": csrf, "email": "coordinadora@demo.amparo.pe", "password": "amparo-demo-2026"}).encode()
try:
    op.open(urllib.request.Request(base + "/login", data=form, headers={"Origin": base})).read()
except urllib.error.HTTPError as e:  # the 303 to the home page, not followed
    if e.code not in (302, 303):
        raise
for i in range(runs):
    t = time.time()
    body = op.open(base + f"/statistics?year={year}", timeout=3600).read()
    print(f"  statistics page run {i + 1}: {time.time() - t:8.2f} s  ({len(body) // 1024} KB)")
