"""Adjustments to the Pulumi SDK's dynamic-provider host, made from inside it.

Official Pulumi releases run every Python dynamic provider in ``python -m pulumi.dynamic``
(``pulumi/dynamic/__main__.py``). Two of its choices hurt here, and neither can be set:

- **Four operations at once.** It serves gRPC from ``ThreadPoolExecutor(max_workers=4)``.
  A Create or Update that waits for convergence holds a worker for the whole wait, so
  ``pulumi up`` converges 4 services at a time whatever ``--parallel`` says.
- **Tracebacks as messages.** It answers any exception with ``traceback.format_exc()``,
  chained causes included, and that whole text is what ``pulumi up`` prints.

The host imports this package only when it unpickles a provider, after its server
started, so nothing can be passed to it; ``adjust`` (called from the providers'
``configure``, which the host calls once per provider) reaches into the running host
instead: it raises the thread pool's limit (threads are still made only on demand, so
the limit is Pulumi's ``--parallel``) and gives the host's error wrapper a ``traceback``
whose ``format_exc`` returns our message alone for errors raised by this package.

Both steps check the host's shape first (the SDK range is pinned in pyproject) and, if
it changed, leave the host as it is and say so once on stderr, which the CLI shows as a
diagnostic: correctness never depends on them. ``SWARM_PROVIDER_HOST_THREADS=0`` keeps
the stock pool; ``SWARM_PROVIDER_TRACEBACK=1`` keeps the stock, full tracebacks.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
import types
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..errors import SwarmProviderError

HOST_MODULE = "pulumi.dynamic.__main__"
THREADS_ENV = "SWARM_PROVIDER_HOST_THREADS"
TRACEBACK_ENV = "SWARM_PROVIDER_TRACEBACK"
DEFAULT_THREADS = 512
"""The pool's new limit. Threads are started only when an RPC finds none idle, so the
number alive follows what the Pulumi engine sends at once (its ``--parallel``)."""
PACKAGE_FOLDER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
"""The folder of the ``swarm_provider`` package: errors raised from files under it are ours."""

_lock = threading.Lock()
_done = False


def host_module() -> types.ModuleType | None:
    """The running ``python -m pulumi.dynamic`` module, or None outside that host."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    return main if getattr(spec, "name", None) == HOST_MODULE else None


def adjust() -> None:
    """Widen the host's thread pool and shorten its error texts; once per process, and
    only inside the host. Never raises: a host of another shape is left alone."""
    global _done
    host = host_module()
    if host is None:
        return
    with _lock:
        if _done:
            return
        _done = True
    for step in (widen_thread_pool, shorten_errors):
        try:
            problem = step(host)
        except Exception as exc:  # noqa: BLE001 - an adjustment must never break the host
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            _warn(f"{step.__name__}: {problem}")


def _warn(text: str) -> None:
    sys.stderr.write(f"swarm_provider: left the Pulumi provider host as it is ({text})\n")
    sys.stderr.flush()


# --- threads -----------------------------------------------------------------------------


def wanted_threads() -> int:
    raw = os.environ.get(THREADS_ENV, "")
    try:
        return int(raw) if raw.strip() else DEFAULT_THREADS
    except ValueError:
        return DEFAULT_THREADS


def host_thread_pool(host: types.ModuleType) -> ThreadPoolExecutor | None:
    """The executor of the gRPC server that the host's ``main()`` started, found in the
    main thread's frames (``main`` holds it in its local ``server`` while it waits)."""
    frame = sys._current_frames().get(threading.main_thread().ident or -1)
    while frame is not None:
        if frame.f_code.co_name == "main" and frame.f_globals is vars(host):
            server = frame.f_locals.get("server")
            pool = getattr(getattr(server, "_state", None), "thread_pool", None)
            return pool if isinstance(pool, ThreadPoolExecutor) else None
        frame = frame.f_back
    return None


def widen_thread_pool(host: types.ModuleType) -> str:
    """Raise the pool's limit to ``wanted_threads()``; '' when done, else why not."""
    wanted = wanted_threads()
    if wanted <= 0:
        return ""  # asked for the stock pool
    pool = host_thread_pool(host)
    if pool is None:
        return "no gRPC server with a thread pool in its main(); at most its own limit of " \
               "operations run at once"
    limit = getattr(pool, "_max_workers", None)
    if not isinstance(limit, int) or not callable(getattr(pool, "_adjust_thread_count", None)):
        return "the thread pool has no _max_workers/_adjust_thread_count; its limit stays"
    if limit >= wanted:
        return ""
    with pool._shutdown_lock:
        pool._max_workers = wanted
        # RPCs already queued behind the old limit get a thread now, not when one frees.
        for _ in range(min(pool._work_queue.qsize(), wanted)):
            pool._adjust_thread_count()
    return ""


def thread_limit() -> int | None:
    """The host pool's current limit (None outside the host): for tests and logs."""
    host = host_module()
    pool = host_thread_pool(host) if host else None
    return getattr(pool, "_max_workers", None) if pool else None


# --- errors ------------------------------------------------------------------------------


def short_error(exc: BaseException) -> str | None:
    """What the user reads for an exception raised by this package, or None when it isn't
    ours (another dynamic provider in the same host keeps its traceback).

    Our own errors are their message: it already names the service, the input and its
    Engine path, what happened and what to do. Anything else raised from our code is a
    bug: its type, message and the line of ours it came from, and how to see the rest.
    """
    if isinstance(exc, SwarmProviderError):
        return str(exc)
    ours = [entry for entry in traceback.extract_tb(exc.__traceback__)
            if _is_ours(entry.filename)]
    if not ours:
        return None
    where = ours[-1]
    module = os.path.relpath(os.path.abspath(where.filename), PACKAGE_FOLDER)
    return (f"unexpected error in swarm_provider ({module} line {where.lineno}, "
            f"{where.name}): {type(exc).__name__}: {exc} [a bug: please report it; "
            f"{TRACEBACK_ENV}=1 shows the whole traceback]")


def _is_ours(filename: str) -> bool:
    return os.path.abspath(filename).startswith(PACKAGE_FOLDER + os.sep)


class _ShortTraceback(types.ModuleType):
    """Stands in for the ``traceback`` module in the host's namespace only: ``format_exc``
    gives our short text for our errors, and everything else is the real module's."""

    def __init__(self, real: types.ModuleType) -> None:
        super().__init__(real.__name__)
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def format_exc(self, limit: int | None = None, chain: bool = True) -> str:
        exc = sys.exc_info()[1]
        if exc is not None and os.environ.get(TRACEBACK_ENV, "") in ("", "0"):
            short = short_error(exc)
            if short is not None:
                return short
        return str(self._real.format_exc(limit=limit, chain=chain))


def shorten_errors(host: types.ModuleType) -> str:
    """Swap the host's ``traceback`` for ``_ShortTraceback``; '' when done, else why not."""
    namespace = vars(host)
    current = namespace.get("traceback")
    if isinstance(current, _ShortTraceback):
        return ""
    wrapper = namespace.get("_abort_with_traceback")
    inner = [c for c in getattr(getattr(wrapper, "__code__", None), "co_consts", ())
             if isinstance(c, types.CodeType)]
    if current is not traceback or not any(
            {"traceback", "format_exc"} <= set(code.co_names) for code in inner):
        return "its errors are not made by _abort_with_traceback with traceback.format_exc; " \
               "they keep their full tracebacks"
    namespace["traceback"] = _ShortTraceback(traceback)
    return ""
