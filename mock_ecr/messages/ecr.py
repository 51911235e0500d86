"""The texts of ECR's own answers: repositories, images, layers, lifecycle, scanning, settings."""

from __future__ import annotations

from .protocol import CONSTRAINTS

# -- shared shapes ----------------------------------------------------------------------------


def invalid_parameter(member: str, constraint: str) -> str:
    """ECR's wording for a request member that breaks a constraint."""
    return f"Invalid parameter at '{member}' failed to satisfy constraint: '{constraint}'"


def _in_repository(name: str, registry_id: str) -> str:
    return f"the repository with name '{name}' in registry with id '{registry_id}'"


def _within_repository(name: str, registry_id: str) -> str:
    return f"the repository with name '{name}' in the registry with id '{registry_id}'"


def digest_list(digests: list[str]) -> str:
    return "[" + ", ".join(digests) + "]"


def not_implemented(operation: str, supported: list[str]) -> str:
    return f"mock_ecr does not implement the ECR action {operation}; supported actions: {', '.join(supported)}"


def limit_exceeded(quota: str, value: int) -> str:
    return f"The operation did not succeed because it would cause a service limit to be exceeded. {quota}: {value}"


def max_length(limit: int) -> str:
    """The model constraint's wording for a text over its length quota."""
    return CONSTRAINTS["max_length"].format(limit)


# -- repositories -------------------------------------------------------------------------------


def repository_not_found(name: str, registry_id: str) -> str:
    return f"The repository with name '{name}' does not exist in the registry with id '{registry_id}'"


def repository_exists(name: str, registry_id: str) -> str:
    return f"The repository with name '{name}' already exists in the registry with id '{registry_id}'"


def repository_not_empty(name: str, registry_id: str) -> str:
    return (
        f"The repository with name '{name}' in registry with id '{registry_id}' "
        "cannot be deleted because it still contains images"
    )


KMS_KEY_NEEDS_KMS = "kmsKey can only be specified when encryptionType is KMS or KMS_DSSE"


def exclusion_filters_required(mode: str) -> str:
    return f"must be specified when imageTagMutability is {mode}"


EXCLUSION_FILTERS_NOT_ALLOWED = (
    "can only be specified when imageTagMutability is IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION"
)


def images_limit(name: str, registry_id: str, limit: int) -> str:
    return (
        f"The repository with name '{name}' in registry with id '{registry_id}' "
        f"already has the maximum allowed number of images which is '{limit}'"
    )


# -- tags ---------------------------------------------------------------------------------------
TAG_KEY_LENGTH = "Tag key must be between 1 and 128 characters long"
TAG_VALUE_LENGTH = "Tag value must be at most 256 characters long"
TAG_KEY_RESERVED = "Tag keys starting with 'aws:' are reserved for system use"
INVALID_ARN = "Invalid ARN"


def too_many_tags(limit: int) -> str:
    return f"A resource can have at most {limit} tags"


# -- repository policies ------------------------------------------------------------------------
INVALID_POLICY = "Invalid repository policy provided"


def policy_not_found(name: str, registry_id: str) -> str:
    return f"Repository policy does not exist for {_within_repository(name, registry_id)}"


# -- paging -------------------------------------------------------------------------------------
INVALID_NEXT_TOKEN = "Invalid next token provided"
NO_PAGING_WITH_IDS = "cannot be specified together with maxResults or nextToken"

# -- manifests and images -----------------------------------------------------------------------
#: ECR's one refusal for every manifest it cannot read (seen in real answers)
INVALID_MANIFEST = "Invalid JSON syntax"
IMAGE_DIGEST_PATTERN = "[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+"
#: BatchGetImage / BatchDeleteImage failure reasons by failure code
FAILURE_TEXT = {
    "ImageNotFound": "Requested image not found",
    "ImageTagDoesNotMatchDigest": "Invalid request parameters: given tag does not map to the given digest",
    "MissingDigestAndTag": "Invalid request parameters: both tag and digest cannot be null",
    "InvalidImageDigest": f"Invalid request parameters: image digest should satisfy the regex '{IMAGE_DIGEST_PATTERN}'",
}


def referenced_by_manifest_list(digests: list[str]) -> str:
    return f"Requested image referenced by manifest list: {digest_list(digests)}"


def image_not_found(digest: str, tag: str, name: str, registry_id: str) -> str:
    return (
        f"The image with imageId {{imageDigest:'{digest}', imageTag:'{tag}'}} does not exist within "
        f"{_within_repository(name, registry_id)}"
    )


DIGEST_DOES_NOT_MATCH = "The specified image digest does not match the digest that Amazon ECR calculated for the image."


def image_exists(digest: str, tag: str, name: str, registry_id: str) -> str:
    return f"Image with digest '{digest}' and tag '{tag}' already exists in {_in_repository(name, registry_id)}"


def tag_immutable(tag: str, name: str) -> str:
    return (
        f"The image tag '{tag}' already exists in the '{name}' repository and cannot be "
        "overwritten because the tag is immutable."
    )


def layers_missing_for_push(digests: list[str], name: str, registry_id: str) -> str:
    return (
        f"Layers with digests '{digest_list(digests)}' required for pushing image into repository with name "
        f"'{name}' in the registry with id '{registry_id}' do not exist"
    )


def images_missing_for_push(digests: list[str], name: str, registry_id: str) -> str:
    return (
        f"Images with digests '{digest_list(digests)}' required for pushing image into repository with name "
        f"'{name}' in the registry with id '{registry_id}' do not exist"
    )


# -- layers and uploads -------------------------------------------------------------------------
LAYER_NOT_FOUND_REASON = "Requested layer not found"
INVALID_LAYER_DIGEST_REASON = (
    f"Invalid request parameters: layer digest should satisfy the regex '{IMAGE_DIGEST_PATTERN}'"
)


def layer_not_found(digest: str, name: str, registry_id: str) -> str:
    """Real (monken/aws-ecr-public#11)."""
    return f"The layer with digest '{digest}' does not exist within {_within_repository(name, registry_id)}"


def layer_inaccessible(digest: str, name: str, registry_id: str) -> str:
    return (
        f"The layer with digest '{digest}' is not associated with an image in {_within_repository(name, registry_id)}"
    )


def upload_not_found(upload_id: str, name: str, registry_id: str) -> str:
    return f"The upload with id '{upload_id}' does not exist in {_in_repository(name, registry_id)}"


def part_first_byte(first: int, expected: int) -> str:
    """Real (the registry endpoint relays it)."""
    return f"First byte of the layer part is {first} instead of {expected}"


EMPTY_PART = "The layer part must contain at least one byte"


def part_last_byte(last: int, expected: int) -> str:
    return f"Last byte of the layer part is {last} instead of {expected}"


def part_too_large(size: int, limit: int) -> str:
    return f"The layer part size {size} exceeds the maximum layer part size of {limit} bytes"


def empty_upload(upload_id: str, name: str, registry_id: str) -> str:
    """Real (CloudTrail, devcontainers/cli#814)."""
    return (
        f"The upload with id '{upload_id}' in {_in_repository(name, registry_id)} "
        "cannot be completed because it does not have any parts"
    )


def part_too_small(min_mebibytes: int) -> str:
    """Real (CloudTrail, dotnet/sdk-container-builds#424)."""
    return f"All layer parts except the last part should be at least {min_mebibytes}MB"


LAYER_DIGEST_MISMATCH = "None of the provided layer digests match the calculated layer digest"


def layer_exists(digest: str, name: str, registry_id: str) -> str:
    return f"The layer with digest '{digest}' already exists in {_in_repository(name, registry_id)}"


# -- lifecycle policies -------------------------------------------------------------------------


def lifecycle_policy_not_found(name: str, registry_id: str) -> str:
    """Real; the preview texts below follow it."""
    return f"Lifecycle policy does not exist for {_within_repository(name, registry_id)}"


def lifecycle_preview_not_found(name: str, registry_id: str) -> str:
    return f"Lifecycle policy preview does not exist for {_within_repository(name, registry_id)}"


def lifecycle_preview_in_progress(name: str, registry_id: str) -> str:
    return f"Lifecycle policy preview is already in progress for {_within_repository(name, registry_id)}"


def lifecycle_validation_failure(member: str, detail: str, *, closed: bool) -> str:
    """ECR closes the constraint's quote after its own details, not after schema output."""
    text = (
        f"Invalid parameter at '{member}' failed to satisfy constraint: 'Lifecycle policy validation failure: {detail}"
    )
    return text + "'" if closed else text


# Details of lifecycle policy validation. Seen in real ECR answers: ONE_OF, TAGGED_NEEDS_LIST,
# ONE_UNTAGGED_RULE, ANY_RULE_LAST (its final period is inferred), and the fge type message.
# NOT_MAPPABLE is moto's copy. The rest enforce documented rules in ECR's style.
NOT_MAPPABLE = "Could not map policyString into LifecyclePolicy."
ONE_OF = "instance failed to match exactly one schema (matched 0 out of 2)"
TAGGED_NEEDS_LIST = "Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED."
TAGGED_BOTH_LISTS = "If policy has a tagged rule, it must specify only one of tagPrefixList or tagPatternList."
UNTAGGED_WITH_LIST = "Cannot specify tagPrefixList or tagPatternList when tagStatus=UNTAGGED."
ANY_WITH_LIST = "Cannot specify tagPrefixList or tagPatternList when tagStatus=ANY."
DUPLICATE_PRIORITY = "Duplicate priority in multiple rules."
ONE_UNTAGGED_RULE = "Only one rule can select Untagged images per storage class."
ANY_RULE_LAST = "Rule for tagStatus=ANY must have the lowest priority per storage class."
STANDARD_ONLY = (
    "SINCE_IMAGE_PUSHED, SINCE_IMAGE_PULLED and IMAGE_COUNT_MORE_THAN support the STANDARD storage class only."
)
ARCHIVE_ONLY = "SINCE_IMAGE_TRANSITIONED supports the ARCHIVE storage class only."
NO_TRANSITION_FROM_ARCHIVE = "Images in the ARCHIVE storage class cannot be transitioned."
EMPTY_RULES = "array is too short: must have at least 1 elements but instance has 0 elements"
MISSING_ACTION_TYPE = 'object has missing required properties (["type"])'


def archive_min_days(days: int) -> str:
    return f"Images in the ARCHIVE storage class cannot be expired before {days} days since transition."


def too_many_wildcards(pattern: str, limit: int) -> str:
    return f"Tag pattern '{pattern}' has more than {limit} wildcards (*)."


def wrong_type(actual: str, allowed: str) -> str:
    return f"instance type ({actual}) does not match any allowed primitive type (allowed: {allowed})"


def missing_properties(names: str) -> str:
    return f"object has missing required properties ({names})"


def unwanted_properties(names: str) -> str:
    return f"object instance has properties which are not allowed by the schema: {names}"


def not_in_enum(value: str, choices: str) -> str:
    return f"instance value ({value}) not found in enum (possible values: {choices})"


def below_minimum(value: int) -> str:
    return f"numeric instance is lower than the required minimum (minimum: 1, found: {value})"


def too_many_rules(limit: int, count: int) -> str:
    return f"array is too long: must have at most {limit} elements but instance has {count} elements"


# -- scanning ---------------------------------------------------------------------------------


def scan_not_found(digest: str, tag: str, name: str, registry_id: str) -> str:
    return (
        f"Image scan does not exist for the image with '{{imageDigest:'{digest}', imageTag:'{tag}'}}' in "
        f"{_within_repository(name, registry_id)}"
    )


MANUAL_SCAN_UNDER_ENHANCED = (
    "Manual image scans are not supported when the registry is configured for enhanced scanning"
)
IMAGE_ARCHIVED_SCAN = "The specified image is archived and cannot be scanned."
UNSUPPORTED_SCAN_TYPE = "The image is of a type that cannot be scanned."
SCAN_LIMIT = "The scan quota per image has been exceeded. Wait and try again."


def duplicate_scan_frequency(frequency: str) -> str:
    return f"Duplicate scan frequency {frequency} in scanning rules"


def scan_frequency_unsupported(frequency: str, scan_type: str) -> str:
    return f"Scan frequency {frequency} is not supported for scan type {scan_type}"


# -- registry settings --------------------------------------------------------------------------


def registry_policy_not_found(registry_id: str) -> str:
    return f"Registry policy does not exist in the registry with id '{registry_id}'"


INVALID_REGISTRY_POLICY = "Invalid registry policy provided"


def setting_values(name: str, values: list[str] | tuple[str, ...]) -> str:
    return f"Valid values for {name} are: [{', '.join(values)}]"


# -- repository creation templates ----------------------------------------------------------------


def template_not_found(prefix: str, registry_id: str) -> str:
    return f"The repository creation template with prefix '{prefix}' does not exist in {_registry(registry_id)}"


def template_exists(prefix: str, registry_id: str) -> str:
    return f"The repository creation template with prefix '{prefix}' already exists in {_registry(registry_id)}"


def _registry(registry_id: str) -> str:
    return f"the registry with id '{registry_id}'"


KMS_KEY_ONLY_WITH_KMS = "kmsKey can only be specified when encryptionType is KMS or KMS_DSSE"
RESERVED_TAG_KEY = "Tag keys starting with 'aws:' are reserved for system use"
INVALID_ROLE_ARN = "Invalid role ARN provided"
ROLE_OTHER_ACCOUNT = "The role must be in the same account as the registry"
