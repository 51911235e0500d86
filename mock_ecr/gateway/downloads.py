"""Layer download URLs: S3-style presigned URLs, served through ``responses`` while active.

GetDownloadUrlForLayer answers URLs shaped like real ECR's (AWS CLI reference example and
captures from 2019 and 2024)::

    https://prod-us-west-2-starport-layer-bucket.s3.us-west-2.amazonaws.com/
        e501-012345678910-9cb60dc0-7284-5643-3987-da6dac0465f0/04620aac-66a5-4167-8232-55ee7ef6d565
        ?X-Amz-Security-Token=...&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20190814T220617Z
        &X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Credential=ASIA...%2F20190814%2Fus-west-2%2Fs3%2Faws4_request
        &X-Amz-Signature=<64 hex>

One ``DownloadServer`` exists per activation, created by the first GetDownloadUrlForLayer
(so activating the mock costs nothing here). It starts a ``responses.RequestsMock`` with
one regex callback for the layer-bucket hosts; every other URL passes through untouched.
The path of a URL is its token: the server's table maps it to the registry, repository
and digest it names. The signature is an HMAC with a per-activation secret over host,
path and the other parameters, so a URL cannot be edited (S3's SignatureDoesNotMatch)
and the table holds one entry per (repository, layer), however many URLs are issued.

A request is answered like S3 would: 403 ``AccessDenied`` "Request has expired" once
``X-Amz-Date`` + 3600 s has passed on the freezegun-controlled clock, 404 ``NoSuchKey``
when the layer is gone (its repository deleted), else 200 with exactly the blob's bytes,
streamed from the blob's storage a chunk at a time rather than built as one object.
A ``Range`` header is not honoured: the whole object is answered.

``requests`` sent through a ``responses`` mock the code under test started *before* the
first download URL keep reaching that mock (it is where unmatched URLs go). One started
*after* it replaces ours until it stops, as stacked ``responses`` mocks always do.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import inspect
import io
import re
import secrets
import string
import threading
import weakref
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit
from xml.sax.saxutils import escape

import responses
from requests.adapters import HTTPAdapter

from ..domain.blobs.storage import repository_blob
from ..domain.naming import partition_of
from ..domain.store import RegistryStore

#: X-Amz-Expires of the URLs ECR hands out
EXPIRES_SECONDS = 3600
#: the layer-bucket hosts of every partition, e.g. prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com
_DOWNLOAD_URL = re.compile(r"https?://prod-[a-z0-9-]+-starport-layer-bucket\.s3\.[a-z0-9-]+\.[a-z0-9.-]+/")
#: everything else goes to the network (or to whatever patched ``requests`` before us)
_NOT_A_DOWNLOAD_URL = re.compile(r"(?!https?://prod-[a-z0-9-]+-starport-layer-bucket\.s3\.)")
_STAMP = "%Y%m%dT%H%M%SZ"
_CHUNK = 1024 * 1024
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)

_servers: "weakref.WeakKeyDictionary[Any, DownloadServer]" = weakref.WeakKeyDictionary()
_servers_lock = threading.Lock()


def server_for(backend: Any) -> "DownloadServer":
    """The activation's download server, created (and scheduled to stop) on first use."""
    with _servers_lock:
        server = _servers.get(backend)
        if server is None:
            server = _servers[backend] = DownloadServer()
            backend.cleanups.append(server.close)
        return server


class DownloadServer:
    """Issues presigned layer URLs and answers ``requests`` calls to them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secret = secrets.token_bytes(32)
        alphabet = string.ascii_uppercase + string.digits
        self._access_key = "ASIA" + "".join(secrets.choice(alphabet) for _ in range(16))
        self._session_token = "IQoJb3JpZ2luX2Vj" + base64.b64encode(secrets.token_bytes(96)).decode()
        #: URL path -> (registry, repository (weakly), digest)
        self._objects: dict[str, tuple[RegistryStore, weakref.ref[Any], str]] = {}
        self._mock: responses.RequestsMock | None = None

    # -- issuing ----------------------------------------------------------------------
    def presign(self, store: RegistryStore, repository: Any, digest: str, key: str, now: _dt.datetime) -> str:
        region = store.region
        host = f"prod-{region}-starport-layer-bucket.s3.{region}.{partition_of(region)[1]}"
        path = "/" + key
        stamp = now.astimezone(_dt.timezone.utc).strftime(_STAMP)
        params = [
            ("X-Amz-Security-Token", self._session_token),
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Date", stamp),
            ("X-Amz-SignedHeaders", "host"),
            ("X-Amz-Expires", str(EXPIRES_SECONDS)),
            ("X-Amz-Credential", f"{self._access_key}/{stamp[:8]}/{region}/s3/aws4_request"),
        ]
        params.append(("X-Amz-Signature", self._sign(host, path, params)))
        with self._lock:
            self._objects[path] = (store, weakref.ref(repository), digest)
            if self._mock is None:
                self._mock = _start_mock(self._answer)
        return f"https://{host}{path}?" + "&".join(f"{name}={quote(value, safe='')}" for name, value in params)

    def _sign(self, host: str, path: str, params: list[tuple[str, str]]) -> str:
        signed = sorted(f"{name}={value}" for name, value in params if name != "X-Amz-Signature")
        return hmac.new(self._secret, "\n".join([host, path, *signed]).encode(), hashlib.sha256).hexdigest()

    def close(self) -> None:
        with self._lock:
            mock, self._mock = self._mock, None
            self._objects.clear()
        if mock is not None:
            mock.stop(allow_assert=False)

    # -- answering ----------------------------------------------------------------------
    def _answer(self, request: Any) -> tuple[int, dict[str, str], Any]:
        url = urlsplit(request.url)
        path, host = url.path, url.hostname or ""
        params = parse_qsl(url.query, keep_blank_values=True)
        query = dict(params)
        head = request.method == "HEAD"
        signature = query.get("X-Amz-Signature")
        if signature is None:
            return _s3_error(403, "AccessDenied", "Access Denied", head)
        if not hmac.compare_digest(signature, self._sign(host, path, params)):
            return _s3_error(403, "SignatureDoesNotMatch", _SIGNATURE_MISMATCH, head)

        now = _dt.datetime.now(_dt.timezone.utc)
        issued = _dt.datetime.strptime(query["X-Amz-Date"], _STAMP).replace(tzinfo=_dt.timezone.utc)
        expires = issued + _dt.timedelta(seconds=int(query["X-Amz-Expires"]))
        if now > expires:
            return _s3_error(403, "AccessDenied", "Request has expired", head, [
                ("X-Amz-Expires", query["X-Amz-Expires"]),
                ("Expires", expires.strftime("%Y-%m-%dT%H:%M:%SZ")),
                ("ServerTime", now.strftime("%Y-%m-%dT%H:%M:%SZ")),
            ])

        blob = self._blob(path)
        if blob is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.", head, [("Key", path[1:])])
        headers = {
            **_request_ids(),
            "Content-Type": "application/octet-stream",
            "Content-Length": str(blob.size),
            "Accept-Ranges": "bytes",
            "Server": "AmazonS3",
        }
        body: Any = b"" if head else io.BufferedReader(_ChunkReader(blob.chunks(_CHUNK)), _CHUNK)
        return 200, headers, body

    def _blob(self, path: str) -> Any:
        """The blob a URL path names, if its repository (and its link to the layer) still exist."""
        with self._lock:
            entry = self._objects.get(path)
        if entry is None:
            return None
        store, repository_ref, digest = entry
        repository = repository_ref()
        if repository is None:
            return None
        with store.lock:
            if store.repositories.get(repository.name) is not repository:
                return None
            return repository_blob(store, repository, digest)


def _start_mock(callback: Any) -> responses.RequestsMock:
    options: dict[str, Any] = {"assert_all_requests_are_fired": False}
    if "real_adapter_send" in inspect.signature(responses.RequestsMock).parameters:
        # requests unmatched here go to whatever ``requests`` sent through before we started
        # (the network, or a ``responses`` mock of the code under test)
        options["real_adapter_send"] = HTTPAdapter.send
    mock = responses.RequestsMock(**options)
    for method in ("GET", "HEAD"):
        mock.add_callback(method, _DOWNLOAD_URL, callback=callback, content_type=None)
    mock.add_passthru(_NOT_A_DOWNLOAD_URL)
    mock.start()
    return mock


def _request_ids() -> dict[str, str]:
    alphabet = string.ascii_uppercase + string.digits
    return {
        "x-amz-request-id": "".join(secrets.choice(alphabet) for _ in range(16)),
        "x-amz-id-2": base64.b64encode(secrets.token_bytes(57)).decode(),
    }


def _s3_error(
    status: int, code: str, message: str, head: bool, extra: list[tuple[str, str]] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """S3's XML error document (a HEAD answer carries no body)."""
    ids = _request_ids()
    members = [("Code", code), ("Message", message), *(extra or ()),
               ("RequestId", ids["x-amz-request-id"]), ("HostId", ids["x-amz-id-2"])]
    body = b"" if head else (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
        + "".join(f"<{name}>{escape(value)}</{name}>" for name, value in members)
        + "</Error>"
    ).encode()
    return status, {**ids, "Content-Type": "application/xml", "Server": "AmazonS3"}, body


class _ChunkReader(io.RawIOBase):
    """A read-only stream over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
