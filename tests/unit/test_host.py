"""``swarm_provider.providers.host`` against the installed SDK's provider host
(issues #13.1, #12.4).

The host module is loaded from the SDK's own ``pulumi/dynamic/__main__.py`` without its
last line (``main()``, which serves forever), so these checks follow the SDK's shape: if
a new SDK wraps errors differently, ``shorten_errors`` reports it instead of patching.
"""

from __future__ import annotations

import importlib.util
import re
import types
from typing import Any

import grpc
import pytest

from swarm_provider.errors import ConflictError, EngineError
from swarm_provider.providers import host


def sdk_host() -> types.ModuleType:
    spec = importlib.util.find_spec(host.HOST_MODULE)
    assert spec is not None and spec.origin
    source = open(spec.origin).read()
    assert source.rstrip().endswith("main()"), "the SDK's host no longer ends by serving"
    module = types.ModuleType("__main__")
    module.__spec__ = spec
    exec(compile(source.rstrip()[: -len("main()")], spec.origin, "exec"), vars(module))
    return module


class Aborted(Exception):
    pass


class Context:
    """What the gRPC handler gets: ``abort`` raises, as grpc's does."""

    def __init__(self) -> None:
        self.details = ""

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.details = details
        raise Aborted(details)


def _failing_create(module: types.ModuleType, error: BaseException) -> str:
    """The text the host's Create handler answers when the provider raises ``error``."""

    def create(self: Any, request: Any, context: Any) -> None:
        def provider_code() -> None:
            try:
                raise KeyError("the cause")
            except KeyError as cause:
                raise error from cause

        provider_code()

    handler = module._abort_with_traceback(create)
    context = Context()
    with pytest.raises(Aborted):
        handler(None, None, context)
    return context.details


def test_our_errors_are_their_message_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    module = sdk_host()
    error = ConflictError("service 'web' (id abc) was changed outside Pulumi; run `pulumi "
                          "refresh`")
    before = _failing_create(module, error)
    assert "Traceback (most recent call last)" in before and "the cause" in before
    assert host.shorten_errors(module) == ""
    assert _failing_create(module, error) == str(error)
    # Other dynamic providers in the same host keep their tracebacks.
    foreign = _failing_create(module, RuntimeError("someone else's"))
    assert "Traceback (most recent call last)" in foreign
    # The whole traceback on demand.
    monkeypatch.setenv(host.TRACEBACK_ENV, "1")
    assert "the cause" in _failing_create(module, error)
    assert host.shorten_errors(module) == "", "a second call changes nothing"


def test_a_bug_of_ours_says_where_and_how_to_see_more() -> None:
    from swarm_provider.errors import service_label

    try:
        service_label("web", 12345)  # type: ignore[arg-type]  # an int id: a TypeError in ours
    except TypeError as exc:
        text = host.short_error(exc)
    assert text is not None
    assert re.fullmatch(r"unexpected error in swarm_provider \(errors\.py line \d+, "
                        r"object_label\): TypeError: .*subscriptable \[a bug: please report it; "
                        r"SWARM_PROVIDER_TRACEBACK=1 shows the whole traceback\]", text), text
    error = EngineError("creating service 'web' failed: engine said 400 bad")
    assert host.short_error(error) == str(error)


def test_a_host_of_another_shape_is_left_alone(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("__main__")
    module.__spec__ = importlib.util.find_spec(host.HOST_MODULE)
    assert "no gRPC server" in host.widen_thread_pool(module)
    assert "_abort_with_traceback" in host.shorten_errors(module)
    monkeypatch.setitem(__import__("sys").modules, "__main__", module)
    monkeypatch.setattr(host, "_done", False)
    host.adjust()
    host.adjust()
    warned = capsys.readouterr().err.splitlines()
    assert len(warned) == 2, warned  # once per step, once per process
    assert all(line.startswith("swarm_provider: left the Pulumi provider host as it is")
               for line in warned)


def test_outside_the_host_nothing_happens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host, "_done", False)
    host.adjust()
    assert host._done is False
    assert host.thread_limit() is None
