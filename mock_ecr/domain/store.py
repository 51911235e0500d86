"""State of the fake registries, one ``RegistryStore`` per (account, region), each guarded.

Nothing here knows HTTP or wire shapes. Every change to a registry happens while holding
its ``lock`` (``api.handlers.handle`` takes it for the handler's whole run).

**Writes that span registries.** Replication and pull-through caches write into a second
registry. The rule: an operation that touches more than one registry takes all their locks
up front, in one global order, sorted by ``(account_id, region)``, with ``Backend.locked``;
it takes no further registry lock while holding them. Two such operations then never wait
on each other in a cycle (A holds X and wants Y while B holds Y and wants X), whatever
direction they copy in. A thread that already holds a registry's lock (a handler) may enter
``locked`` only if every registry it newly asks for sorts after the ones it holds; otherwise
``locked`` raises rather than risk a deadlock, and the operation must instead apply its
effects on the other registry after releasing the first lock.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .blobs.layer_urls import LayerUrls
from .blobs.storage import RegistryBlobs
from .quotas import Quotas
from .registry_settings import RegistrySettings
from .tokens import Tokens

if TYPE_CHECKING:
    from .blobs.uploads import Upload
    from .repositories import Repository

#: a registry's key, and the order registry locks are taken in
RegistryKey = tuple[str, str]


def utcnow() -> _dt.datetime:
    """The current time, read at call time so freezegun controls it."""
    return _dt.datetime.now(_dt.timezone.utc)


def later(moment: _dt.datetime, delta: _dt.timedelta) -> _dt.datetime:
    """``moment + delta``, or the last representable time when that is past year 9999
    (a clock frozen at the end of ``datetime``'s range still gets an answer)."""
    try:
        return moment + delta
    except OverflowError:
        # whole seconds: a float timestamp of datetime.max would round up into year 10000
        return _dt.datetime.max.replace(microsecond=0, tzinfo=moment.tzinfo)


class RegistryStore:
    """All mutable state of one registry (an account in one region)."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self.lock = threading.RLock()
        #: repository name -> Repository (insertion order = creation order)
        self.repositories: dict[str, Repository] = {}
        #: repository names sorted (DescribeRepositories' order), rebuilt after a create/delete
        self.sorted_names: list[str] | None = None
        #: blob bytes, stored once per registry whichever repositories hold them
        self.blobs = RegistryBlobs()
        #: uploads in progress by id
        self.uploads: dict[str, Upload] = {}
        #: scanning configuration, registry policy, replication, account settings
        self.settings = RegistrySettings()
        #: repository creation templates by ``templates.template_key(prefix)``
        self.templates: dict[str, Any] = {}
        #: work a write here left for other registries, run once this lock is released
        self.follow_ups: list[Callable[[Backend], None]] = []

    @property
    def key(self) -> RegistryKey:
        return (self.account_id, self.region)

    def follow_up(self, work: Callable[[Backend], None]) -> None:
        """Queue ``work`` (called with the backend) to run after this registry's lock is
        released, so it may take other registries' locks in the global order."""
        self.follow_ups.append(work)

    def run_follow_ups(self, backend: Backend) -> None:
        """Run the queued work; called by whoever releases the lock (no lock held)."""
        while self.follow_ups:
            with self.lock:
                work, self.follow_ups = self.follow_ups, []
            for item in work:
                item(backend)

    def close(self) -> None:
        """Close every blob file and upload buffer (the activation ends)."""
        with self.lock:
            uploads, self.uploads = self.uploads, {}
            for upload in uploads.values():
                upload.buffer.discard()
            self.blobs.close()


class Backend:
    """Every registry of one outermost activation."""

    def __init__(self) -> None:
        self._stores: dict[RegistryKey, RegistryStore] = {}
        self._lock = threading.Lock()
        self.quotas = Quotas()
        #: the layer download URLs issued for this backend's blobs
        self.layer_urls = LayerUrls()
        #: registry passwords (GetAuthorizationToken), checked by the registry face
        self.tokens = Tokens()

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

    @contextmanager
    def locked(self, *keys: RegistryKey) -> Iterator[dict[RegistryKey, RegistryStore]]:
        """Hold the locks of the registries ``keys`` name, taken in the global order.

        Yields the stores by key. Raises RuntimeError instead of taking a lock out of
        order: when the calling thread holds a registry lock that sorts after one it asks
        for anew (see the module docstring).
        """
        ordered = sorted(set(keys))
        stores = {key: self.store(*key) for key in ordered}
        held = [store.key for store in self.stores() if _held_by_me(store)]
        if held:
            newly = [key for key in ordered if key not in held]
            if newly and min(newly) < max(held):
                raise RuntimeError(f"registry locks taken out of order: holding {sorted(held)}, asking for {newly}")
        taken: list[RegistryStore] = []
        try:
            for key in ordered:
                stores[key].lock.acquire()
                taken.append(stores[key])
            yield stores
        finally:
            for store in reversed(taken):
                store.lock.release()

    def replace_stores(self, stores: dict[RegistryKey, RegistryStore]) -> list[RegistryStore]:
        """Make ``stores`` the registries (``snapshots.restore``); returns the ones replaced.

        Each replaced registry's lock is taken (in the global order) while it is swapped
        out, so a call running on it finishes first.
        """
        with self._lock:
            old = self._stores
        held = sorted(old.values(), key=lambda store: store.key)
        for store in held:
            store.lock.acquire()
        try:
            with self._lock:
                self._stores = dict(stores)
        finally:
            for store in reversed(held):
                store.lock.release()
        return list(old.values())

    def run(self, store: RegistryStore, work: Callable[[], Any]) -> Any:
        """``work()`` under ``store``'s lock; the follow-ups it queued run after the lock is
        released, and a refused ``work`` (one that raised) queues none."""
        with store.lock:
            try:
                result = work()
            except BaseException:
                store.follow_ups.clear()
                raise
        if store.follow_ups:
            store.run_follow_ups(self)
        return result

    def after_fork(self) -> None:
        """In a forked child: fresh locks (the parent's threads that held them do not exist here)."""
        self._lock = threading.Lock()
        self.tokens.after_fork()
        for store in self._stores.values():
            store.lock = threading.RLock()
            for blob in store.blobs.blobs.values():
                blob._after_fork()
        self.layer_urls.after_fork()

    def close(self) -> None:
        self.layer_urls.close()
        for store in self.stores():
            store.close()


def _held_by_me(store: RegistryStore) -> bool:
    return store.lock._is_owned()  # type: ignore[attr-defined]  # RLock's own "held by this thread"
