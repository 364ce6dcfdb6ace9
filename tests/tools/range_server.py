#!/usr/bin/env python3
"""A static file server with HTTP Range support (python's http.server has none), for the
remote-license tests: serves DIR on 127.0.0.1:PORT and appends one JSON line per request
(path, range asked, status, body bytes sent) to STATS, so a test can prove that only ranges
of a module zip were read. --ignore-ranges answers every GET with the whole file (200)."""
import json
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

root, port, stats = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ignore_ranges = "--ignore-ranges" in sys.argv[4:]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def record(self, status, sent, asked):
        with open(stats, "a") as f:
            f.write(json.dumps({"path": self.path, "range": asked, "status": status, "bytes": sent}) + "\n")

    def do_GET(self):
        path = os.path.realpath(os.path.join(root, self.path.lstrip("/").split("?")[0]))
        asked = self.headers.get("Range")
        if not path.startswith(os.path.realpath(root)) or not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.record(404, 0, asked)
            return
        data = open(path, "rb").read()
        total = len(data)
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", asked or "")
        if m and not ignore_ranges and (m.group(1) or m.group(2)):
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)) if m.group(2) else total - 1, total - 1)
            else:
                start, end = max(0, total - int(m.group(2))), total - 1
            if start > end or start >= total:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{total}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.record(416, 0, asked)
                return
            body = data[start : end + 1]
            status = 206
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{total}")
        else:
            body = data
            status = 200
            self.send_response(200)
        # Logged before the body goes out, so a client that has the body sees the log line.
        self.record(status, len(body), asked)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
