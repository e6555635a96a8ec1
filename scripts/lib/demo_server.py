"""The widget's local demo server: serves web/ (and the widget module from the
PHP package, its one copy) and forwards GET /summary to the summary function
under `cargo lambda watch`, on 127.0.0.1 only.

    python3 scripts/lib/demo_server.py --port 8080 --summary-url http://127.0.0.1:9000/lambda-url/summary

It plays the part a host dashboard's backend plays when deployed (a same-origin
route that calls the IAM-authorised API with SigV4); locally there is nothing to
sign. Status, content type and body are passed through unchanged.
"""

import argparse
import http.server
import json
import pathlib
import threading
import urllib.error
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
WIDGET = ROOT / "clients" / "php" / "resources" / "js" / "adoption-summary.js"
# The page's Content-Security-Policy: the strictest a host app may set. The
# widget must render styled under it (constructed stylesheets need no inline style).
CSP = "default-src 'self'"


def handler_for(summary_url):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(WEB), **kwargs)

        def end_headers(self):
            self.send_header("content-security-policy", CSP)
            super().end_headers()

        def do_GET(self):  # noqa: N802 - the stdlib's name
            parsed = urllib.parse.urlsplit(self.path)
            if parsed.path == "/adoption-summary.js":
                body = WIDGET.read_bytes()
                self.send_response(200)
                self.send_header("content-type", "text/javascript")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return None
            if parsed.path != "/summary":
                return super().do_GET()
            target = f"{summary_url}/summary"
            if parsed.query:
                target += f"?{parsed.query}"
            # One summary call at a time: the page can overlap two fetches (a
            # superseded window and the new one), and the local Lambda
            # emulator runs one invocation of a function at a time. API
            # Gateway and Lambda need no such thing; this stands in for the
            # host's route.
            with UPSTREAM:
                status, body, kind = forward(target)
                # cargo lambda watch's own bare 500 (no detail): it lost the
                # function's response body (it answers the function before
                # reading it); the GET is read-only, so ask again, twice at most.
                for _ in range(2):
                    if not is_emulator_500(status, body):
                        break
                    status, body, kind = forward(target)
            self.send_response(status)
            self.send_header("content-type", kind or "application/json")
            self.send_header("content-length", str(len(body)))
            self.send_header("cache-control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


UPSTREAM = threading.Lock()


def forward(target):
    """GET target: (status, body, content type), errors included."""
    try:
        with urllib.request.urlopen(target, timeout=60) as upstream:
            return upstream.status, upstream.read(), upstream.headers.get("content-type")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("content-type")
    except OSError:
        return 502, b'{"error":{"code":"bad_gateway","message":"summary unreachable"}}', None


def is_emulator_500(status, body):
    """cargo lambda watch's own problem JSON for a 500, with no detail."""
    if status != 500:
        return False
    try:
        problem = json.loads(body)
    except ValueError:
        return False
    return isinstance(problem, dict) and problem.get("type") == "https://httpstatuses.com/500" and "detail" not in problem


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--summary-url", required=True, help="the function's base URL, e.g. http://127.0.0.1:9000/lambda-url/summary")
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(args.summary_url.rstrip("/")))
    print(f"demo page: http://127.0.0.1:{args.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
