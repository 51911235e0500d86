"""How ``@mock_ecr`` wraps each shape of test: functions, coroutines, generators, classes.

Every wrapper starts a fresh mock (``fresh()``, a factory ``MockECR`` hands in) for exactly
the time its target runs, through the same start/stop as ``with mock_ecr()``:

* a function or coroutine: for the call (a coroutine, until it returns);
* a generator or async generator: for its whole iteration, from the first ``next`` to
  exhaustion or ``close``;
* a sync callable that returns a coroutine, generator or async generator (a coroutine
  function behind a ``functools.wraps`` sync decorator): the returned object runs mocked
  too, and when ``inspect.unwrap`` shows a coroutine function the wrapper is itself a
  coroutine function, so pytest plugins recognise the test as async;
* a class: every test it runs (``test*`` attributes, inherited ones included, plain,
  static and class methods), the per-test hooks pytest and unittest call
  (``setup_method``/``teardown_method``; ``TestCase.run`` spans ``setUp``, the test and
  ``tearDown``), and the class set-up: ``setUpClass``/``tearDownClass`` or
  ``setup_class``/``teardown_class`` run inside one class-long mock, whose state is
  snapshotted when set-up ends and restored (with no calls recorded and no faults
  injected) before each test, so every test starts from what class set-up left.

A hook that raises still ends the activation it started. Anything that is not callable is
refused when it is decorated, with a TypeError saying why.
"""

from __future__ import annotations

import functools
import inspect
import unittest
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .mock import MockECR

Fresh = Callable[[], "MockECR"]
#: called once the mock of a wrapped call is active, with the call's positional arguments
Prepare = Callable[["MockECR", tuple[Any, ...]], None]

#: marks a wrapper this module made, so a class decorated twice is not wrapped twice
WRAPPED = "__mock_ecr_wrapped__"
#: where a class-long mock and its snapshot live while the class runs (the class's own dict)
_CLASS_STATE = "_mock_ecr_class_state"
#: where the mock setup_method started lives until teardown_method (the test instance's dict)
_SPAN = "_mock_ecr_span"


# -- callables ------------------------------------------------------------------------------------
def decorate_callable(fresh: Fresh, func: Any, prepare: Prepare | None = None) -> Any:
    """``func`` wrapped so it runs mocked; a staticmethod/classmethod stays one."""
    if isinstance(func, (staticmethod, classmethod)):
        return type(func)(decorate_callable(fresh, func.__func__, prepare))
    if inspect.isclass(func):
        raise TypeError("decorate_callable() got a class; use the mock itself as the class decorator")
    if not callable(func):
        kind = type(func).__name__
        hint = " (decorate the getter function instead)" if isinstance(func, property) else ""
        raise TypeError(
            f"mock_ecr cannot decorate {func!r}: a {kind} is not callable{hint}; it decorates functions,"
            " methods, coroutine functions, generator functions and classes"
        )
    kind = _kind(func)
    if kind == "asyncgen":
        wrapper = _async_generator_wrapper(fresh, func, prepare)
    elif kind == "coroutine":
        wrapper = _coroutine_wrapper(fresh, func, prepare)
    elif kind == "generator":
        wrapper = _generator_wrapper(fresh, func, prepare)
    else:
        wrapper = _function_wrapper(fresh, func, prepare)
    setattr(wrapper, WRAPPED, True)
    return wrapper


def _kind(func: Any) -> str:
    """The shape of ``func``, looking through ``functools.wraps`` wrappers when it is plain."""
    for candidate in (func, _unwrapped(func)):
        if inspect.isasyncgenfunction(candidate):
            return "asyncgen"
        if inspect.iscoroutinefunction(candidate):
            return "coroutine"
        if inspect.isgeneratorfunction(candidate):
            return "generator"
    return "function"


def _unwrapped(func: Any) -> Any:
    try:
        return inspect.unwrap(func)
    except ValueError:  # a __wrapped__ cycle
        return func


@contextmanager
def _activated(fresh: Fresh, prepare: Prepare | None, args: tuple[Any, ...]) -> Iterator[MockECR]:
    with fresh() as mock:
        if prepare is not None:
            prepare(mock, args)
        yield mock


def _function_wrapper(fresh: Fresh, func: Callable[..., Any], prepare: Prepare | None) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _activated(fresh, prepare, args):
            result = func(*args, **kwargs)
        return _carry(fresh, result)

    return wrapper


def _carry(fresh: Fresh, result: Any) -> Any:
    """A coroutine, generator or async generator a plain callable returned, made to run mocked.

    Their bodies have not started yet, so they run under a mock of their own.
    """
    if inspect.iscoroutine(result):
        return _coroutine_wrapper(fresh, lambda: result, None)()
    if inspect.isgenerator(result):
        return _generator_wrapper(fresh, lambda: result, None)()
    if inspect.isasyncgen(result):
        return _async_generator_wrapper(fresh, lambda: result, None)()
    return result


def _coroutine_wrapper(fresh: Fresh, func: Callable[..., Any], prepare: Prepare | None) -> Callable[..., Any]:
    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _activated(fresh, prepare, args):
            result = func(*args, **kwargs)
            if inspect.isawaitable(result):  # a coroutine function behind a sync wrapper
                result = await result
            return result

    return wrapper


def _generator_wrapper(fresh: Fresh, func: Callable[..., Any], prepare: Prepare | None) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _activated(fresh, prepare, args):
            return (yield from func(*args, **kwargs))

    return wrapper


def _async_generator_wrapper(fresh: Fresh, func: Callable[..., Any], prepare: Prepare | None) -> Callable[..., Any]:
    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        # ``yield from`` does not exist for async generators: send, throw and close by hand
        with _activated(fresh, prepare, args):
            inner = func(*args, **kwargs)
            try:
                value = await inner.__anext__()
            except StopAsyncIteration:
                return
            while True:
                try:
                    sent = yield value
                except GeneratorExit:
                    await inner.aclose()
                    raise
                except BaseException as thrown:  # noqa: BLE001 - handed to the inner generator
                    try:
                        value = await inner.athrow(thrown)
                    except StopAsyncIteration:
                        return
                else:
                    try:
                        value = await inner.asend(sent)
                    except StopAsyncIteration:
                        return

    return wrapper


# -- classes --------------------------------------------------------------------------------------
class _ClassState:
    """The mock a class's set-up runs in, and the state it left."""

    def __init__(self, mock: MockECR, snapshot: Any) -> None:
        self.mock = mock
        self.snapshot = snapshot

    def rewind(self, mock: MockECR) -> None:
        """Back to what class set-up left: registries restored, no calls, no faults."""
        mock.restore(self.snapshot)
        mock.calls.clear()
        mock.clear_errors()


def decorate_class(fresh: Fresh, cls: type) -> type:
    if issubclass(cls, unittest.TestCase):
        _decorate_test_case(fresh, cls)
        class_hooks = ("setUpClass", "tearDownClass")
    else:
        _decorate_tests(fresh, cls)
        if _raw(cls, "setup_method") is not None or _raw(cls, "teardown_method") is not None:
            span_setup_and_teardown(fresh, cls)
        class_hooks = ("setup_class", "teardown_class")
    if any(_raw(cls, name) is not None for name in class_hooks):
        _span_class(fresh, cls, *class_hooks)
    return cls


def _raw(cls: type, name: str) -> Any:
    """The attribute ``name`` as the first class of the MRO declares it (unittest.TestCase's
    and object's own do not count), descriptors unbound; None if none declares it."""
    for klass in cls.__mro__:
        if klass in (object, unittest.TestCase, unittest.IsolatedAsyncioTestCase):
            return None
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def _is_wrapped(raw: Any) -> bool:
    return bool(getattr(getattr(raw, "__func__", raw), WRAPPED, False))


def _class_state(owner: Any) -> _ClassState | None:
    klass = owner if isinstance(owner, type) else type(owner)
    for candidate in klass.__mro__:
        state = candidate.__dict__.get(_CLASS_STATE)
        if state is not None:
            return state
    return None


def _rewinder(cls: type) -> Prepare:
    """Before each test of ``cls``: if class set-up ran, start from what it left, unless
    setup_method (whose mock this one joins) has done so already for this test."""

    def rewind(mock: MockECR, args: tuple[Any, ...]) -> None:
        owner: Any = cls
        if args and (isinstance(args[0], cls) or (isinstance(args[0], type) and issubclass(args[0], cls))):
            owner = args[0]
        if not isinstance(owner, type) and _SPAN in getattr(owner, "__dict__", {}):
            return
        state = _class_state(owner)
        if state is not None:
            state.rewind(mock)

    return rewind


def _decorate_test_case(fresh: Fresh, cls: type[unittest.TestCase]) -> None:
    # TestCase.run drives setUp, the test and tearDown: one activation spans all three,
    # for every test the class runs, inherited or not
    run = cls.run
    if _is_wrapped(run):
        return
    setattr(cls, "run", decorate_callable(fresh, run, _rewinder(cls)))  # noqa: B010


def _decorate_tests(fresh: Fresh, cls: type) -> None:
    """Wrap every ``test*`` attribute ``cls`` has (own and inherited) on ``cls`` itself."""
    rewind = _rewinder(cls)
    for name in dir(cls):
        if not name.startswith("test"):
            continue
        raw = _raw(cls, name)
        if raw is None or inspect.isclass(raw) or _is_wrapped(raw):
            continue
        if isinstance(raw, (staticmethod, classmethod)) or callable(raw):
            setattr(cls, name, decorate_callable(fresh, raw, rewind))


def _call_hook(raw: Any, owner: Any, argument: Any) -> Any:
    """Call a hook as pytest does: bound to ``owner`` (an instance or a class), passing
    ``argument`` only if it takes one (so ``def setup_class(cls)`` gets the class)."""
    binder = getattr(raw, "__get__", None)
    if binder is None:
        bound = raw
    elif isinstance(owner, type):
        bound = binder(None, owner)
    else:
        bound = binder(owner, type(owner))
    code = getattr(_unwrapped(getattr(bound, "__func__", bound)), "__code__", None)
    count = code.co_argcount if code is not None else 1
    if inspect.ismethod(bound):
        count -= 1
    return bound(argument) if count > 0 else bound()


def span_setup_and_teardown(fresh: Fresh, cls: type) -> None:
    """pytest-style classes: setup_method starts a mock that teardown_method stops (each
    inherited or not; the missing one is supplied)."""
    setup, teardown = _raw(cls, "setup_method"), _raw(cls, "teardown_method")
    if _is_wrapped(setup) or _is_wrapped(teardown):
        return

    def setup_method(self: Any, method: Any = None) -> Any:
        span = fresh().start()
        self.__dict__[_SPAN] = span
        try:
            state = _class_state(self)
            if state is not None:
                state.rewind(span)
            if setup is not None:
                return _call_hook(setup, self, method)
            return None
        except BaseException:
            # pytest calls no teardown_method after a failed setup_method: end the span here
            self.__dict__.pop(_SPAN, None)
            span.stop()
            raise

    def teardown_method(self: Any, method: Any = None) -> Any:
        try:
            if teardown is not None:
                return _call_hook(teardown, self, method)
            return None
        finally:
            span = self.__dict__.pop(_SPAN, None)
            if span is not None:
                span.stop()

    for hook in (setup_method, teardown_method):
        setattr(hook, WRAPPED, True)
    setattr(cls, "setup_method", setup_method)  # noqa: B010
    setattr(cls, "teardown_method", teardown_method)  # noqa: B010


def _span_class(fresh: Fresh, cls: type, setup_name: str, teardown_name: str) -> None:
    """Class set-up and tear-down inside one mock; set-up's state is snapshotted for the tests."""
    setup, teardown = _raw(cls, setup_name), _raw(cls, teardown_name)
    if _is_wrapped(setup) or _is_wrapped(teardown):
        return

    def class_setup(klass: type) -> None:
        mock = fresh().start()
        try:
            if setup is not None:
                _call_hook(setup, klass, klass)
            else:
                getattr(super(cls, klass), setup_name, lambda: None)()
            snapshot = mock.snapshot()
        except BaseException:
            mock.stop()  # no tear-down follows a failed set-up
            raise
        type.__setattr__(klass, _CLASS_STATE, _ClassState(mock, snapshot))

    def class_teardown(klass: type) -> None:
        state = klass.__dict__.get(_CLASS_STATE)
        try:
            if teardown is not None:
                _call_hook(teardown, klass, klass)
            else:
                getattr(super(cls, klass), teardown_name, lambda: None)()
        finally:
            if state is not None:
                type.__delattr__(klass, _CLASS_STATE)
                state.mock.stop()

    for hook in (class_setup, class_teardown):
        setattr(hook, WRAPPED, True)
    setattr(cls, setup_name, classmethod(class_setup))
    setattr(cls, teardown_name, classmethod(class_teardown))
