"""boto3's default session under the mock: a clean one per outermost activation, made cheaply.

``boto3.client()`` uses ``boto3.DEFAULT_SESSION``, which caches the credentials, profile and
config it first resolved, so each outermost activation starts without one and boto3 makes
it on demand (``transports.inprocess``). Made from scratch, that session reads and parses
botocore's data files again, about 100 ms for every test that calls ``boto3.client()``.

While a mock is active, ``boto3.setup_default_session`` (what boto3 calls to make the
default session) makes it here instead: its own botocore session, event emitter,
credentials, config and components, as fresh as boto3's, except for two things built once
per process and shared by the sessions made here:

* botocore's builtin event handlers, registered once on a template emitter that each
  session gets a copy of (as each botocore client gets a copy of its session's);
* the data loader (one per ``AWS_DATA_PATH``), whose cache holds the parsed model files,
  which do not change while the process runs.

The patch restores exactly what it replaced; when ``setup_default_session`` was already
replaced by someone else, or is called with a ``botocore_session``, it is left to do the work.
"""

from __future__ import annotations

import copy
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import botocore.session
from botocore import handlers
from botocore.hooks import EventAliaser, HierarchicalEmitter
from botocore.loaders import Loader, create_loader

__all__ = ["install", "uninstall"]

_lock = threading.Lock()
#: held while a session is made: boto3 changes the shared loader's search paths
_making = threading.Lock()
_template: HierarchicalEmitter | None = None
#: ``AWS_DATA_PATH`` -> the loader shared by the sessions made here
_loaders: dict[str | None, Loader] = {}
#: (the ``setup_default_session`` found at install, ours), while installed
_installed: tuple[Callable[..., Any], Callable[..., Any]] | None = None


def _builtin_handlers() -> HierarchicalEmitter:
    """A copy of an emitter holding botocore's builtin handlers, registered as
    ``botocore.session.Session`` registers them."""
    global _template
    with _lock:
        if _template is None:
            template = HierarchicalEmitter()
            events = EventAliaser(template)
            for spec in handlers.BUILTIN_HANDLERS:
                if len(spec) == 2:
                    events.register(spec[0], spec[1])
                elif spec[2] is handlers.REGISTER_FIRST:
                    events.register_first(spec[0], spec[1])
                elif spec[2] is handlers.REGISTER_LAST:
                    events.register_last(spec[0], spec[1])
            _template = template
        return copy.copy(_template)


def _loader(data_path: str | None) -> Loader:
    with _lock:
        loader = _loaders.get(data_path)
        if loader is None:
            loader = _loaders[data_path] = create_loader(data_path)
        return loader


def clean_session(**kwargs: Any) -> Any:
    """A new ``boto3.Session(**kwargs)`` with its own botocore session (see the module docstring)."""
    import boto3

    core = botocore.session.Session(event_hooks=_builtin_handlers(), include_builtin_handlers=False)
    loader = _loader(core.get_config_variable("data_path"))
    core.register_component("data_loader", loader)
    with _making:
        paths = list(loader.search_paths)
        session = boto3.Session(botocore_session=core, **kwargs)
        # boto3 appends its own data directory to the loader's paths: once is enough
        loader.search_paths[:] = paths + [path for path in loader.search_paths[len(paths) :] if path not in paths]
    return session


def _is_boto3s(function: Any) -> bool:
    return getattr(function, "__module__", None) == "boto3" and getattr(function, "__name__", None) == (
        "setup_default_session"
    )


def install() -> None:
    """Make boto3's default session here from now on (boto3 imported, and not patched by others)."""
    global _installed
    boto3: Any = sys.modules.get("boto3")
    if boto3 is None or _installed is not None:
        return
    previous: Callable[..., Any] | None = boto3.__dict__.get("setup_default_session")
    if previous is None or not _is_boto3s(previous):
        return  # someone else's: theirs makes the session

    def setup_default_session(**kwargs: Any) -> None:
        if _installed is None or _installed[1] is not setup_default_session or "botocore_session" in kwargs:
            return previous(**kwargs)  # uninstalled (a stale reference), or not ours to make
        boto3.DEFAULT_SESSION = clean_session(**kwargs)
        return None

    setup_default_session.__doc__ = previous.__doc__
    _installed = (previous, setup_default_session)
    boto3.setup_default_session = setup_default_session


def uninstall() -> None:
    """Put back the ``setup_default_session`` found at ``install``."""
    global _installed
    installed, _installed = _installed, None
    boto3: Any = sys.modules.get("boto3")
    if installed is None or boto3 is None:
        return
    previous, ours = installed
    if boto3.__dict__.get("setup_default_session") is ours:
        boto3.setup_default_session = previous
    # else: patched over while active; ours passes every call on from now on


def _after_fork_in_child() -> None:
    """A forked child gets fresh locks: a parent thread that held one does not exist there."""
    global _lock, _making
    _lock, _making = threading.Lock(), threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
