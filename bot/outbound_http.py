"""Outbound HTTP through a corporate network: the standard variables, for every platform.

Microsoft's side (httpx in the Teams SDK, requests in MSAL, urllib for the signing keys) reads
``HTTPS_PROXY``, ``NO_PROXY``, ``SSL_CERT_FILE`` and ``REQUESTS_CA_BUNDLE`` by itself. slack_sdk reads
``HTTPS_PROXY`` but not ``NO_PROXY``, so Slack's clients get their proxy from here: the standard
library's reading of the environment, bypass list included. Certificates come from
``SSL_CERT_FILE`` (or ``REQUESTS_CA_BUNDLE``) for every client that verifies with Python's ``ssl``.
"""

from __future__ import annotations

import os
import ssl
import urllib.request
from urllib.parse import urlsplit


def proxy_for(url: str) -> str | None:
    """The proxy a request to ``url`` goes through, or None for a direct connection (no proxy set,
    or the host is in ``NO_PROXY``)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host and urllib.request.proxy_bypass_environment(host):
        return None
    proxies = urllib.request.getproxies_environment()
    return proxies.get(parts.scheme or "https") or proxies.get("https") or None


def ssl_context() -> ssl.SSLContext:
    """Python's default verification, trusting ``SSL_CERT_FILE`` or else ``REQUESTS_CA_BUNDLE`` (a
    company's own certificate authority, for a proxy that inspects TLS)."""
    bundle = os.environ.get("SSL_CERT_FILE") or os.environ.get("REQUESTS_CA_BUNDLE")
    return (
        ssl.create_default_context(cafile=bundle) if bundle and os.path.isfile(bundle) else ssl.create_default_context()
    )
