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
``locked`` raises ``LockOrderError`` rather than risk a deadlock. A handler that meets it
(a pull through an ``ecr`` upstream that sorts first) is run again by ``api.handlers.handle``
holding every registry it asked for, in order, so it asks before it changes anything;
other work applies its effects on the other registry after releasing the first lock
(``RegistryStore.follow_up``).

**Long pure work steps out of the lock.** An operation whose work is long and reads only
a copy of some state (a lifecycle policy evaluated against a view of a repository's
images) holds the lock through a ``Hold`` and runs that work inside ``hold.paused()``:
other calls to the registry go ahead meanwhile, and on return the operation checks, with
the lock held again, that what it read is unchanged before it acts on the result.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, TypeVar

from .blobs.layer_urls import LayerUrls
from .blobs.storage import RegistryBlobs
from .images.manifests import SharedParts
from .quotas import Quotas
from .registry_settings import RegistrySettings
from .tokens import Tokens
from .upstreams import Upstreams

if TYPE_CHECKING:
    from .blobs.uploads import Upload
    from .pull_through import PullThroughCacheRule
    from .repositories import Repository

#: a registry's key, and the order registry locks are taken in
RegistryKey = tuple[str, str]
T = TypeVar("T")


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
        #: the descriptors the registry's manifests share (``manifests.remember``)
        self.manifest_parts = SharedParts()
        #: uploads in progress by id
        self.uploads: dict[str, Upload] = {}
        #: scanning configuration, registry policy, replication, account settings
        self.settings = RegistrySettings()
        #: repository creation templates by ``templates.template_key(prefix)``
        self.templates: dict[str, Any] = {}
        #: pull through cache rules by ``templates.template_key(ecrRepositoryPrefix)``
        self.pull_through_rules: dict[str, PullThroughCacheRule] = {}
        #: replication backfills by id, in start order (``replication_backfill.Backfill``)
        self.backfills: dict[str, Any] = {}
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


class LockOrderError(RuntimeError):
    """``Backend.locked`` was asked for registries that sort before one the thread holds."""

    def __init__(self, held: list[RegistryKey], wanted: list[RegistryKey]) -> None:
        super().__init__(f"registry locks taken out of order: holding {sorted(held)}, asking for {wanted}")
        #: the registries asked for anew
        self.wanted = wanted


class Hold:
    """This thread's hold on a registry's lock (``with Hold(store):``), which pure work may
    pause so other calls to the registry go ahead (see the module docstring).

    A hold taken while the thread already held the lock (a call made under ``Backend.locked``,
    or by code that holds the lock itself) never pauses: its outer holder counts on the
    registry not changing under it.
    """

    __slots__ = ("lock", "pausable")

    def __init__(self, store: RegistryStore) -> None:
        self.lock = store.lock
        self.pausable = False

    def __enter__(self) -> Hold:
        self.pausable = not _held_by_me_lock(self.lock)
        self.lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()

    def paused(self) -> AbstractContextManager[None]:
        """The lock released for the ``with`` block and taken back after it (when pausable)."""
        return self._released() if self.pausable else nullcontext()

    @contextmanager
    def _released(self) -> Iterator[None]:
        self.lock.release()
        try:
            yield
        finally:
            self.lock.acquire()


def never_paused() -> AbstractContextManager[None]:
    """The pause of a caller that cannot let go of the lock (``Hold.paused`` when not pausable)."""
    return nullcontext()


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
        #: what the public upstream registries of pull through cache rules hold (seeded by tests)
        self.upstreams = Upstreams()

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

        Yields the stores by key. Raises LockOrderError (a RuntimeError) instead of taking a lock out of
        order: when the calling thread holds a registry lock that sorts after one it asks
        for anew (see the module docstring).
        """
        ordered = sorted(set(keys))
        stores = {key: self.store(*key) for key in ordered}
        held = [store.key for store in self.stores() if _held_by_me(store)]
        if held:
            newly = [key for key in ordered if key not in held]
            if newly and min(newly) < max(held):
                raise LockOrderError(held, newly)
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

    def run(self, store: RegistryStore, work: Callable[[Hold], T]) -> T:
        """``work(hold)`` under ``store``'s lock (``hold`` is its ``Hold``); the follow-ups
        it queued run after the lock is released, and a refused ``work`` (one that raised)
        queues none.

        When ``work`` asks (``Backend.locked``) for registries that sort before ``store``, it
        is run again holding them all, in the global order; so ``work`` asks for them before
        it changes anything. The API's handlers and the registry face's routes run this way.
        """
        keys = [store.key]
        while True:
            try:
                if len(keys) == 1:
                    with Hold(store) as hold:
                        result = _attempt(store, work, hold)
                else:
                    with self.locked(*keys), Hold(store) as hold:
                        result = _attempt(store, work, hold)
                break
            except LockOrderError as error:
                if not error.wanted or set(error.wanted) <= set(keys):
                    raise
                keys.extend(error.wanted)
        if store.follow_ups:
            store.run_follow_ups(self)
        return result

    def after_fork(self) -> None:
        """In a forked child: fresh locks (the parent's threads that held them do not exist here)."""
        self._lock = threading.Lock()
        for store in self._stores.values():
            store.lock = threading.RLock()
            for blob in store.blobs.blobs.values():
                blob.after_fork()
        self.layer_urls.after_fork()
        self.upstreams.after_fork()

    def close(self) -> None:
        self.layer_urls.close()
        self.upstreams.close()
        for store in self.stores():
            store.close()


def _attempt(store: RegistryStore, work: Callable[[Hold], T], hold: Hold) -> T:
    """``work(hold)``, dropping the follow-ups it queued if it raises (the caller holds the lock)."""
    queued = len(store.follow_ups)
    try:
        return work(hold)
    except BaseException:
        del store.follow_ups[queued:]  # a refused call sets nothing off
        raise


def _held_by_me(store: RegistryStore) -> bool:
    return _held_by_me_lock(store.lock)


def _held_by_me_lock(lock: Any) -> bool:
    return bool(lock._is_owned())  # RLock's own "held by this thread"
