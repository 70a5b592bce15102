#!/usr/bin/env bash
# What a hostile client costs the server: the resident memory (RSS) of a release build of
# `peiyu serve` before and after (and its peak, VmHWM) while
#   1. 100, then 1,000 sign-ins with wrong passwords arrive at once, each from its own
#      loopback address (127.0.x.y), so that no per-client throttle helps;
#   2. a manager uploads (dry runs) a 1.6 KB XLSX claiming cells A1:XFD1048576; a zip bomb,
#      an XLSX whose one sheet unpacks to 1 GiB (1 MB on the wire); an XLSX of 14 million
#      shared strings (240 MiB unpacked); and 300,000 rows listed bottom-up.
# Every request goes to loopback only. Usage: benches/abuse.sh
#   PEIYU_BIN=path/to/peiyu benches/abuse.sh   measures that binary
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/demo_server.sh
. benches/demo_server.sh
serve_demo 18082 --enterprises 200 --visits 200

python3 - "$server" "$PEIYU_BIND" "$(password bureau.manager)" <<'PY'
import http.client, io, json, sys, threading, time, zipfile, zlib, collections

pid, bind, manager_password = sys.argv[1], sys.argv[2], sys.argv[3]
host, port = bind.split(":")[0], int(bind.split(":")[1])

def memory():
    status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
    mib = lambda key: int(status[key].split()[0]) / 1024
    return f"RSS {mib('VmRSS'):.0f} MiB, peak {mib('VmHWM'):.0f} MiB"

def request(method, path, body=b"", headers=None, source=None):
    conn = http.client.HTTPConnection(host, port, timeout=120, source_address=(source, 0) if source else None)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    answer = (response.status, response.read())
    conn.close()
    return answer

def flood(n):
    statuses, lock = collections.Counter(), threading.Lock()
    start = threading.Barrier(n)
    def one(i):
        body = json.dumps({"username": f"nobody.{i}", "password": "not the password"}).encode()
        source = f"127.0.{1 + i // 250}.{1 + i % 250}"
        start.wait()
        try:
            status, _ = request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"}, source)
        except Exception as e:
            status = type(e).__name__
        with lock:
            statuses[status] += 1
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    began = time.time()
    for t in threads: t.start()
    for t in threads: t.join()
    return dict(statuses), time.time() - began

print(f"idle after start: {memory()}")
for n in (100, 1000):
    statuses, took = flood(n)
    print(f"{n} sign-ins at once from {n} addresses: {statuses} in {took:.1f} s; {memory()}")

def xlsx(sheet_xml_chunks, shared_chunks=None):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        if shared_chunks:
            with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as shared:
                for chunk in shared_chunks:
                    shared.write(chunk)
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for chunk in sheet_xml_chunks:
                sheet.write(chunk)
    return out.getvalue()

head = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
corners = xlsx([head, b'<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>uscc</t></is></c></row>',
                b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>'])
pad = b" " * (1 << 20)
bomb = xlsx([head, b"<sheetData>", *([pad] * 1024), b"</sheetData></worksheet>"])
strings = xlsx([head, b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'],
               [b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
                *([b"<si><t>ab</t></si>" * 100_000] * 140), b"</sst>"])
def bottom_up(rows):
    yield head + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>uscc</t></is></c></row>'
    for r in range(rows + 1, 1, -1):
        yield f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>x{r}</t></is></c></row>'.encode()
    yield b"</sheetData></worksheet>"
backwards = xlsx(bottom_up(300_000))

status, body = request("POST", "/api/v1/auth/login", json.dumps({"username": "bureau.manager", "password": manager_password}).encode(), {"Content-Type": "application/json"})
token = json.loads(body)["access_token"]
for name, data in (("corners.xlsx", corners), ("bomb.xlsx", bomb), ("strings.xlsx", strings),
                   ("backwards.xlsx", backwards)):
    boundary = "peiyu-bench"
    form = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n\r\n').encode() + data + f"\r\n--{boundary}--\r\n".encode()
    began = time.time()
    status, body = request("POST", "/api/v1/imports?dry_run=true", form, {"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    answer = json.loads(body)
    detail = answer.get("errors", [{}])[0].get("message", "") or f"{answer.get('rows')} rows read"
    print(f"{name} ({len(data)} bytes): {status} '{detail}' in {time.time() - began:.2f} s; {memory()}")
PY
