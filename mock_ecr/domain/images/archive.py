"""Storage classes: the one archive and restore that lifecycle ``transition`` rules,
UpdateImageStorageClass and a re-push all go through.

ECR's user guide ("Archiving an image", "Restoring an image"): an archived image cannot be
pulled (a pull answers 404); restoring one "typically takes up to 20 minutes", during which
the image stays in the archive storage class with ``imageStatus`` ACTIVATING and still
cannot be pulled; pushing an archived image again restores it at once. Archived images have
a minimum storage duration of 90 days, which limits lifecycle ``expire`` rules only
(``lifecycle.rules``): a restore or a BatchDeleteImage before then is allowed (and billed).

**Restores complete deterministically.** A restore requested at ``t`` completes at
``t + RESTORE_TIME`` by the clock freezegun controls: any read at or after that time finds the
image ACTIVE in the standard storage class, ``lastActivatedAt`` the completion time. Readers
call ``settle`` (or ``status``), so no thread or timer is involved.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from ... import messages
from ...errors import ImageStorageClassUpdateNotSupportedException
from ..store import later
from .index import Image

if TYPE_CHECKING:
    from ..repositories import Repository

#: how long a restore (UpdateImageStorageClass to STANDARD) takes: "up to 20 minutes"
RESTORE_TIME = _dt.timedelta(minutes=20)
STATUSES = ("ACTIVE", "ARCHIVED", "ACTIVATING")


def settle(image: Image, now: _dt.datetime) -> None:
    """Complete ``image``'s restore if its time has come."""
    due = image.activation_due
    if due is not None and now >= due:
        image.storage_class = "STANDARD"
        image.last_activated_at = due
        image.activation_due = None


def status(image: Image, now: _dt.datetime) -> str:
    """ECR's ``imageStatus`` of ``image`` at ``now``: ACTIVE, ARCHIVED or ACTIVATING."""
    settle(image, now)
    if image.storage_class != "ARCHIVE":
        return "ACTIVE"
    return "ACTIVATING" if image.activation_due is not None else "ARCHIVED"


def pullable(image: Image, now: _dt.datetime) -> bool:
    return status(image, now) == "ACTIVE"


def archive(image: Image, now: _dt.datetime) -> None:
    """Move ``image`` to the archive storage class (a lifecycle ``transition`` too)."""
    image.storage_class = "ARCHIVE"
    image.last_archived_at = now
    image.activation_due = None


def restore(image: Image, now: _dt.datetime) -> None:
    """Make ``image`` ACTIVE at once (a push of an archived image)."""
    image.storage_class = "STANDARD"
    image.last_activated_at = now
    image.activation_due = None


def update_storage_class(repository: Repository, image: Image, target: str, now: _dt.datetime) -> str:
    """UpdateImageStorageClass: ARCHIVE archives an active image; STANDARD starts the restore
    of an archived one. Returns the image's status afterwards.

    Refused with ImageStorageClassUpdateNotSupportedException: an image already in the
    target class, and a restore already under way (in either direction: an ACTIVATING image
    can be neither archived again nor restored twice).
    """
    current = status(image, now)
    if current == "ACTIVATING":
        raise ImageStorageClassUpdateNotSupportedException(
            messages.restore_in_progress(image.digest, repository.name, repository.registry_id)
        )
    if (target == "ARCHIVE") == (current == "ARCHIVED"):
        raise ImageStorageClassUpdateNotSupportedException(
            messages.storage_class_unchanged(image.digest, target, repository.name, repository.registry_id)
        )
    if target == "ARCHIVE":
        archive(image, now)
        return "ARCHIVED"
    image.activation_due = later(now, RESTORE_TIME)
    return "ACTIVATING"
