"""Layer download URLs: issued by GetDownloadUrlForLayer, resolved back to blobs when fetched.

URLs are shaped like real ECR's S3-style presigned URLs (AWS CLI reference example and
captures from 2019 and 2024)::

    https://prod-us-west-2-starport-layer-bucket.s3.us-west-2.amazonaws.com/
        e501-012345678910-9cb60dc0-7284-5643-3987-da6dac0465f0/04620aac-66a5-4167-8232-55ee7ef6d565
        ?X-Amz-Security-Token=...&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20190814T220617Z
        &X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Credential=ASIA...%2F20190814%2Fus-west-2%2Fs3%2Faws4_request
        &X-Amz-Signature=<64 hex>

A URL issued while ``download_base`` is set (the HTTP server sets it to its own address for
the requests it answers) points at that base instead, so a client outside the process can
fetch it: ``{base}/_mock_ecr/layers/{region}/{key}?...`` with the same parameters. Both
forms sign the same host (the layer bucket's) and path (the key), so either resolves.

The path of a URL is its token: the table maps it to the registry, repository and digest
it names. The signature is an HMAC with a per-backend secret over host, path and the other
parameters, so a URL cannot be edited, and the table holds one entry per (repository,
layer), however many URLs are issued. Serving them over HTTP is the gateway's job
(``gateway/downloads.py``); this module knows no HTTP.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import secrets
import string
import threading
import weakref
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..naming import partition_of
from .blob import Blob
from .storage import repository_blob

if TYPE_CHECKING:
    from ..store import RegistryStore

#: X-Amz-Expires of the URLs ECR hands out
EXPIRES_SECONDS = 3600
STAMP = "%Y%m%dT%H%M%SZ"
#: the path under which a server answers the layer URLs it hands out
SERVED_PREFIX = "/_mock_ecr/layers/"
#: the base URL (``http://host:port``) URLs issued in this context point at; None: the bucket's
download_base: ContextVar[str | None] = ContextVar("mock_ecr_download_base", default=None)


def bucket_host(region: str) -> str:
    """The layer bucket's host, e.g. prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com."""
    return f"prod-{region}-starport-layer-bucket.s3.{region}.{partition_of(region)[1]}"


def served_location(path: str) -> tuple[str, str] | None:
    """(bucket host, key path) that a server path ``/_mock_ecr/layers/REGION/KEY`` stands for."""
    region, _, key = path[len(SERVED_PREFIX) :].partition("/")
    if not region or not key or not path.startswith(SERVED_PREFIX):
        return None
    return bucket_host(region), "/" + key


def amz_date(moment: _dt.datetime) -> str:
    """``X-Amz-Date`` of ``moment`` (``STAMP``), the year always four digits: ``strftime``
    writes year 1 as "1" on some platforms, which ``strptime`` then cannot read back."""
    t = moment.astimezone(_dt.timezone.utc)
    return f"{t.year:04d}{t.month:02d}{t.day:02d}T{t.hour:02d}{t.minute:02d}{t.second:02d}Z"


class LayerUrls:
    """Issues presigned layer URLs and resolves them; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secret = b""
        self._access_key = ""
        self._session_token = ""
        #: URL path -> (registry, repository (weakly), digest)
        self._objects: dict[str, tuple[RegistryStore, weakref.ref[Any], str]] = {}

    def after_fork(self) -> None:
        """In a forked child: a fresh lock."""
        self._lock = threading.Lock()

    def _credentials(self) -> None:
        """The fake signer's secret and identity, made when the first URL is issued."""
        self._secret = secrets.token_bytes(32)
        alphabet = string.ascii_uppercase + string.digits
        self._access_key = "ASIA" + "".join(secrets.choice(alphabet) for _ in range(16))
        self._session_token = "IQoJb3JpZ2luX2Vj" + base64.b64encode(secrets.token_bytes(96)).decode()

    def presign(self, store: RegistryStore, repository: Any, digest: str, key: str, now: _dt.datetime) -> str:
        region = store.region
        host = bucket_host(region)
        path = "/" + key
        stamp = amz_date(now)
        with self._lock:
            if not self._secret:
                self._credentials()
            params = [
                ("X-Amz-Security-Token", self._session_token),
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                ("X-Amz-Date", stamp),
                ("X-Amz-SignedHeaders", "host"),
                ("X-Amz-Expires", str(EXPIRES_SECONDS)),
                ("X-Amz-Credential", f"{self._access_key}/{stamp[:8]}/{region}/s3/aws4_request"),
            ]
            params.append(("X-Amz-Signature", self.sign(host, path, params)))
            self._objects[path] = (store, weakref.ref(repository), digest)
        query = "&".join(f"{name}={quote(value, safe='')}" for name, value in params)
        base = download_base.get()
        if base is not None:
            return f"{base}{SERVED_PREFIX}{region}{path}?{query}"
        return f"https://{host}{path}?{query}"

    def sign(self, host: str, path: str, params: list[tuple[str, str]]) -> str:
        signed = sorted(f"{name}={value}" for name, value in params if name != "X-Amz-Signature")
        return hmac.new(self._secret, "\n".join([host, path, *signed]).encode(), hashlib.sha256).hexdigest()

    def verify(self, host: str, path: str, params: list[tuple[str, str]], signature: str) -> bool:
        return bool(self._secret) and hmac.compare_digest(signature, self.sign(host, path, params))

    def blob(self, path: str) -> Blob | None:
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
            current = store.repositories.get(repository.name)
            if current is not repository or current is None:
                return None
            return repository_blob(store, current, digest)

    def close(self) -> None:
        with self._lock:
            self._objects.clear()
