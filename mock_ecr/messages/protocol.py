"""The texts of the wire protocol (AWS JSON) and of the errors every AWS API may answer."""

from __future__ import annotations

# -- the wire protocol --------------------------------------------------------------------------

#: model constraints as ECR words them (``{}`` is the limit)
CONSTRAINTS = {
    "null": "Member must not be null",
    "min_length": "Member must have length greater than or equal to {}",
    "max_length": "Member must have length less than or equal to {}",
    "min_value": "Member must have value greater than or equal to {}",
    "max_value": "Member must have value less than or equal to {}",
    "pattern": "Member must satisfy regular expression pattern: {}",
    "enum": "Member must satisfy enum value set: [{}]",
}


def min_length(limit: int) -> str:
    return CONSTRAINTS["min_length"].format(limit)


NOT_A_STRUCTURE = "Start of structure or map found where not expected."


def wrong_json_type(expected: str, path: str) -> str:
    return f"Expected {expected} at '{path}'"


def invalid_base64(path: str) -> str:
    return f"Invalid base64 at '{path}'"


def unknown_content_type(value: str | None) -> str:
    return f"Unknown operation: Content-Type {value!r} is not application/x-amz-json-1.1"


def unknown_operation(target: str | None) -> str:
    return f"Unknown operation {target!r}"


# -- injected faults ------------------------------------------------------------------------------

#: errors every AWS API may answer: HTTP status and message. The first group is the "Common
#: Errors" section of the ECR API reference (statuses and texts quoted from it, except where
#: a real response's text is known); the second, what AWS JSON services such as ECR answer
#: for bad credentials.
COMMON_ERRORS: dict[str, tuple[int, str]] = {
    "AccessDeniedException": (
        400,
        "User: arn:{partition}:iam::{account}:user/mock-ecr is not authorized to perform: ecr:{operation} "
        "on resource: {resource} because no identity-based policy allows the ecr:{operation} action",
    ),
    "IncompleteSignature": (400, "The request signature does not conform to AWS standards."),
    "InternalFailure": (500, "The request processing has failed because of an unknown error, exception or failure."),
    "InvalidAction": (400, "The action or operation requested is invalid. Verify that the action is typed correctly."),
    "InvalidClientTokenId": (403, "The security token included in the request is invalid."),
    "InvalidParameterCombination": (400, "Parameters that must not be used together were used together."),
    "InvalidParameterValue": (400, "An invalid or out-of-range value was supplied for the input parameter."),
    "InvalidQueryParameter": (400, "The AWS query string is malformed or does not adhere to AWS standards."),
    "MalformedQueryString": (404, "The query string contains a syntax error."),
    "MissingAction": (400, "The request is missing an action or a required parameter."),
    "MissingAuthenticationToken": (403, "Missing Authentication Token"),
    "MissingParameter": (400, "A required parameter for the specified action is not supplied."),
    "OptInRequired": (403, "The AWS access key ID needs a subscription for the service."),
    "RequestExpired": (
        400,
        "The request reached the service more than 15 minutes after the date stamp on the request or more than "
        "15 minutes after the request expiration date (such as for pre-signed URLs), or the date stamp on the "
        "request is more than 15 minutes in the future.",
    ),
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the server."),
    "ThrottlingException": (400, "Rate exceeded"),
    "ValidationError": (400, "The input fails to satisfy the constraints specified by an AWS service."),
    "UnrecognizedClientException": (400, "The security token included in the request is invalid."),
    "ExpiredTokenException": (400, "The security token included in the request is expired"),
    "InvalidSignatureException": (
        400,
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details.",
    ),
}

#: real ECR wording of modeled errors whose text needs only the request's repository
FAULT_TEMPLATES = {
    "RepositoryNotFoundException": (
        "The repository with name '{repository}' does not exist in the registry with id '{registry}'"
    ),
    "RepositoryAlreadyExistsException": (
        "The repository with name '{repository}' already exists in the registry with id '{registry}'"
    ),
    "RepositoryNotEmptyException": (
        "The repository with name '{repository}' in registry with id '{registry}' cannot be deleted "
        "because it still contains images"
    ),
    "RepositoryPolicyNotFoundException": (
        "Repository policy does not exist for the repository with name '{repository}' "
        "in the registry with id '{registry}'"
    ),
    "LifecyclePolicyNotFoundException": (
        "Lifecycle policy does not exist for the repository with name '{repository}' "
        "in the registry with id '{registry}'"
    ),
}
