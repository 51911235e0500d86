"""The texts of the features ECR acts on for you: pull-through cache, archive, referrers,
signing, pull-time exclusions and replication."""

from __future__ import annotations

from .ecr import _registry, _within_repository, limit_exceeded

# -- pull through cache -------------------------------------------------------------------------
# Real (seen in ECR answers): the unsupported URL, the missing-secret refusal (its "and try
# again" completes a truncated quote, as the URL text ends) and the update without credentials.
# The secret errors use the model's documentation; the rest follow the template texts above.


def unsupported_upstream_url(url: str) -> str:
    return f"The upstream registry URL {url} is invalid. Specify a valid upstream registry URL and try again"


UPSTREAM_NEEDS_SECRET = (
    "The specified upstream registry requires authentication. Specify a valid Secrets Manager ARN and try again"
)
UPDATE_NEEDS_CREDENTIALS = "Invalid input: Please set either credential arn or role arn to update the credentials"
SECRET_NOT_FOUND = (
    "The ARN of the secret specified in the pull through cache rule was not found. "
    "Update the pull through cache rule with a valid secret ARN and try again."
)
SECRET_INACCESSIBLE = (
    "The secret is unable to be accessed. Verify the resource permissions for the secret and try again."
)


def pull_through_rule_not_found(prefix: str, registry_id: str) -> str:
    return f"The pull through cache rule with prefix '{prefix}' does not exist in {_registry(registry_id)}"


def pull_through_rule_exists(prefix: str, registry_id: str) -> str:
    return f"The pull through cache rule with prefix '{prefix}' already exists in {_registry(registry_id)}"


def upstream_registry_mismatch(registry: str, url: str) -> str:
    return f"The upstream registry URL {url} does not belong to the upstream registry {registry}"


def credential_not_supported(registry: str) -> str:
    return f"A credential ARN cannot be specified for the upstream registry {registry}"


def option_only_for_ecr(member: str) -> str:
    return f"{member} can only be specified when the upstream registry is ecr"


UPSTREAM_PREFIX_WITH_ROOT = "upstreamRepositoryPrefix can only be specified when ecrRepositoryPrefix is not ROOT"
CROSS_ACCOUNT_NEEDS_ROLE = "customRoleArn must be specified when the upstream registry is in another account"


def upstream_image_unavailable(reference: str, upstream: str, name: str, registry_id: str) -> str:
    return (
        f"Unable to get the image '{reference}' from the upstream repository '{upstream}' for "
        f"{_within_repository(name, registry_id)}"
    )


def upstream_layer_unavailable(digest: str, upstream: str, name: str, registry_id: str) -> str:
    return (
        f"Unable to get the layer with digest '{digest}' from the upstream repository '{upstream}' for "
        f"{_within_repository(name, registry_id)}"
    )


#: BatchGetImage failure reasons of the upstream failure codes
UPSTREAM_FAILURE_TEXT = {
    "UpstreamAccessDenied": "The upstream registry denied access to the image",
    "UpstreamTooManyRequests": "The upstream registry is throttling requests",
    "UpstreamUnavailable": "The upstream registry is unavailable",
}
# -- archive, referrers, signing, pull-time exclusions ---------------------------------------------
# No real answer of these actions is known; the texts follow the model's documentation of each
# error and the phrasing of their siblings above.


def storage_class_unchanged(digest: str, storage_class: str, name: str, registry_id: str) -> str:
    return (
        f"The image with digest '{digest}' in {_within_repository(name, registry_id)} "
        f"is already in the {storage_class} storage class"
    )


def restore_in_progress(digest: str, name: str, registry_id: str) -> str:
    return f"The image with digest '{digest}' in {_within_repository(name, registry_id)} is being restored"


def signing_configuration_not_found(registry_id: str) -> str:
    return f"Signing configuration does not exist for {_registry(registry_id)}"


def exclusion_exists(principal_arn: str, registry_id: str) -> str:
    return f"The pull time update exclusion for '{principal_arn}' already exists in {_registry(registry_id)}"


def exclusion_not_found(principal_arn: str, registry_id: str) -> str:
    return f"The pull time update exclusion for '{principal_arn}' does not exist in {_registry(registry_id)}"


def exclusions_limit(registry_id: str, limit: int) -> str:
    return limit_exceeded(f"Pull time update exclusions in {_registry(registry_id)}", limit)


#: the failure a test asks for with ``MockECR.fail_signing`` when it names none
SIGNING_FAILURE = ("AccessDenied", "The pushing principal is not authorized to sign with the signing profile.")


# -- replication ----------------------------------------------------------------------------------
#: PutReplicationConfiguration naming this registry itself as a destination (as ECR words it)
DESTINATION_IS_SOURCE = "Replication destination cannot be the same as the source registry"


def too_many_replication_destinations(limit: int) -> str:
    return f"A replication configuration can contain at most {limit} unique destinations across all rules"


#: ImageReplicationStatus.failureCode and ReplicationBackfillResult.failureCode. ECR documents
#: no values for these; the mock's codes name the cause.
REPLICATION_ACCESS_DENIED = "ACCESS_DENIED"  # the destination's registry policy does not allow it
REPLICATION_REPOSITORY_NOT_FOUND = "REPOSITORY_NOT_FOUND"  # missing, and not allowed to create it
REPLICATION_LIMIT_EXCEEDED = "LIMIT_EXCEEDED"  # a repository or image quota of the destination
REPLICATION_FAILED = "REPLICATION_FAILED"  # anything else the destination refused

BACKFILL_DESTINATION_NOT_CONFIGURED = (
    "The destination must already be configured in the registry's replication configuration."
)


def backfill_not_found(backfill_id: str, registry_id: str) -> str:
    return f"The replication backfill with id '{backfill_id}' does not exist in the registry with id '{registry_id}'"


def backfill_in_progress(region: str) -> str:
    return f"A replication backfill is already in progress for the destination Region '{region}'"


def backfill_invalid_status(backfill_id: str, status: str) -> str:
    return f"The replication backfill with id '{backfill_id}' cannot be stopped because its status is {status}"
