"""mock_ecr: Amazon ECR answered in-process for every botocore client while active."""

from .errors import ECRError
from .mock import MockECR, mock_ecr

__all__ = ["ECRError", "MockECR", "mock_ecr"]
__version__ = "0.1.0"
