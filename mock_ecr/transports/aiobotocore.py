"""The aiobotocore door: the async half of ``transports/botocore.py``.

aiobotocore's ``AioEndpoint`` inherits ``Endpoint.make_request`` (which returns the coroutine
of its async ``_send_request``), so the botocore door already sees every aiobotocore and
aioboto3 call, whenever aiobotocore was imported. This module is imported only once such a
call arrives (aiobotocore stays optional) and supplies what differs: an emitter whose ``emit``
is awaited, an ``AioAWSResponse`` whose ``content`` is awaited, and credentials whose
``get_frozen_credentials`` is awaited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiobotocore.awsrequest import AioAWSResponse  # type: ignore[import-not-found,unused-ignore]
from aiobotocore.credentials import AioCredentials  # type: ignore[import-not-found,unused-ignore]

from .botocore import answering

if TYPE_CHECKING:
    from .botocore import Door

_BEFORE_SEND = "before-send."


def credentials(values: dict[str, str]) -> Any:
    return AioCredentials(values["AWS_ACCESS_KEY_ID"], values["AWS_SECRET_ACCESS_KEY"], values["AWS_SESSION_TOKEN"])


class _Body:
    """The ``raw`` of an ``AioAWSResponse``; read only if ``content`` had not been set."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def read(self, amt: int | None = None) -> bytes:
        data, self.data = self.data, b""
        return data


def responder(door: Door) -> Callable[[Any], Awaitable[Any]]:
    async def respond(request: Any) -> Any:
        status, headers, body = door.answer(request)
        response = AioAWSResponse(request.url, status, headers, _Body(body))
        response._content = body
        return response

    return respond


class Emitter:
    """A client's async emitter, except that ``before-send`` is answered by the door."""

    __slots__ = ("_emitter", "_answer", "_door")

    def __init__(self, emitter: Any, answer: Callable[[Any], Awaitable[Any]], door: Door) -> None:
        self._emitter = emitter
        self._answer = answer
        self._door = door

    def emit(self, event_name: str, **kwargs: Any) -> Awaitable[Any]:
        # the client's own emit for every other event: its coroutine, awaited by the caller
        if not event_name.startswith(_BEFORE_SEND):
            return self._emitter.emit(event_name, **kwargs)
        return self._before_send(event_name, kwargs)

    async def _before_send(self, event_name: str, kwargs: dict[str, Any]) -> Any:
        self._door.check_open()
        token = answering.set(True)
        try:
            others = await self._emitter.emit(event_name, **kwargs)
        finally:
            answering.reset(token)
        return [(self._answer, await self._answer(kwargs["request"])), *others]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._emitter, name)
