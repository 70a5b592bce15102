"""Mixed traffic for the soak (.ci/soak): reads, visits, request moves, promotions,
registry batches and console forms through nginx, from several threads, for a given time.

Every write answered 2xx is written down with what identifies it, so that .ci/soak can
look for it in the database afterwards; every answer's status and time are counted.

    python3 .ci/soak.py BASE SECONDS ACCOUNTS_FILE API_KEY ENTERPRISES_FILE OUT_JSON
"""

import http.client
import json
import random
import re
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter

BASE, SECONDS, ACCOUNTS, API_KEY, ENTERPRISES, OUT = sys.argv[1:7]
HOST, PORT = urllib.parse.urlsplit(BASE).hostname, urllib.parse.urlsplit(BASE).port
# Longest a request may take: the pool's timeout (3 s) and 5 s more.
HANG = 8.0
WORKERS = 6

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc(n):
    """A valid 统一社会信用代码 (GB 32100-2015) numbered n."""
    body = "91440300" + "".join(USCC_CHARS[(n // 31**i) % 31] for i in range(9))
    check = (31 - sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS)) % 31) % 31
    return body + USCC_CHARS[check]


accounts = dict(line.split()[:2] for line in open(ACCOUNTS) if line.strip())
enterprises = [line.strip() for line in open(ENTERPRISES) if line.strip()]
lock = threading.Lock()
statuses = Counter()  # (kind, status)
slowest = {"seconds": 0.0, "what": ""}
hung = []
written = {"visits": [], "requests": [], "moves": Counter(), "promotions": [], "registered": [], "console": []}
tokens = {}


def call(kind, method, path, body=None, headers=None, form=None):
    """One request; returns (status, body bytes, headers) or (None, b"", {}) on a broken connection."""
    headers = dict(headers or {})
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        payload = urllib.parse.urlencode(form, doseq=True).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:
        payload = None
    started = time.monotonic()
    conn = http.client.HTTPConnection(HOST, PORT, timeout=HANG + 2)
    try:
        conn.request(method, path, payload, headers)
        response = conn.getresponse()
        data = response.read()
        status = response.status
        # Header names in lower case, repeated ones (Set-Cookie) joined.
        answer_headers = {}
        for name, value in response.getheaders():
            name = name.lower()
            answer_headers[name] = f"{answer_headers[name]}, {value}" if name in answer_headers else value
    except Exception as error:  # a dropped connection or a timeout: counted, never fatal
        status, data, answer_headers = None, repr(error).encode(), {}
    finally:
        conn.close()
    took = time.monotonic() - started
    with lock:
        statuses[(kind, status)] += 1
        if took > slowest["seconds"]:
            slowest.update(seconds=took, what=f"{method} {path} -> {status}")
        if took > HANG:
            hung.append(f"{method} {path} took {took:.1f} s -> {status}")
    return status, data, answer_headers


def token(user):
    status, data, _ = call("login", "POST", "/api/v1/auth/login", {"username": user, "password": accounts[user]})
    if status == 200:
        tokens[user] = json.loads(data)["access_token"]
    return tokens.get(user)


def bearer(user):
    return {"Authorization": f"Bearer {tokens.get(user) or token(user)}"}


def api(kind, user, method, path, body=None, headers=None):
    status, data, answer_headers = call(kind, method, path, body, {**bearer(user), **(headers or {})})
    if status == 401:  # an expired token: sign in again, once
        token(user)
        status, data, answer_headers = call(kind, method, path, body, {**bearer(user), **(headers or {})})
    return status, data


def read(rng):
    path = rng.choice([
        f"/api/v1/enterprises/{rng.choice(enterprises)}",
        "/api/v1/enterprises?limit=20",
        "/api/v1/me/agenda",
        "/api/v1/requests?limit=20",
    ])
    api("read", "counselor.xinan", "GET", path)
    api("report", "bureau.manager", "GET", rng.choice(["/api/v1/pipeline/summary", "/api/v1/pipeline/requests"]))


def visit(rng):
    marker = f"soak-visit-{uuid.uuid4()}"
    body = {"visited_at": "2026-12-01T02:00:00Z", "channel": "phone", "purposes": ["follow_up"], "summary": marker}
    status, data = api("visit", "counselor.xinan", "POST", f"/api/v1/enterprises/{rng.choice(enterprises)}/visits", body)
    if status == 201:
        with lock:
            written["visits"].append(json.loads(data)["id"])


def request_moves(rng):
    body = {"category": "policy", "priority": "normal", "title": "压测诉求", "description": "研发补助政策咨询"}
    status, data = api("request", "counselor.xinan", "POST", f"/api/v1/enterprises/{rng.choice(enterprises)}/requests", body)
    if status != 201:
        return
    request = json.loads(data)["id"]
    with lock:
        written["requests"].append(request)
    for move in ({"action": "acknowledge"}, {"action": "contact", "note": "电话联系企业"},
                 {"action": "resolve", "note": "已答复政策口径"}):
        status, _ = api("move", "counselor.xinan", "POST", f"/api/v1/requests/{request}/transitions", move)
        if status != 200:
            return
        with lock:
            written["moves"][request] += 1


def promotion(rng):
    enterprise = rng.choice(enterprises)
    body = {"to_tier": rng.choice(["tech_sme", "hnte_pool", "hnte"]), "effective_on": "2026-11-20",
            "certificate_no": f"GR{rng.randrange(10**10):010d}"}
    status, data = api("promotion", "bureau.manager", "POST", f"/api/v1/enterprises/{enterprise}/promotions", body)
    if status == 201:
        with lock:
            written["promotions"].append(json.loads(data)["id"])


def registry(rng):
    number = rng.randrange(10**9)
    item = {"uscc": uscc(number), "name": f"压测登记科技{number}", "tier": "tech_sme", "effective_on": "2026-11-20"}
    batch = {"source": "广东省科学技术厅", "batch": f"soak-{uuid.uuid4()}", "items": [item]}
    key = {"Idempotency-Key": f"soak-{uuid.uuid4()}", "Authorization": f"Bearer {API_KEY}"}
    status, data, _ = call("registry", "POST", "/api/v1/registry/certifications", batch, key)
    if status == 200 and json.loads(data).get("created") == 1:
        with lock:
            written["registered"].append(item["uscc"])


def console(rng):
    """The visit form as a counselor's phone sends it: the page, then the form with its
    CSRF and one-time tokens, a session cookie for both."""
    cookie = getattr(console, "cookie", None)
    if cookie is None:
        status, data, headers = call("console", "GET", "/login")
        jar = headers.get("set-cookie", "").split(";")[0]
        csrf = re.search(rb'name="csrf" value="([^"]*)"', data)
        if status != 200 or not csrf:
            return
        status, _, headers = call("console", "POST", "/login", headers={"Cookie": jar},
                                  form={"csrf": csrf.group(1).decode(), "username": "counselor.xinan",
                                        "password": accounts["counselor.xinan"]})
        session = re.search(r"peiyu_session=[^;]+", headers.get("set-cookie", ""))
        if status != 303 or not session:
            return
        console.cookie = cookie = session.group(0)
    enterprise = rng.choice(enterprises)
    status, data, _ = call("console", "GET", f"/enterprises/{enterprise}/visits/new", headers={"Cookie": cookie})
    csrf, once = (re.search(rb'name="%s" value="([^"]*)"' % n, data) for n in (b"csrf", b"once"))
    if status != 200 or not csrf or not once:
        if status in (303, 401):
            console.cookie = None
        return
    marker = f"soak-console-{uuid.uuid4()}"
    form = {"csrf": csrf.group(1).decode(), "once": once.group(1).decode(), "visited_at": "2026-12-01T10:00",
            "channel": "onsite", "purposes": "follow_up", "summary": marker}
    status, _, _ = call("console", "POST", f"/enterprises/{enterprise}/visits", headers={"Cookie": cookie}, form=form)
    if status == 303:
        with lock:
            written["console"].append(marker)


MIX = [(read, 40), (visit, 20), (request_moves, 12), (promotion, 8), (registry, 8), (console, 12)]


def worker(n, until):
    rng = random.Random(n)
    steps, weights = zip(*MIX)
    while time.monotonic() < until:
        rng.choices(steps, weights)[0](rng)


def main():
    until = time.monotonic() + float(SECONDS)
    threads = [threading.Thread(target=worker, args=(n, until)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = {f"{kind} {status}": n for (kind, status), n in sorted(statuses.items(), key=str)}
    report = {"statuses": counts, "slowest": slowest, "hung": hung,
              "written": {**written, "moves": dict(written["moves"])}}
    json.dump(report, open(OUT, "w"), ensure_ascii=False, indent=1)


main()
