"""A fake of PyPI's per-release JSON API, the advisory database pip-audit asks about each locked package.

pip-audit only ever asks ``https://pypi.org/pypi/NAME/VERSION/json``; it can't be pointed elsewhere. So the
fake is reached the way a proxy would be: ``HTTPS_PROXY`` names it, it accepts the ``CONNECT pypi.org:443``
tunnel itself and ends TLS there with a certificate for pypi.org from a throwaway CA (``REQUESTS_CA_BUNDLE``).
The real pip-audit, requests and TLS verification then run as they do against PyPI, offline::

    with FakeAdvisoryPyPI({("jinja2", "3.1.6"): [advisory("GHSA-0000", fixed_in="3.1.7")]}) as pypi:
        for name, value in pypi.environment().items():
            monkeypatch.setenv(name, value)
        ...  # run pip-audit
        assert "/pypi/jinja2/3.1.6/json" in pypi.paths

A release the fake wasn't given answers 404, as PyPI does for one it has never heard of (and as a mirror does
that serves no per-release data). Answers say ``Cache-Control: no-store``, so pip-audit's HTTP cache keeps none.
"""

from __future__ import annotations

import json
import re
import shutil
import ssl
import tempfile
import threading
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.fakes.tls import CA_FILE, server_certificate

Payload = dict[str, Any]

PYPI_TUNNEL = "pypi.org:443"
RELEASE_PATH = re.compile(r"^/pypi/(?P<name>[^/]+)/(?P<version>[^/]+)/json$")
PROJECT_PATH = re.compile(r"^/pypi/(?P<name>[^/]+)/json$")


def advisory(identifier: str, *, fixed_in: str, summary: str = "A test advisory.") -> Payload:
    """One entry of a release's ``vulnerabilities``, shaped as PyPI serves it (OSV-derived)."""
    return {
        "id": identifier,
        "aliases": [],
        "summary": summary,
        "details": summary,
        "fixed_in": [fixed_in],
        "link": f"https://osv.dev/vulnerability/{identifier}",
        "source": "osv",
        "withdrawn": None,
    }


class FakeAdvisoryPyPI:
    """Serves ``releases``: (canonical name, version) -> that release's advisories ([] for a clean one)."""

    def __init__(self, releases: Mapping[tuple[str, str], Sequence[Payload]]) -> None:
        self.releases = dict(releases)
        self.paths: list[str] = []
        """Every path asked for inside the tunnel, in order (HEAD and GET)."""
        self._server: _TunnelServer | None = None
        self._thread: threading.Thread | None = None
        self._directory: Path | None = None

    def __enter__(self) -> FakeAdvisoryPyPI:
        directory = Path(tempfile.mkdtemp(prefix="fake-pypi-"))
        certificate = server_certificate("Cadence test CA (FakeAdvisoryPyPI)", dns_names=("pypi.org",))
        certificate.write(directory)
        self._directory = directory
        server = _TunnelServer(self, certificate.server_context(directory))
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-pypi", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
        self._server = self._thread = self._directory = None

    def environment(self) -> dict[str, str]:
        """What makes requests (in this process and in a pip-audit subprocess) reach PyPI through the fake."""
        if self._server is None or self._directory is None:
            raise RuntimeError("FakeAdvisoryPyPI is not running; use it as a context manager")
        proxy = f"http://127.0.0.1:{self._server.server_address[1]}"
        return {
            "HTTPS_PROXY": proxy,
            "https_proxy": proxy,
            "REQUESTS_CA_BUNDLE": str(self._directory / CA_FILE),
            "NO_PROXY": "",
            "no_proxy": "",
        }

    def answer(self, path: str) -> tuple[int, Payload]:
        self.paths.append(path)
        if release := RELEASE_PATH.match(path):
            key = (release["name"], release["version"])
            if key not in self.releases:
                return 404, {"message": "Not Found"}
            return 200, {"info": {"name": key[0], "version": key[1]}, "vulnerabilities": list(self.releases[key])}
        if project := PROJECT_PATH.match(path):
            return 200, {"info": {"name": project["name"]}}
        return 404, {"message": "Not Found"}


class _TunnelServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeAdvisoryPyPI, tls: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _TunnelHandler)
        self.fake = fake
        self.tls = tls


class _TunnelHandler(BaseHTTPRequestHandler):
    """Accepts the proxy tunnel to pypi.org, then answers the requests sent through it, over TLS."""

    protocol_version = "HTTP/1.1"
    server: _TunnelServer

    def do_CONNECT(self) -> None:
        if self.path != PYPI_TUNNEL:
            self.send_error(403, f"this fake only tunnels to {PYPI_TUNNEL}")
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.connection = self.server.tls.wrap_socket(self.connection, server_side=True)
        self.rfile = self.connection.makefile("rb")
        self.wfile = self.connection.makefile("wb")
        self.close_connection = False  # urllib3 asks in HTTP/1.0, which would end the handler after this request

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        status, payload = self.server.fake.answer(self.path)
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: what was asked is in ``FakeAdvisoryPyPI.paths``."""
