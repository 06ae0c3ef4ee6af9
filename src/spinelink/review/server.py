"""The local review page: a standard-library HTTP server bound to 127.0.0.1 only.

Every request must carry the session's token (`?token=` or the `X-Review-Token`
header) and a local Host header, otherwise 403. The page is static HTML/JS/CSS from
`static/` (no CDN, works offline) and talks JSON to /api/*.
"""
from __future__ import annotations

import json
import logging
import secrets
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from spinelink.resources import package_dir
from spinelink.review import band
from spinelink.review.band import ReviewError
from spinelink.review.session import Session
from spinelink.runlock import output_lock

log = logging.getLogger("spinelink.review")
STATIC = package_dir("spinelink.review", "static").resolve()
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8"}
MAX_BODY = 64 * 1024


class ReviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, session: Session, port: int = 0, token: str | None = None):
        self.session = session
        self.token = token or secrets.token_urlsafe(24)
        super().__init__(("127.0.0.1", port), Handler)

    def handle_error(self, request, client_address):
        """No traceback on the console: it could quote record values."""
        import sys

        log.error("review server: request failed (%s)", sys.exc_info()[0].__name__)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/?token={self.token}"


class Handler(BaseHTTPRequestHandler):
    server: ReviewServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - no URLs (tokens) in logs
        log.debug("review http %s", args[1] if len(args) > 1 else "")

    # -- guards --------------------------------------------------------------------
    def _allowed(self) -> bool:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "localhost"):
            return False
        q = parse_qs(urlsplit(self.path).query)
        given = self.headers.get("X-Review-Token") or (q.get("token") or [""])[0]
        return secrets.compare_digest(given.encode(), self.server.token.encode())

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; connect-src 'self'; img-src 'self' data:")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, data, status: int = 200) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode(),
                   "application/json; charset=utf-8")

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._json({"error": message}, status)

    # -- routes --------------------------------------------------------------------
    def do_GET(self):  # noqa: N802
        self._guarded(self._get)

    def do_POST(self):  # noqa: N802
        self._guarded(self._post)

    def _guarded(self, handler) -> None:
        try:
            handler()
        except Exception as e:  # noqa: BLE001 - answer 500, log the type only
            log.error("review server: %s on %s", type(e).__name__, urlsplit(self.path).path)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"server error ({type(e).__name__})")

    def _get(self) -> None:
        if not self._allowed():
            return self._error(HTTPStatus.FORBIDDEN, "forbidden")
        path = urlsplit(self.path).path
        s = self.server.session
        try:
            if path in ("/", "/index.html"):
                page = getattr(s, "page", "index.html")  # coding mode: coding.html
                html = (STATIC / page).read_text(encoding="utf-8")
                return self._send(200, html.replace("{{TOKEN}}", self.server.token).encode(),
                                  TYPES[".html"])
            if path.startswith("/static/"):
                return self._static(path.removeprefix("/static/"))
            if path == "/api/queue":
                return self._json(s.queue())
            if path.startswith("/api/pair/"):
                return self._json(s.pair(int(path.removeprefix("/api/pair/"))))
        except (KeyError, ValueError):
            return self._error(HTTPStatus.NOT_FOUND, "no such pair")
        return self._error(HTTPStatus.NOT_FOUND, "not found")

    def _post(self) -> None:
        if not self._allowed():
            return self._error(HTTPStatus.FORBIDDEN, "forbidden")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too large")
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            return self._error(HTTPStatus.BAD_REQUEST, "body is not JSON")
        path = urlsplit(self.path).path
        s = self.server.session
        try:
            if path == "/api/decision":
                return self._json(s.decide(int(body["pair"]), str(body["decision"]),
                                           str(body.get("note") or "")))
            if path == "/api/undo":
                return self._json(s.undo())
        except (KeyError, ValueError, IndexError, TypeError) as e:
            return self._error(HTTPStatus.BAD_REQUEST, f"bad request ({type(e).__name__})")
        return self._error(HTTPStatus.NOT_FOUND, "not found")

    def _static(self, name: str) -> None:
        target = (STATIC / name).resolve()
        if target.parent != STATIC or target.suffix not in TYPES or not target.is_file():
            return self._error(HTTPStatus.NOT_FOUND, "not found")
        self._send(200, target.read_bytes(), TYPES[target.suffix])


def serve(out: Path, reviewer: str, source: str | None = None, port: int = 0,
          blind: bool = False, mode: str = "first", announce=print) -> None:
    """Prepare the session, start the server, announce the URL, serve until stopped.
    Holds the output folder's lock shared (spinelink.runlock): other review servers may
    work on the folder, a run or `review apply` may not while it serves."""
    band.manifest(Path(out))  # the folder of a finished run, before a lock file is made in it
    with output_lock(Path(out), shared=True):
        _serve(out, reviewer, source, port, blind, mode, announce)


def _serve(out: Path, reviewer: str, source: str | None, port: int, blind: bool, mode: str,
           announce) -> None:
    if mode == "coding":  # coded answers (spinelink.review.coding_session)
        from spinelink.review.coding_session import CodingSession

        session = CodingSession(out, reviewer, source)
    else:
        session = Session(out, reviewer, source, mode, blind)
    try:
        server = ReviewServer(session, port)
    except OSError as e:
        raise ReviewError(f"127.0.0.1:{port}: cannot listen ({e.strerror})") from None
    q = session.queue()
    announce(f"review ({mode}, {q['done']} of {q['total']} decided): {server.url}")
    announce("stop with Ctrl+C; every decision is saved as it is made")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
