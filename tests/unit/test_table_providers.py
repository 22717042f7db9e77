"""The providers' own logic against the in-memory engine (tests/support/fake_engine.py).

The version guard, the retry after ``OutOfSequence``, the claim of a name an interrupted
create left, the delete that waits while an object is in use and the "run pulumi
refresh" stop, each in milliseconds. The same behaviour against the real swarm is in
tests/integration (test_update_guard, test_adoption, test_objects, test_engine_faults,
test_crash_recovery); these do not replace them.
"""

from __future__ import annotations

from typing import Any

import pytest

from swarm_provider.api import engine
from swarm_provider.errors import ConflictError, EngineError
from swarm_provider.providers.objects import ConfigProvider, NetworkProvider, SecretProvider
from swarm_provider.providers.service import ServiceProvider
from swarm_provider.schema.service import OWNER_LABEL
from tests.support.fake_engine import FakeEngine
from tests.support.providers import checked

OWNER = "project/stack/web"


def service_inputs(**inputs: Any) -> dict[str, Any]:
    raw = {"name": "web", "image": "busybox:1", "command": ["sleep", "600"], "wait": False,
           "owner": OWNER, **inputs}
    return checked(ServiceProvider(), raw)


def create_service(**inputs: Any) -> tuple[str, dict[str, Any]]:
    made = ServiceProvider().create(service_inputs(**inputs))
    assert made.id is not None and made.outs is not None
    return made.id, dict(made.outs)


# --- the version guard ----------------------------------------------------------------------


def test_an_update_is_sent_at_the_live_version(fake_engine: FakeEngine) -> None:
    service_id, state = create_service()
    updated = ServiceProvider().update(service_id, state, service_inputs(env=["A=1"]))
    assert fake_engine.spec_of(service_id)["TaskTemplate"]["ContainerSpec"]["Env"] == ["A=1"]
    assert updated.outs is not None and updated.outs["version"] > state["version"]


def test_a_change_made_outside_pulumi_is_refused_and_nothing_is_sent(
        fake_engine: FakeEngine) -> None:
    service_id, state = create_service()

    def cli_update(spec: dict[str, Any]) -> None:
        spec["TaskTemplate"]["ContainerSpec"]["Env"] = ["FROM_CLI=1"]

    fake_engine.change_out_of_band(service_id, cli_update)
    with pytest.raises(ConflictError, match=r"changed outside Pulumi since the last update "
                       r"\(version \d+ -> \d+: env .*run `pulumi refresh`"):
        ServiceProvider().update(service_id, state, service_inputs(env=["A=1"]))
    assert fake_engine.sent("update") == 0
    assert fake_engine.spec_of(service_id)["TaskTemplate"]["ContainerSpec"]["Env"] == [
        "FROM_CLI=1"]


def test_a_version_moved_by_the_engine_alone_is_no_conflict(fake_engine: FakeEngine) -> None:
    service_id, state = create_service()
    fake_engine.bump(service_id)  # the orchestrator's own UpdateStatus write
    ServiceProvider().update(service_id, state, service_inputs(env=["A=1"]))
    assert fake_engine.sent("update") == 1


def test_out_of_sequence_is_read_again_and_sent_at_the_new_version(
        fake_engine: FakeEngine) -> None:
    service_id, state = create_service()
    fake_engine.races[service_id] = 2  # two writes slip in before ours
    ServiceProvider().update(service_id, state, service_inputs(env=["A=1"]))
    assert fake_engine.sent("update") == 3
    assert fake_engine.spec_of(service_id)["TaskTemplate"]["ContainerSpec"]["Env"] == ["A=1"]


def test_a_version_that_keeps_moving_fails_after_five_fresh_reads(
        fake_engine: FakeEngine) -> None:
    service_id, state = create_service()
    fake_engine.races[service_id] = 99
    with pytest.raises(EngineError, match=r"service 'web' \(id .*\) kept failing \('update "
                       r"out of sequence', or no answer\) after 5 fresh reads"):
        ServiceProvider().update(service_id, state, service_inputs(env=["A=1"]))
    assert fake_engine.sent("update") == 5


def test_nothing_is_sent_when_the_live_service_already_is_the_wanted_one(
        fake_engine: FakeEngine) -> None:
    service_id, state = create_service()
    ServiceProvider().update(service_id, state, service_inputs())
    assert fake_engine.sent("update") == 0


def test_an_options_only_change_sends_nothing(fake_engine: FakeEngine) -> None:
    service_id, state = create_service()
    updated = ServiceProvider().update(service_id, state, service_inputs(timeout=30))
    assert fake_engine.sent("update") == 0 and fake_engine.sent("inspect") == 1  # the create's
    assert updated.outs is not None and updated.outs["timeout"] == 30


# --- a service or object that is gone -------------------------------------------------------


REFRESH = r"no longer exists; run `pulumi refresh` to drop it from the state"


def test_an_update_of_a_removed_service_says_to_refresh(fake_engine: FakeEngine) -> None:
    service_id, state = create_service()
    fake_engine.objects["service"].clear()
    with pytest.raises(EngineError, match=rf"service 'web' \(id .*\) {REFRESH}"):
        ServiceProvider().update(service_id, state, service_inputs(env=["A=1"]))


def test_a_label_update_of_a_removed_secret_says_to_refresh(fake_engine: FakeEngine) -> None:
    provider = SecretProvider()
    made = provider.create(checked(provider, {"name": "db", "data": "x", "owner": OWNER}))
    assert made.id is not None and made.outs is not None
    fake_engine.objects["secret"].clear()
    news = checked(provider, {"name": "db", "data": "x", "owner": OWNER, "labels": {"a": "b"}})
    with pytest.raises(EngineError, match=rf"secret 'db-[0-9a-f]{{12}}' \(id .*\) {REFRESH}"):
        provider.update(made.id, dict(made.outs), news)


def test_read_of_a_removed_object_is_empty(fake_engine: FakeEngine) -> None:
    service_id, state = create_service()
    fake_engine.objects["service"].clear()
    assert ServiceProvider().read(service_id, state).id == ""


# --- a name taken already: claimed by the owner label, or refused ---------------------------


def test_a_service_an_interrupted_create_left_is_taken_over(fake_engine: FakeEngine) -> None:
    """The engine made the service, the answer never reached Pulumi: the next create
    finds it by the 409 and its owner label, and brings it to the inputs in place."""
    earlier = fake_engine.add("service", {"Name": "web", "Labels": {OWNER_LABEL: OWNER},
                                          "TaskTemplate": {"ContainerSpec": {"Image": "old"}}})
    made = ServiceProvider().create(service_inputs())
    assert made.id == earlier and len(fake_engine.objects["service"]) == 1
    image = fake_engine.spec_of(earlier)["TaskTemplate"]["ContainerSpec"]["Image"]
    assert image == "busybox:1"


@pytest.mark.parametrize("owner", [None, "another/stack/web"])
def test_a_service_of_that_name_not_ours_is_refused(fake_engine: FakeEngine,
                                                    owner: str | None) -> None:
    labels = {OWNER_LABEL: owner} if owner else {}
    fake_engine.add("service", {"Name": "web", "Labels": labels})
    with pytest.raises(EngineError, match=rf"service 'web' \(id .*\) already exists and is not "
                       rf"managed by this resource \(owner label: {owner!r}\); remove it, "
                       "choose another name, or adopt it explicitly"):
        ServiceProvider().create(service_inputs())
    assert fake_engine.sent("update") == 0


def secret_spec(provider: SecretProvider | ConfigProvider, data: str) -> dict[str, Any]:
    """The spec the provider sends for these inputs (versioned name, base64 data)."""
    news = checked(provider, {"name": "db", "data": data, "owner": OWNER})
    return provider.kind_data.spec(news, news)


@pytest.mark.parametrize("provider", [SecretProvider(), ConfigProvider()],
                         ids=["secret", "config"])
def test_an_object_an_interrupted_create_left_is_taken_as_it_is(
        fake_engine: FakeEngine, provider: SecretProvider | ConfigProvider) -> None:
    earlier = fake_engine.add(provider.kind, secret_spec(provider, "x"))
    made = provider.create(checked(provider, {"name": "db", "data": "x", "owner": OWNER}))
    assert made.id == earlier and len(fake_engine.objects[provider.kind]) == 1


def test_an_unversioned_object_of_ours_with_other_content_is_refused(
        fake_engine: FakeEngine) -> None:
    provider = ConfigProvider()
    raw = {"name": "db", "owner": OWNER, "versioned": False}
    earlier = checked(provider, {**raw, "data": "old"})
    fake_engine.add("config", provider.kind_data.spec(earlier, earlier))
    with pytest.raises(EngineError, match="already exists and was made by this resource "
                       "earlier, with other settings or content; remove it or choose another"):
        provider.create(checked(provider, {**raw, "data": "new"}))


def test_adopt_takes_an_unowned_secret_and_adds_the_owner_label(
        fake_engine: FakeEngine) -> None:
    provider = SecretProvider()
    raw = {"name": "db", "data": "x", "owner": OWNER, "adopt": True, "versioned": False}
    spec = provider.kind_data.spec(checked(provider, raw), raw)
    theirs = fake_engine.add("secret", {**spec, "Labels": {}})
    assert provider.create(checked(provider, raw)).id == theirs
    assert fake_engine.spec_of(theirs)["Labels"] == {OWNER_LABEL: OWNER}


# --- delete: retried while the engine says "in use" ------------------------------------------


def test_a_delete_is_retried_while_the_object_is_in_use(fake_engine: FakeEngine) -> None:
    provider = NetworkProvider()
    made = provider.create(checked(provider, {"name": "net", "owner": OWNER}))
    assert made.id is not None and made.outs is not None
    fake_engine.in_use[made.id] = 3  # the service using it is still letting go
    provider.delete(made.id, dict(made.outs))
    assert fake_engine.sent("remove", "network") == 4 and not fake_engine.objects["network"]


def test_a_delete_still_refused_at_the_timeout_names_the_users(fake_engine: FakeEngine) -> None:
    provider = SecretProvider()
    made = provider.create(checked(provider, {"name": "db", "data": "x", "owner": OWNER}))
    assert made.id is not None and made.outs is not None
    fake_engine.in_use[made.id] = 99
    fake_engine.users_of[made.id] = ["service 'api' (id abc)"]
    with pytest.raises(EngineError, match=r"secret 'db-[0-9a-f]{12}' \(id .*\) is still in use "
                       r"after 0s, by service 'api' \(id abc\)"):
        provider.delete(made.id, {**made.outs, "delete_timeout": 0})
    assert made.id in fake_engine.objects["secret"]


def test_a_delete_of_what_is_gone_is_fine(fake_engine: FakeEngine) -> None:
    provider = ConfigProvider()
    made = provider.create(checked(provider, {"name": "app", "data": "x", "owner": OWNER}))
    assert made.id is not None and made.outs is not None
    fake_engine.objects["config"].clear()
    provider.delete(made.id, dict(made.outs))


def test_a_service_that_appears_between_adopts_lookup_and_create_is_refused(
        fake_engine: FakeEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """adopt=True looks for the service first; one made in between is not taken after the
    409, since a failed wait after a create would remove a service that was there before."""
    monkeypatch.setattr(engine, "find_service", lambda _api, _name: None)  # not there yet
    fake_engine.add("service", {"Name": "web", "Labels": {}})
    with pytest.raises(EngineError, match=r"already exists and is not managed by this "
                       r"resource \(owner label: None\)"):
        ServiceProvider().create(service_inputs(adopt=True))
