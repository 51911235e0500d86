"""Who calls: the caller's principal ARN, and the pull-time update exclusions that name principals.

Without IAM the mock has one caller per account, ``arn:<partition>:iam::<account>:user/mock-ecr``
(the user its AccessDeniedException texts name), unless a test says otherwise
(``mock_ecr(caller_arn=...)``). An assumed-role session
(``arn:aws:sts::<account>:assumed-role/<role>/<session>``) acts as its role.

Exclusions (RegisterPullTimeUpdateExclusion...): "Amazon ECR will not record the pull time if an
excluded principal pulls an image." They are per registry, kept in ``RegistrySettings``.
"""

from __future__ import annotations

import datetime as _dt
import re

from .. import messages
from ..errors import ExclusionAlreadyExistsException, ExclusionNotFoundException, LimitExceededException
from .naming import partition_of
from .registry_settings import RegistrySettings

DEFAULT_USER = "mock-ecr"
#: the principals ``caller_arn`` accepts: IAM users and roles, the account root, role sessions
CALLER_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:(?:iam::(?P<iam>[0-9]{12}):(?:root|(?:user|role)/[\w+=,.@/-]+)"
    r"|sts::(?P<sts>[0-9]{12}):assumed-role/(?P<role>[\w+=,.@-]+)/[\w+=,.@-]+)"
)


def default_caller_arn(account_id: str, region: str) -> str:
    return f"arn:{partition_of(region)[0]}:iam::{account_id}:user/{DEFAULT_USER}"


def caller_account(caller_arn: str) -> str:
    """The account of a caller ARN; ValueError for an ARN ``caller_arn`` does not accept."""
    found = CALLER_ARN.fullmatch(caller_arn) if isinstance(caller_arn, str) else None
    if found is None:
        raise ValueError(
            "caller_arn must be an IAM user, role or root ARN (arn:aws:iam::ACCOUNT:user/NAME) "
            f"or an assumed-role session ARN, not {caller_arn!r}"
        )
    return found.group("iam") or found.group("sts")


def principal_of(caller_arn: str) -> str:
    """The IAM principal an exclusion names for ``caller_arn``: a role session's role."""
    found = CALLER_ARN.fullmatch(caller_arn)
    if found is not None and found.group("role"):
        partition = caller_arn.split(":", 2)[1]
        return f"arn:{partition}:iam::{found.group('sts')}:role/{found.group('role')}"
    return caller_arn


def records_pulls_of(settings: RegistrySettings, caller_arn: str) -> bool:
    """Whether a pull by ``caller_arn`` updates ``lastRecordedPullTime`` in this registry."""
    exclusions = settings.pull_exclusions
    return not exclusions or principal_of(caller_arn) not in exclusions


def register_exclusion(
    settings: RegistrySettings, registry_id: str, principal_arn: str, limit: int, now: _dt.datetime
) -> _dt.datetime:
    if principal_arn in settings.pull_exclusions:
        raise ExclusionAlreadyExistsException(messages.exclusion_exists(principal_arn, registry_id))
    if len(settings.pull_exclusions) >= limit:
        raise LimitExceededException(messages.exclusions_limit(registry_id, limit))
    settings.pull_exclusions[principal_arn] = now
    return now


def deregister_exclusion(settings: RegistrySettings, registry_id: str, principal_arn: str) -> None:
    if settings.pull_exclusions.pop(principal_arn, None) is None:
        raise ExclusionNotFoundException(messages.exclusion_not_found(principal_arn, registry_id))
