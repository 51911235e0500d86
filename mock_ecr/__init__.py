"""mock_ecr: Amazon ECR answered in-process for every botocore client while active."""

from typing import Any

from .api.lifecycle import ExpiredImage
from .errors import ECRError
from .mock import MockECR, mock_ecr
from .tooling.faults import Fault
from .tooling.inspection import ImageState, RegistryState, RepositoryState, ScanState, UploadState
from .tooling.recording import Call, CallLog
from .tooling.seeding import PushedImage

__all__ = [
    "Call",
    "CallLog",
    "ECRError",
    "ExpiredImage",
    "Fault",
    "ImageState",
    "MockECR",
    "PushedImage",
    "RegistryState",
    "RepositoryState",
    "ScanState",
    "UploadState",
    "__version__",
    "mock_ecr",
]
#: the one place the version is written (pyproject reads it from here)
__version__ = "0.1.0"


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext mock_ecr``: mock ECR for the kernel session (see ``mock_ecr/ipython.py``)."""
    from .ipython import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext mock_ecr``: stop the kernel session's mock."""
    from .ipython import unload_ipython_extension as unload

    unload(ipython)
