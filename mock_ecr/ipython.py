"""The IPython extension: ``%load_ext mock_ecr`` mocks ECR for the rest of the kernel session.

Loading starts one mock and binds it to ``ecr_mock`` in the user's namespace (the name the
pytest fixture has); every boto3 or botocore client the notebook makes, before or after,
is answered by it. ``%unload_ext mock_ecr`` stops it, dropping its state and restoring the
environment; ``%reload_ext mock_ecr`` starts over with an empty registry. Loading again
while loaded keeps the running mock (IPython does not call the loader twice, and the
loader would not start a second mock if it did).
"""

from __future__ import annotations

from typing import Any

from .mock import MockECR

#: the user-namespace name of the kernel session's mock
NAME = "ecr_mock"

_mock: MockECR | None = None


def load_ipython_extension(ipython: Any) -> None:
    global _mock
    if _mock is None or not _mock.active:
        _mock = MockECR().start()
    ipython.push({NAME: _mock})
    print(f"mock_ecr: ECR is mocked for this session as {NAME}; %unload_ext mock_ecr stops it")


def unload_ipython_extension(ipython: Any) -> None:
    global _mock
    mock, _mock = _mock, None
    if mock is None:
        return
    if mock.active:
        mock.stop()
    if ipython.user_ns.get(NAME) is mock:
        del ipython.user_ns[NAME]
