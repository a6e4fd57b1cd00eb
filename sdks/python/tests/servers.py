"""Local HTTP servers for the retry mechanics, and a flaky proxy in front of the platform."""
import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalServer:
    """`handler(n, method, path, headers, body)` → (status, headers, body dict) or None (never answers)."""

    def __init__(self, handler):
        self.seen = []
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                outer.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers.items()), "body": body, "at": time.time()})
                answer = handler(len(outer.seen), self.command, self.path, self.headers, body)
                if answer is None:
                    time.sleep(2)
                    return
                status, headers, payload = answer
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _any

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def flaky_proxy(target, fail):
    """Forwards every request to `target`; for request n with fail(n) answers 502 instead of the real answer."""

    def handler(n, method, path, headers, body):
        fwd = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length", "connection")}
        req = urllib.request.Request(target + path, data=body.encode() if body else None, method=method, headers=fwd)
        try:
            with urllib.request.urlopen(req) as r:
                status, data, hdrs = r.status, r.read(), dict(r.headers.items())
        except urllib.error.HTTPError as e:
            status, data, hdrs = e.code, e.read(), dict(e.headers.items())
        if fail(n):
            return 502, {}, {"error": {"code": "bad_gateway", "message": "lost on the way back", "details": {}, "request_id": "req_flakyproxy01"}}
        keep = {k: v for k, v in hdrs.items() if k.lower() in ("x-request-id", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "idempotent-replayed")}
        return status, keep, data

    return LocalServer(handler)
