"""One exception class per ECR error code.

Backend code raises these; the wire layer turns them into the JSON 1.1 error body
(``{"__type": code, "message": text}``) with the class's HTTP status. Each class
carries the code real ECR sends, so ``botocore`` raises a ``ClientError`` whose
``Error.Code`` is exactly what a test would see against AWS.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from botocore.exceptions import ClientError

from . import messages


class ECRError(ClientError):
    """Base of every error the mock answers with; ``code`` defaults to the class name.

    Also a ``botocore.exceptions.ClientError``: an ECR refusal the test tooling raises
    (``push_image`` over a quota, say) is caught by ``except ClientError`` and carries the
    ``response`` dict a boto3 call refused the same way would carry (``Error.Code``,
    ``Error.Message``, ``ResponseMetadata.HTTPStatusCode``, the modeled members), built
    when first read. ``str()`` of the error is ECR's message; ``operation_name`` is the ECR
    operation refused, when the raiser knows it.
    """

    code: str = "ECRError"
    status: int = 400

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            cls.code = cls.__name__

    def __init__(self, message: str = "", **fields: Any) -> None:
        Exception.__init__(self, message)  # not ClientError's: its response is built lazily
        self.message = message
        #: extra members of the modeled error shape (e.g. ``lastValidByteReceived``)
        self.fields = fields
        self.operation_name = ""  # the ECR action refused, when the raiser knows it
        self._response: dict[str, Any] | None = None

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.message, self.fields, self.operation_name))

    @property  # type: ignore[override]
    def response(self) -> dict[str, Any]:
        """What botocore would parse out of this error's HTTP answer."""
        if self._response is None:
            body = json.dumps(self.body(), separators=(",", ":"))
            request_id = str(uuid.uuid4())
            self._response = {
                "Error": {"Message": self.message, "Code": self.code},
                "ResponseMetadata": {
                    "RequestId": request_id,
                    "HTTPStatusCode": self.status,
                    "HTTPHeaders": {
                        "x-amzn-requestid": request_id,
                        "content-type": "application/x-amz-json-1.1",
                        "content-length": str(len(body.encode())),
                    },
                    "RetryAttempts": 0,
                },
                "message": self.message,
                **self.fields,
            }
        return self._response

    @response.setter
    def response(self, value: dict[str, Any]) -> None:
        self._response = value

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message, **self.fields}


# -- client errors (HTTP 400) ---------------------------------------------------------
class BlockedByOrganizationPolicyException(ECRError): ...


class EmptyUploadException(ECRError): ...


class ExclusionAlreadyExistsException(ECRError): ...


class ExclusionNotFoundException(ECRError): ...


class ImageAlreadyExistsException(ECRError): ...


class ImageArchivedException(ECRError): ...


class ImageDigestDoesNotMatchException(ECRError): ...


class ImageNotFoundException(ECRError): ...


class ImageStorageClassUpdateNotSupportedException(ECRError): ...


class ImageTagAlreadyExistsException(ECRError): ...


class InvalidLayerException(ECRError): ...


class InvalidLayerPartException(ECRError): ...


class InvalidParameterException(ECRError): ...


class InvalidTagParameterException(ECRError): ...


class KmsException(ECRError): ...


class LayerAlreadyExistsException(ECRError): ...


class LayerInaccessibleException(ECRError): ...


class LayerPartTooSmallException(ECRError): ...


class LayersNotFoundException(ECRError): ...


class LifecyclePolicyNotFoundException(ECRError): ...


class LifecyclePolicyPreviewInProgressException(ECRError): ...


class LifecyclePolicyPreviewNotFoundException(ECRError): ...


class LimitExceededException(ECRError): ...


class PullThroughCacheRuleAlreadyExistsException(ECRError): ...


class PullThroughCacheRuleNotFoundException(ECRError): ...


class ReferencedImagesNotFoundException(ECRError): ...


class RegistryPolicyNotFoundException(ECRError): ...


class ReplicationBackfillInProgressException(ECRError): ...


class ReplicationBackfillInvalidStatusException(ECRError): ...


class ReplicationBackfillNotFoundException(ECRError): ...


class RepositoryAlreadyExistsException(ECRError): ...


class RepositoryNotEmptyException(ECRError): ...


class RepositoryNotFoundException(ECRError): ...


class RepositoryPolicyNotFoundException(ECRError): ...


class ScanNotFoundException(ECRError): ...


class SecretNotFoundException(ECRError): ...


class SigningConfigurationNotFoundException(ECRError): ...


class TemplateAlreadyExistsException(ECRError): ...


class TemplateNotFoundException(ECRError): ...


class TooManyTagsException(ECRError): ...


class UnableToAccessSecretException(ECRError): ...


class UnableToDecryptSecretValueException(ECRError): ...


class UnableToGetUpstreamImageException(ECRError): ...


class UnableToGetUpstreamLayerException(ECRError): ...


class UnableToListUpstreamImageReferrersException(ECRError): ...


class UnsupportedImageTypeException(ECRError): ...


class UnsupportedUpstreamRegistryException(ECRError): ...


class UploadNotFoundException(ECRError): ...


class ValidationException(ECRError): ...


# -- server error (HTTP 500; botocore retries it) --------------------------------------
class ServerException(ECRError):
    status = 500


# -- protocol-level errors every AWS JSON service answers ------------------------------
class SerializationException(ECRError):
    """The body is not JSON, or a member has the wrong JSON type."""


class UnknownOperationException(ECRError):
    """``X-Amz-Target`` names no ECR operation."""


class MissingAuthenticationTokenException(ECRError):
    """The request carries no ``Authorization`` header (AWS rejects it before ECR sees it)."""

    status = 403
    default_message = "Missing Authentication Token"


def _rebuild(cls: type[ECRError], message: str, fields: dict[str, Any], operation: str) -> ECRError:
    error = cls(message, **fields)
    error.operation_name = operation
    return error


def _all_error_classes() -> dict[str, type[ECRError]]:
    found: dict[str, type[ECRError]] = {}
    pending = list(ECRError.__subclasses__())
    while pending:
        cls = pending.pop()
        found[cls.code] = cls
        pending.extend(cls.__subclasses__())
    return found


#: every error class by its wire code
ERRORS_BY_CODE: dict[str, type[ECRError]] = _all_error_classes()


def repository_not_found(name: str, registry_id: str) -> RepositoryNotFoundException:
    return RepositoryNotFoundException(messages.repository_not_found(name, registry_id))


def invalid_parameter(member: str, constraint: str) -> InvalidParameterException:
    """ECR's wording for a request member that breaks a constraint."""
    return InvalidParameterException(messages.invalid_parameter(member, constraint))


def error_class(code: str) -> type[ECRError]:
    """The class of ``code``; an error a newer botocore model adds gets one on first use."""
    cls = ERRORS_BY_CODE.get(code)
    if cls is None:
        cls = ERRORS_BY_CODE[code] = type(code, (ECRError,), {"__module__": __name__})
    return cls
