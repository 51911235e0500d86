"""``python -m mock_ecr serve`` (also the console script ``mock-ecr serve``).

Prints ``mock_ecr listening on http://HOST:PORT`` as its first line on stdout, flushed, once
it answers; runs until SIGINT or SIGTERM; then finishes the requests in flight and exits 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from ...session import ACCOUNT_ENV, DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Session
from .serving import is_loopback, missing_server_library


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="mock-ecr", description="mock_ecr: Amazon ECR answered locally.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="answer the ECR API over HTTP",
        description="Answer the ECR API, layer downloads "
        "and the /_mock_ecr/ control API over HTTP until SIGINT or SIGTERM.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=5000, help="port to bind; 0 picks a free one (default 5000)")
    serve.add_argument(
        "--region",
        default=DEFAULT_REGION,
        help=f"region of requests that name none, e.g. control calls (default {DEFAULT_REGION})",
    )
    serve.add_argument(
        "--account-id", default=None, help=f"the callers' account (default: ${ACCOUNT_ENV}, else {DEFAULT_ACCOUNT_ID})"
    )
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return serve(args)


def serve(args: Any) -> int:
    account_id = args.account_id or os.environ.get(ACCOUNT_ENV) or DEFAULT_ACCOUNT_ID
    if not (len(account_id) == 12 and account_id.isdigit()):
        print(f"mock_ecr: --account-id must be 12 digits, not {account_id!r}", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(f"mock_ecr: --port must be 0 to 65535, not {args.port}", file=sys.stderr)
        return 2
    try:
        import cheroot  # noqa: F401

        from .serving import Server
    except ImportError:
        print(missing_server_library(), file=sys.stderr)
        return 2
    wait_for_stop = _stop_signals()
    session = Session(account_id=account_id, region=args.region)
    server = Server(session, args.host, args.port)
    try:
        server.start()
    except OSError as error:
        print(f"mock_ecr: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    if not is_loopback(args.host):
        print(
            f"mock_ecr: warning: listening on {args.host}, not loopback: anyone who can reach port "
            f"{server.port} can read and change this registry",
            file=sys.stderr,
            flush=True,
        )
    print(f"mock_ecr listening on {server.url}", flush=True)
    try:
        wait_for_stop()
    finally:
        server.stop()
        session.close()
    return 0


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stop_signals() -> Callable[[], None]:
    """Catch SIGINT and SIGTERM from here on; returns the wait for the first of them.

    Where it can, the signals are blocked (the server's threads, started after, inherit the
    mask) and the main thread takes them with ``sigwait``: no handler runs, so none can find
    the main thread holding a lock it needs (an ``Event.set`` in a handler deadlocks when
    the signal lands while ``Event.wait`` holds the event's lock)."""
    if hasattr(signal, "pthread_sigmask") and hasattr(signal, "sigwait"):
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)

        def take() -> None:
            signal.sigwait(_STOP_SIGNALS)

        return take
    stopping = threading.Event()  # elsewhere (Windows): a flag the handler sets, polled

    def on_signal(signum: int, frame: Any) -> None:
        stopping.set()

    for signum in _STOP_SIGNALS:
        signal.signal(signum, on_signal)

    def wait() -> None:
        while not stopping.is_set():
            time.sleep(0.2)

    return wait
