"""Progress of a long wait, shown on the resource's own row of ``pulumi up``.

What Pulumi lets a Python dynamic provider do (pulumi 3.272 SDK, CLI 3.274):

- ``pulumi.log`` goes nowhere useful here: the provider host process
  (``python -m pulumi.dynamic``) configures no engine connection, so ``pulumi.log.info``
  prints ``info: ...`` on stderr. The CLI turns every stderr line of a dynamic provider
  plugin into an ``info`` diagnostic with no resource (``isDynamicPluginBinary`` in
  sdk/go/common/resource/plugin/plugin.go): it lands under the stack's "Diagnostics" at the
  end, not on the service's row, and stays there for good.
- The engine's own ``Log`` RPC (pulumirpc.Engine) takes a resource URN and an
  ``ephemeral`` flag. An ephemeral message is a *status*: the CLI shows the latest one in
  the resource's row while the step runs (interactive: the row's info column, updated in
  place; non-interactive, as in CI or the Automation API: the row is printed again with
  the message appended) and leaves it out of the final diagnostics. That is the channel
  providers such as Kubernetes use for "1/3 replicas available", and the one used here.
- The plugin gets the engine's address as its last command-line argument (``newPlugin`` is
  given ``host.ServerAddr()``). The SDK does not pass the resource URN to ``create`` or
  ``update``; it is read from the ``request`` of the gRPC handler frame that called us.

Outside a provider host process (tests calling the provider directly) messages go to the
``swarm_provider`` logger at INFO. Progress is best effort: a failure to report never
fails a deployment.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Callable
from typing import Any

LOG = logging.getLogger("swarm_provider")
Report = Callable[[str], None]

_ADDRESS = re.compile(r"^[\w.\-\[\]:]+:\d+$")
_HANDLERS = ("Create", "Update", "Delete", "Read")
_lock = threading.Lock()
_engine: Any = None
_engine_ready = False


def reporter(label: str) -> Report:
    """A function that shows a status line for the resource being created or updated."""
    urn = _current_urn()
    engine = _engine_stub() if urn else None
    last: list[str] = []

    def report(message: str) -> None:
        if last and last[0] == message:
            return  # non-interactive displays print every status: only changes
        last[:] = [message]
        LOG.info("%s: %s", label, message)
        if engine is not None:
            _send(engine, urn, message)

    return report


def note(label: str, message: str) -> None:
    """A lasting info diagnostic on the resource being created or updated: the CLI lists
    it under the resource in "Diagnostics" (``adopted existing service ...``).

    That is as far as a dynamic provider can go to say "adopted, not created": the engine
    chose a create step (there is no state) before the provider runs, and nothing in a
    CreateResponse can change the step's op or the "+ 1 created" of the summary.
    """
    urn = _current_urn()
    engine = _engine_stub() if urn else None
    LOG.info("%s: %s", label, message)
    if engine is not None:
        _send(engine, urn, message, ephemeral=False)


def _send(engine: Any, urn: str, message: str, ephemeral: bool = True) -> None:
    global _engine
    try:
        from pulumi.runtime.proto import engine_pb2

        request = engine_pb2.LogRequest(severity=engine_pb2.INFO, message=message, urn=urn,
                                        streamId=0, ephemeral=ephemeral)
        engine.Log(request, timeout=5)
    except Exception as exc:  # noqa: BLE001 - progress must never fail a deployment
        LOG.debug("status not sent to the Pulumi engine: %s", exc)
        with _lock:
            _engine = None  # stop trying for the rest of this process


def _engine_stub() -> Any:
    """A client of the Pulumi engine that started this provider host process, or None."""
    global _engine, _engine_ready
    with _lock:
        if _engine_ready:
            return _engine
        _engine_ready = True
        address = engine_address(sys.argv)
        if address is None:
            return None
        try:
            import grpc
            from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
            from pulumi.runtime.proto import engine_pb2_grpc

            channel = grpc.insecure_channel(address, options=_GRPC_CHANNEL_OPTIONS)
            _engine = engine_pb2_grpc.EngineStub(channel)
        except Exception as exc:  # noqa: BLE001 - an SDK without these modules: no progress
            LOG.debug("no Pulumi engine connection for progress: %s", exc)
            _engine = None
        return _engine


def engine_address(argv: list[str]) -> str | None:
    """The engine address a provider plugin is started with (its last argument), if this
    is the ``python -m pulumi.dynamic`` host process."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if getattr(spec, "name", "") != "pulumi.dynamic.__main__":
        return None
    if len(argv) > 1 and _ADDRESS.match(argv[-1]):
        return argv[-1]
    return None


def _current_urn() -> str:
    """The URN of the resource whose Create/Update gRPC handler is running in this thread."""
    frame = sys._getframe(1)
    suffix = os.path.join("pulumi", "dynamic", "__main__.py")
    while frame is not None:
        if frame.f_code.co_name in _HANDLERS and frame.f_code.co_filename.endswith(suffix):
            urn = getattr(frame.f_locals.get("request"), "urn", "")
            return str(urn or "")
        frame = frame.f_back  # type: ignore[assignment]
    return ""
