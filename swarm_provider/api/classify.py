"""Engine failures classified once, where they come back, and reads retried.

Every call into docker-py runs inside ``engine_errors``: a refusal becomes the
``EngineError`` subclass that says what it was (``NotFound``, ``NameConflict``,
``OutOfSequence``, ``InUse``, ``TransientEngineError``), with a message that names the
object and quotes the engine, chained from docker's exception. Callers catch the class;
nobody inspects status codes or message texts after this point.

Reads (``@read``) are retried after a transient failure, with the pauses of
``READ_PAUSES`` (3.7 s in all, far below any wait's timeout). Writes are not decorated:
a write whose answer was lost is judged by the caller's next read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from ..errors import (
    EngineError,
    InUse,
    NameConflict,
    NotFound,
    OutOfSequence,
    TransientEngineError,
    object_label,
)

READ_PAUSES = (0.2, 0.5, 1.0, 2.0)
"""Seconds between the attempts of a read that failed transiently (five attempts)."""
P = ParamSpec("P")
R = TypeVar("R")

_IN_USE = ("in use", "active endpoints")
"""How the engine words a refused delete: secrets and configs are "in use by the
following service", a network "has active endpoints"."""


def api_error_class(status: int, said: str) -> type[EngineError]:
    """The class of an answer with this HTTP status and explanation (pure).

    The message is read only where the status is ambiguous: 500 means both "out of
    sequence" and a lost leader, 400 and 403 both "in use" and a bad request.
    """
    if status == 404:
        return NotFound
    if status == 409:
        return NameConflict
    if "update out of sequence" in said:
        return OutOfSequence
    if any(words in said for words in _IN_USE):
        return InUse
    return TransientEngineError if status >= 500 and status != 501 else EngineError


@contextmanager
def engine_errors(action: str, name: str | None = None, object_id: str | None = None,
                  kind: str = "service") -> Iterator[None]:
    """Turn docker-py and requests errors into the ``EngineError`` class they mean."""
    import requests
    from docker.errors import APIError, DockerException

    transient = (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                 requests.exceptions.ChunkedEncodingError)
    label = object_label(kind, name, object_id)
    try:
        yield
    except APIError as exc:
        said = str(exc.explanation or exc)
        status = exc.status_code or 0
        error = api_error_class(status, said)
        raise error(f"{action} {label} failed: engine said {status} {said}") from exc
    except DockerException as exc:
        raise EngineError(f"{action} {label} failed: {exc}") from exc
    except transient as exc:
        raise TransientEngineError(f"{action} {label} failed: the engine did not answer "
                                   f"({type(exc).__name__}: {exc})") from exc
    except requests.exceptions.RequestException as exc:
        raise EngineError(f"{action} {label} failed: {exc}") from exc


def read(function: Callable[P, R]) -> Callable[P, R]:
    """Retry a read after a ``TransientEngineError`` (pauses: ``READ_PAUSES``); the last
    failure is raised as it came."""
    @wraps(function)
    def retried(*args: P.args, **kwargs: P.kwargs) -> R:
        for pause in READ_PAUSES:
            try:
                return function(*args, **kwargs)
            except TransientEngineError:
                time.sleep(pause)
        return function(*args, **kwargs)
    return retried


def pause_after(attempt: int) -> float:
    """The pause before the next attempt of a write whose outcome was unknown."""
    return READ_PAUSES[min(attempt, len(READ_PAUSES) - 1)]


def absent(action: Callable[[], R]) -> R | None:
    """``action()``, or None where the engine answers that the object is not there."""
    try:
        return action()
    except NotFound:
        return None


Json = dict[str, Any]
