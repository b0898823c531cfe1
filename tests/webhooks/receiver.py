"""A webhook receiver for the tests: verifies every delivery with the
`standardwebhooks` library from PyPI (the Standard Webhooks reference
implementation, not gba-grants' code) and reports each one as a JSON line
on standard output.

    python3 receiver.py SECRETS_FILE [--fail-first N] [--redirect URL]

SECRETS_FILE holds one `whsec_...` secret per line and is read again for
every request (the test rotates secrets). A delivery is answered 204 when
at least one secret verifies it, else 401; the first N requests are
answered 500 (`--fail-first`), or only after 12 s (`--hang-first`); with
`--redirect` every request is answered 307 to URL. The first line printed is `port N`.
"""

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

parser = argparse.ArgumentParser()
parser.add_argument("secrets")
parser.add_argument("--fail-first", type=int, default=0)
parser.add_argument("--redirect", default="")
parser.add_argument("--delay-ms", type=int, default=0)
parser.add_argument("--hang-first", type=int, default=0)
args = parser.parse_args()

lock = threading.Lock()
seen = {"requests": 0, "inflight": 0}


def report(record):
    with lock:
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *_):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        with lock:
            seen["requests"] += 1
            seen["inflight"] += 1
            n = seen["requests"]
            inflight = seen["inflight"]
        self.released = False
        try:
            self.answer(body, n, inflight)
        finally:
            self.release()

    def release(self):
        # Out of flight before answering: the next request may follow at once.
        if not self.released:
            self.released = True
            with lock:
                seen["inflight"] -= 1

    def answer(self, body, n, inflight):
        if args.delay_ms:
            time.sleep(args.delay_ms / 1000)
        if n <= args.hang_first:
            # Longer than the sender waits (10 s): it gives up first.
            time.sleep(12)
            report({"hung": self.headers.get("webhook-id"), "request": n})
            return
        if args.redirect:
            report({"redirected": self.headers.get("webhook-id")})
            self.release()
            self.send_response(307)
            self.send_header("location", args.redirect)
            self.end_headers()
            return
        if n <= args.fail_first:
            report({"failed": self.headers.get("webhook-id"), "request": n})
            self.release()
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"try again later")
            return
        with open(args.secrets) as f:
            secrets = [line.strip() for line in f if line.strip()]
        verified = []
        event = None
        for i, secret in enumerate(secrets):
            try:
                event = Webhook(secret).verify(body, dict(self.headers))
                verified.append(i)
            except WebhookVerificationError:
                pass
        # Reported before answering: the sender sends the next event only
        # once answered, so lines are in delivery order.
        report(
            {
                "id": self.headers.get("webhook-id"),
                "verified": verified,
                "signatures": len(self.headers.get("webhook-signature", "").split(" ")),
                "application": (event or {}).get("application"),
                "newState": (event or {}).get("newState"),
                "cursor": (event or {}).get("cursor"),
                "inflight": inflight,
            }
        )
        self.release()
        self.send_response(204 if verified else 401)
        self.end_headers()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"port {server.server_address[1]}", flush=True)
server.serve_forever()
