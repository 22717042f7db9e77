"""engine: transient failures classified once, reads retried, writes re-checked by a read.

A fake docker-py APIClient stands in for the engine here (the pure decisions); the real
engine, behind a fault-injecting proxy, is in tests/integration/test_engine_faults.py.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from docker.errors import APIError

from swarm_provider.api import classify, engine
from swarm_provider.errors import (
    EngineError,
    InUse,
    NameConflict,
    NotFound,
    OutOfSequence,
    TransientEngineError,
)


def api_error(status: int, said: str) -> APIError:
    response = requests.Response()
    response.status_code = status
    return APIError(said, response, explanation=said)


class FlakyApi:
    """``inspect_service`` fails with the queued exceptions, then answers."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def inspect_service(self, service_id: str) -> dict[str, Any]:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return {"ID": service_id}


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classify, "READ_PAUSES", (0.0, 0.0, 0.0, 0.0))
    monkeypatch.setattr(classify.time, "sleep", lambda _s: None)


@pytest.mark.parametrize("failure", [
    requests.exceptions.ConnectionError("Connection reset by peer"),
    requests.exceptions.ReadTimeout("read timed out"),
    requests.exceptions.ChunkedEncodingError("connection broken"),
    api_error(500, "injected 500"),
    api_error(503, "rpc error: code = Unavailable desc = the swarm does not have a leader"),
], ids=["reset", "timeout", "broken-stream", "500", "503"])
def test_reads_are_retried_after_transient_failures(failure: Exception) -> None:
    api = FlakyApi(failure, failure)
    assert engine.inspect_service(api, "abc") == {"ID": "abc"}  # type: ignore[arg-type]
    assert api.calls == 3


def test_retries_are_bounded_and_the_error_names_the_service() -> None:
    api = FlakyApi(*[requests.exceptions.ConnectionError("refused")] * 10)
    with pytest.raises(TransientEngineError, match=r"inspecting service \(id abc\) failed: "
                       r"the engine did not answer \(ConnectionError: refused\)"):
        engine.inspect_service(api, "abc")  # type: ignore[arg-type]
    assert api.calls == len(classify.READ_PAUSES) + 1


def test_client_errors_are_not_retried() -> None:
    api = FlakyApi(api_error(400, "bad filter"))
    with pytest.raises(EngineError) as failed:
        engine.inspect_service(api, "abc")  # type: ignore[arg-type]
    assert not isinstance(failed.value, TransientEngineError) and api.calls == 1


class LostCreateApi:
    """A create whose answer is lost after the engine made the service (or didn't)."""

    api_version = "1.41"

    def __init__(self, landed: bool, labels: dict[str, str]) -> None:
        self.landed, self.labels, self.posts = landed, labels, 0

    def _url(self, path: str) -> str:
        return path

    def _post_json(self, _url: str, data: Any) -> Any:
        self.posts += 1
        if self.posts == 1:
            raise requests.exceptions.ConnectionError("Connection reset by peer")
        return {"ID": "made-on-retry"}

    def _result(self, reply: Any, _json: bool) -> Any:
        return reply

    def services(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        if not self.landed:
            return []
        return [{"ID": "made-first", "Spec": {"Name": filters["name"], "Labels": self.labels}}]


OURS = {"swarm-provider.owner": "stack/web"}


def test_a_create_whose_answer_was_lost_is_found_by_name_and_labels() -> None:
    api = LostCreateApi(landed=True, labels=OURS)
    spec = {"Name": "web", "Labels": OURS}
    assert engine.create_service(api, spec) == "made-first"  # type: ignore[arg-type]
    assert api.posts == 1  # not sent again


def test_a_create_that_did_not_land_is_sent_again() -> None:
    api = LostCreateApi(landed=False, labels=OURS)
    assert engine.create_service(api, {"Name": "web", "Labels": OURS}) == (  # type: ignore[arg-type]
        "made-on-retry")
    assert api.posts == 2


def test_a_service_of_that_name_with_other_labels_is_not_taken() -> None:
    api = LostCreateApi(landed=True, labels={"swarm-provider.owner": "someone/else"})
    with pytest.raises(TransientEngineError):
        engine.create_service(api, {"Name": "web", "Labels": OURS})  # type: ignore[arg-type]
    assert api.posts == 1


@pytest.mark.parametrize(("status", "said", "expected"), [
    (404, "service abc not found", NotFound),
    (409, "rpc error: code = AlreadyExists desc = name conflicts with an existing object",
     NameConflict),
    (500, "rpc error: code = Unknown desc = update out of sequence", OutOfSequence),
    (400, "rpc error: code = InvalidArgument desc = secret 'db' is in use by the following "
          "service: web", InUse),
    (403, "error while removing network: network web id abc has active endpoints", InUse),
    (500, "rpc error: code = Unavailable desc = the swarm does not have a leader",
     TransientEngineError),
    (501, "rpc error: code = Unimplemented desc = renaming services is not supported",
     EngineError),
    (400, "invalid mount config", EngineError),
], ids=["404", "409", "out-of-sequence", "secret-in-use", "network-in-use", "503-ish", "501",
        "400"])
def test_each_answer_is_classified_once(status: int, said: str,
                                        expected: type[EngineError]) -> None:
    """What a caller catches: the class, never the status or the text."""
    with pytest.raises(EngineError) as raised, classify.engine_errors("removing", "web"):
        raise api_error(status, said)
    assert type(raised.value) is expected
    assert str(raised.value) == f"removing service 'web' failed: engine said {status} {said}"
    assert isinstance(raised.value.__cause__, APIError)  # the cause, kept for debugging
