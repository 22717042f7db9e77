"""The one door to docker-py's private HTTP helpers.

docker-py's public methods build the request body from keyword arguments (and re-send
engine defaults on update), so a complete spec we built ourselves goes out as raw JSON,
and secrets, configs and task logs have no public call that does what is needed. Those
requests pass through ``request`` and nowhere else: if docker-py renames a helper, this
is the one function to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import docker

Answer = Literal["json", "none", "logs"]


def request(api: docker.APIClient, method: Literal["GET", "POST", "DELETE"], path: str,
            *path_args: str, body: Mapping[str, Any] | None = None,
            params: Mapping[str, Any] | None = None, answer: Answer = "json",
            tty: bool = False, timeout: float | None = None) -> Any:
    """Send ``method path`` (``{0}`` in ``path`` is filled from ``path_args``, escaped).

    ``answer`` says what comes back: the decoded JSON, nothing (the status is checked),
    or a log stream as bytes (``tty``: one raw stream, else multiplexed frames). Errors
    are docker-py's; run this inside ``classify.engine_errors``.
    """
    url = api._url(path, *path_args)
    extra: dict[str, Any] = {"params": dict(params)} if params is not None else {}
    if method == "POST":
        reply = api._post_json(url, data=dict(body or {}), **extra)
    elif method == "DELETE":
        reply = api._delete(url, **extra)
    elif answer == "logs":
        reply = api._get(url, stream=False, timeout=timeout, **extra)
    else:
        reply = api._get(url, **extra)
    if answer == "json":
        return api._result(reply, True)
    if answer == "logs":
        return api._get_result_tty(False, reply, tty)
    api._raise_for_status(reply)
    return None
