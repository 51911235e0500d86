"""What a push sets off, whichever face of ECR it came through (the JSON API or the registry).

Both faces call these, so a push behaves the same through PutImage and through a manifest
PUT: ``repository_for_push`` finds (or, where a creation template allows, creates) the
repository a push writes to; ``after_push`` runs what a stored image sets off inside the
pushed-to registry. Work in other registries (replication) is queued with
``RegistryStore.follow_up`` and runs once this registry's lock is released.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable

from . import signing
from .images.index import Image
from .repositories import Repository, get_repository
from .store import RegistryStore

#: what a push sets off beyond this module, each called as ``after_push`` is (without
#: ``replica``). Modules whose effects push images themselves (replication) add themselves
#: here when imported (``domain/__init__.py`` imports them), so this module imports none of
#: them and ``images/service.py`` can call it without an import cycle.
FOLLOWERS: list[Callable[[RegistryStore, Repository, Image, _dt.datetime], None]] = []


def repository_for_push(store: RegistryStore, name: str, now: _dt.datetime) -> Repository:
    """The repository a push (its first layer call, or the manifest) writes to."""
    return get_repository(store, name)


def after_push(
    store: RegistryStore, repository: Repository, image: Image, now: _dt.datetime, *, replica: bool = False
) -> None:
    """Called under ``store``'s lock once ``image`` is stored or newly tagged in ``repository``;
    ``replica``: ECR itself pushed it, replicating it from another registry."""
    if replica:
        return  # ECR does not chain replication, and signs what is pushed to it, not its copies
    for signature in signing.sign(store, repository, image, now):  # managed signing
        after_push(store, repository, signature, now)
    for follower in FOLLOWERS:
        follower(store, repository, image, now)
