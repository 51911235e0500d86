"""The texts of ECR's registry face (Docker Registry HTTP API v2 / OCI distribution).

Most registry refusals relay the ECR API's own text (NAME_UNKNOWN carries RepositoryNotFound's,
TAG_INVALID ImageTagAlreadyExists', MANIFEST_BLOB_UNKNOWN the "required for pushing image"
texts, quotas as DENIED with LimitExceeded's); the ones below are the registry's own.
"""

from __future__ import annotations

# -- authentication -----------------------------------------------------------------------------
#: the plain-text body of ECR's 401 (``curl https://ACCOUNT.dkr.ecr.REGION.amazonaws.com/v2/``)
NOT_AUTHORIZED = "Not Authorized\n"
#: DENIED for an expired password (real: docker's "denied: Your authorization token has expired...")
TOKEN_EXPIRED = "Your authorization token has expired. Reauthenticate and try again."
#: DENIED for a password ECR cannot accept (real, as go-containerregistry reports it)
TOKEN_INVALID = "Your Authorization Token is invalid."


def challenge(registry_host: str) -> str:
    """ECR's ``WWW-Authenticate`` header."""
    return f'Basic realm="https://{registry_host}/",service="ecr.amazonaws.com"'


# -- manifests ---------------------------------------------------------------------------------
#: MANIFEST_UNKNOWN (real: docker's "manifest unknown: Requested image not found")
MANIFEST_UNKNOWN = "Requested image not found"
#: the distribution spec's texts, for refusals ECR's wording is not known for
UNSUPPORTED = "The operation is unsupported."
MANIFEST_TOO_LARGE = "The manifest is larger than the 4 MiB ECR stores"
MANIFEST_NOT_UTF8 = "The manifest is not UTF-8 text"


def reference_invalid(reference: str) -> str:
    return f"Invalid reference '{reference}': not a tag or a digest"


# -- blobs and uploads -----------------------------------------------------------------------------
BLOB_UNKNOWN = "blob unknown to registry"
DIGEST_INVALID = "provided digest did not match uploaded content"
DIGEST_MISSING = "the digest query parameter is required to complete an upload"
RANGE_UNSATISFIABLE = "Requested range not satisfiable"


def digest_unparsable(digest: str) -> str:
    return f"invalid digest '{digest}': must be sha256: and 64 lowercase hex digits"


def content_range_invalid(value: str) -> str:
    return f"Invalid Content-Range '{value}': expected <first>-<last>"


def size_mismatch(declared: int, received: int) -> str:
    return f"The chunk declared {declared} bytes but {received} were received"


# -- listing -----------------------------------------------------------------------------------------
def page_size_invalid(value: str) -> str:
    return f"Invalid value of parameter 'n': '{value}'"
