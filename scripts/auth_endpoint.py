#!/usr/bin/env python3
"""A tiny custom-auth endpoint for scripts/bench-instr (standard library only).

usage: auth_endpoint.py PORT        (listens on 127.0.0.1:PORT, prints `listening` when ready)

POST /auth with {"api_key": ..., "request": {...}} answers 200 with alice's
principal and attributes when api_key is "bench-token", else 401. HTTP/1.1
keep-alive, Content-Length always set, nothing logged per request.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "bench-token"
OK = json.dumps(
    {"principal": "alice", "attributes": {"roles": ["user"], "teams": ["ml"], "scopes": ["models.read"]}},
    separators=(",", ":"),
).encode()
INVALID = json.dumps({"message": "Invalid token"}, separators=(",", ":")).encode()
NOT_FOUND = json.dumps({"message": "Not found"}, separators=(",", ":")).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if self.path != "/auth":
            return self.answer(404, NOT_FOUND)
        try:
            api_key = json.loads(raw).get("api_key")
        except (ValueError, AttributeError):
            api_key = None
        if api_key == TOKEN:
            self.answer(200, OK)
        else:
            self.answer(401, INVALID)

    def do_GET(self):
        self.answer(404, NOT_FOUND)

    def log_message(self, format, *args):
        pass


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: auth_endpoint.py PORT")
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    print("listening", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
