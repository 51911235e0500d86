"""State of the fake registries, one ``RegistryStore`` per (account, region), each guarded.

Nothing here knows HTTP or wire shapes. Every change to a registry happens while holding
its ``lock`` (``api.handlers.handle`` takes it for the handler's whole run).
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .quotas import Quotas
from .registry_settings import RegistrySettings

if TYPE_CHECKING:
    pass

def utcnow() -> _dt.datetime:
    """The current time, read at call time so freezegun controls it."""
    return _dt.datetime.now(_dt.timezone.utc)


class RegistryStore:
    """All mutable state of one registry (an account in one region)."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self.lock = threading.RLock()
        #: repository name -> Repository (insertion order = creation order)
        self.repositories: dict[str, Any] = {}
        #: scanning configuration, registry policy, replication, account settings
        self.settings = RegistrySettings()
        #: repository creation templates by ``templates.template_key(prefix)``
        self.templates: dict[str, Any] = {}
        #: free-form slots that feature modules own (blobs, uploads, previews...)
        self.extra: dict[str, Any] = {}


class Backend:
    """Every registry of one outermost activation."""

    def __init__(self) -> None:
        self._stores: dict[tuple[str, str], RegistryStore] = {}
        self._lock = threading.Lock()
        #: callbacks run when the activation ends (temporary files, URL routes...)
        self.cleanups: list[Callable[[], None]] = []
        from .blobs.layer_urls import LayerUrls  # (it reads stores: imported when one is made)

        self.quotas = Quotas()
        #: the layer download URLs issued for this backend's blobs
        self.layer_urls = LayerUrls()

    def store(self, account_id: str, region: str) -> RegistryStore:
        key = (account_id, region)
        store = self._stores.get(key)
        if store is None:
            with self._lock:
                store = self._stores.setdefault(key, RegistryStore(account_id, region))
        return store

    def stores(self) -> list[RegistryStore]:
        with self._lock:
            return list(self._stores.values())

    def close(self) -> None:
        self.layer_urls.close()
        while self.cleanups:
            self.cleanups.pop()()
