"""What a push sets off, whichever face of ECR it came through (the JSON API or the registry).

Both faces call these, so a push behaves the same through PutImage and through a manifest
PUT: ``repository_for_push`` finds (or, where a creation template allows, creates) the
repository a push writes to; ``after_push`` runs what a stored image sets off inside the
pushed-to registry. Work in other registries (replication) is queued with
``RegistryStore.follow_up`` and runs once this registry's lock is released.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from . import signing, templates
from .images.index import Image
from .quotas import Quotas
from .repositories import Repository, create_repository, delete_repository, get_repository
from .store import RegistryStore

#: what a push sets off beyond this module, each called as ``after_push`` is (without
#: ``replica``). Modules whose effects push images themselves (replication) add themselves
#: here when imported (``domain/__init__.py`` imports them), so this module imports none of
#: them and ``images/service.py`` can call it without an import cycle.
FOLLOWERS: list[Callable[[RegistryStore, Repository, Image, _dt.datetime], None]] = []


def repository_for_push(store: RegistryStore, name: str, now: _dt.datetime, quotas: Quotas) -> Repository:
    """The repository a push (its first layer call, or the manifest) writes to.

    A missing repository is created when a CREATE_ON_PUSH creation template covers its
    name, with the template's settings (as ECR's create on push does); without one the
    push is refused with RepositoryNotFoundException.
    """
    repository = store.repositories.get(name)
    if repository is not None:
        return repository
    template = templates.matching_template(store, name, "CREATE_ON_PUSH")
    if template is None:
        return get_repository(store, name)  # RepositoryNotFoundException
    return create_repository(store, quotas, templates.new_repository(store, name, template, now))


@contextmanager
def pushing_to(store: RegistryStore, name: str, now: _dt.datetime, quotas: Quotas) -> Iterator[Repository]:
    """``repository_for_push`` for the body of the block; a repository the push created is
    removed again if the block raises (a refused push leaves nothing behind)."""
    existed = name in store.repositories
    repository = repository_for_push(store, name, now, quotas)
    try:
        yield repository
    except BaseException:
        if not existed:
            forget_created(store, repository)
        raise


def forget_created(store: RegistryStore, repository: Repository) -> None:
    """Undo the creation of ``repository`` by a push whose call was then refused."""
    if store.repositories.get(repository.name) is repository:
        delete_repository(store, repository, force=True)


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
