"""Compose loading and conversion, without an engine: interpolation, precedence of the
variable sources, schema errors naming file/service/key, merge rules, conversions.

What the engine stores is checked against `docker stack deploy` itself in
tests/integration/test_compose_differential.py; these tests pin the rules that make it so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from swarm_provider.compose import ComposeError, load, plan
from swarm_provider.compose.interpolate import TOKEN, Environment, substitute

CORPUS = Path(__file__).resolve().parents[1] / "compose_corpus"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(("template", "values", "expected"), [
    ("${V}", {"V": "x"}, "x"),
    ("$V-suffix", {"V": "x"}, "x-suffix"),
    ("${V}", {}, ""),
    ("${V:-d}", {}, "d"),
    ("${V:-d}", {"V": ""}, "d"),
    ("${V:-d}", {"V": "x"}, "x"),
    ("${V-d}", {}, "d"),
    ("${V-d}", {"V": ""}, ""),
    ("${V:?missing}", {"V": "x"}, "x"),
    ("${V?missing}", {"V": ""}, ""),
    ("$$V and $${V}", {"V": "x"}, "$V and ${V}"),
])
def test_substitution_rules(template: str, values: dict[str, str], expected: str) -> None:
    assert substitute(template, Environment(explicit={}, process=values), "f.yml: k") == expected


@pytest.mark.parametrize(("template", "values"), [
    ("${V:?set V first}", {}), ("${V:?set V first}", {"V": ""}), ("${V?set V first}", {}),
])
def test_required_variable_errors_name_the_file_and_key(template: str,
                                                        values: dict[str, str]) -> None:
    with pytest.raises(ComposeError, match=r"f\.yml: services\.a\.image: required variable V "
                                           "is missing a value: set V first"):
        substitute(template, Environment(process=values), "f.yml: services.a.image")


def test_a_lone_dollar_is_an_error() -> None:
    with pytest.raises(ComposeError, match=r"invalid interpolation format.*\$\$"):
        substitute("cost: $ 5", Environment(process={}), "f.yml: k")


def test_env_wins_over_the_shell_which_wins_over_dotenv(tmp_path: Path) -> None:
    """The process environment beats .env: every variable docker stack deploy sees (it
    reads only the shell) keeps its value; .env fills only what the shell lacks."""
    write(tmp_path, ".env", "A=dotenv\nB=dotenv\nC=dotenv\n")
    compose = write(tmp_path, "c.yml", "services:\n  s:\n    image: i\n    environment:\n"
                    "      A: ${A}\n      B: ${B}\n      C: ${C}\n")
    project = load(compose, env={"A": "explicit"}, process_env={"A": "shell", "B": "shell"})
    assert project.services["s"]["environment"] == {"A": "explicit", "B": "shell", "C": "dotenv"}
    without = load(compose, dotenv=False, process_env={})
    assert without.services["s"]["environment"] == {"A": "", "B": "", "C": ""}


def test_casts_after_interpolation(tmp_path: Path) -> None:
    compose = write(tmp_path, "c.yml", "services:\n  s:\n    image: i\n    deploy:\n"
                    "      replicas: ${N}\n")
    project = load(compose, process_env={"N": "3"}, dotenv=False)
    assert project.services["s"]["deploy"]["replicas"] == 3


def test_an_output_becomes_a_token_and_cannot_be_cast(tmp_path: Path) -> None:
    compose = write(tmp_path, "c.yml", "services:\n  s:\n    image: i\n    environment:\n"
                    "      PW: pre-${PW}\n")
    secret = object()  # stands for a pulumi Output: anything not a plain value
    project = load(compose, env={"PW": secret}, process_env={}, dotenv=False)
    value = project.services["s"]["environment"]["PW"]
    assert value.startswith("pre-") and TOKEN.search(value)
    assert project.env.outputs == [secret]
    replicas = write(tmp_path, "r.yml", "services:\n  s:\n    image: i\n    deploy:\n"
                     "      replicas: ${N}\n")
    with pytest.raises(ComposeError, match=r"r\.yml: services\.s\.deploy\.replicas: a Pulumi "
                                           "Output can't be used here"):
        load(replicas, env={"N": secret}, process_env={}, dotenv=False)


@pytest.mark.parametrize(("text", "pattern"), [
    ("services:\n  s:\n    image: i\nnetwroks: {}\n",
     r"^netwroks \(c\.yml\): additional property netwroks is not allowed"),
    ("services:\n  web:\n    image: i\n    imagee: x\n",
     r"^services\.web\.imagee \(c\.yml, service web\): additional property imagee"),
    ("services:\n  worker:\n    image: i\n    deploy:\n      replicas: two\n",
     r"^services\.worker\.deploy\.replicas \(c\.yml, service worker\): must be an integer; "
     r"got 'two'"),
    ("services:\n  s:\n    image: i\n    environment:\n      DEBUG: true\n",
     r"^services\.s\.environment\.DEBUG \(c\.yml, service s\): must be a string or a number "
     r"or null; got True"),
    ("services:\n  s:\n    image: i\n    volumes:\n      - type: tmpfs\n        target: /t\n"
     "        tmpfs:\n          size: 16m\n",
     r"^services\.s\.volumes\.0\.tmpfs\.size \(c\.yml, service s\): must be an integer"),
    ("services:\n  s:\n    image: i\n    stop_grace_period: ten\n",
     r"^services\.s\.stop_grace_period \(c\.yml, service s\): 'ten' is not a 'duration'"),
    ("services:\n  s:\n    image: i\n    extends: base\n",
     r"^services\.s\.extends \(c\.yml, service s\): is not supported by docker stack deploy"),
    ("version: '2.4'\nservices:\n  s:\n    image: i\n",
     r"^version \(c\.yml\): is not a 3\.x compose format"),
])
def test_bad_files_name_the_file_the_service_and_the_key(tmp_path: Path, text: str,
                                                         pattern: str) -> None:
    compose = write(tmp_path, "c.yml", text)
    with pytest.raises(ComposeError) as raised:
        load(compose, process_env={}, dotenv=False)
    message = str(raised.value).replace(str(tmp_path) + "/", "")
    assert __import__("re").search(pattern, message), message


def test_a_missing_secret_file_is_an_error_naming_the_secret(tmp_path: Path) -> None:
    compose = write(tmp_path, "c.yml", "services:\n  s:\n    image: i\n    secrets: [pw]\n"
                    "secrets:\n  pw:\n    file: ./nowhere.txt\n")
    with pytest.raises(ComposeError, match=r"^secrets\.pw\.file \(.*c\.yml\): does not exist; "
                                           r"got '.*/nowhere\.txt'"):
        plan(load(compose, process_env={}, dotenv=False), "st")


def test_undefined_network_names_the_service(tmp_path: Path) -> None:
    compose = write(tmp_path, "c.yml", "services:\n  s:\n    image: i\n    networks: [back]\n")
    with pytest.raises(ComposeError, match=r"^services\.s\.networks\.back \(.*c\.yml, "
                                           r"service s\): is not defined"):
        plan(load(compose, process_env={}, dotenv=False), "st")


def corpus_plan(*files: str, stack: str = "st", **env: str) -> Any:
    variables = {"IMAGE": "img:1", "P1": "8001", "P2": "8002", "P3": "8003", "R1": "9000",
                 "R2": "9001", **env}
    return plan(load([CORPUS / f for f in files], process_env=variables, dotenv=False), stack)


def test_override_file_merges_as_docker_stack_deploy() -> None:
    web = corpus_plan("base.yml", "override.yml").services["web"]
    assert web["args"] == ["sleep", "7200"]                       # replaced
    assert web["env"] == ["KEEP=kept", "MODE=override"]           # merged by key
    assert [p["PublishedPort"] for p in web["endpoint_spec"]["Ports"]] == [8001, 8002]
    assert web["mode"] == {"Replicated": {"Replicas": 2}}
    assert web["labels"]["owner"] == "base"
    assert set(corpus_plan("base.yml", "override.yml").services) == {"web", "db", "cache"}


def test_ports_ranges_expand_and_sort_by_published_port_alone() -> None:
    """docker/cli sorts by PublishedPort only; equal ones (unpublished: 0) keep the
    file's order, and the spec sent keeps this order (test_list_order.py)."""
    ports = corpus_plan("ports.yml").services["web"]["endpoint_spec"]["Ports"]
    assert [(p.get("PublishedPort"), p["TargetPort"], p["Protocol"], p["PublishMode"])
            for p in ports] == [
        (None, 7000, "tcp", "ingress"), (None, 6000, "udp", "ingress"),
        (8001, 80, "tcp", "ingress"),
        (8002, 53, "udp", "ingress"), (8003, 8443, "tcp", "host"),
        (9000, 90, "tcp", "ingress"), (9001, 91, "tcp", "ingress")]


def test_environment_is_sorted_stringified_and_filled_from_the_shell() -> None:
    services = corpus_plan("environment.yml", FROM_SHELL="sh", BARE_KEY="bare").services
    assert services["env-map"]["env"] == [
        "FILE_ONLY=from-file", "FROM_SHELL=sh", "GREETING=hello", "PRICE=$5", "RATIO=2.5",
        "UNSET_DEFAULT=fallback", "WORKERS=4"]
    assert services["env-list"]["env"] == ["A_FIRST=1", "BARE_KEY=bare", "B_SECOND=2", "EMPTY="]


def test_names_labels_networks_and_aliases() -> None:
    stack = corpus_plan("networks.yml", stack="shop")
    front = stack.services["front"]
    assert front["name"] == "shop_front"
    assert front["labels"] == {"com.docker.stack.namespace": "shop",
                               "com.docker.stack.image": "img:1"}
    assert front["container_labels"] == {"com.docker.stack.namespace": "shop"}
    assert front["networks"] == [{"Target": "shop_backend", "Aliases": ["front"]},
                                 {"Target": "shop_frontend", "Aliases": ["www", "portal", "front"]}]
    assert stack.services["loner"]["networks"] == [{"Target": "shop_default", "Aliases": ["loner"]}]
    assert set(stack.networks) == {"backend", "default", "frontend"}
    assert stack.networks["frontend"].inputs["labels"] == {"zone": "dmz",
                                                          "com.docker.stack.namespace": "shop"}


def test_container_conversions() -> None:
    box = corpus_plan("container.yml").services["box"]
    assert box["cap_add"] == ["CAP_NET_ADMIN", "CAP_SYS_TIME"]
    assert box["cap_drop"] == ["CAP_MKNOD"]          # NET_ADMIN is added, so not dropped
    assert box["ulimits"] == [{"Name": "nofile", "Soft": 512, "Hard": 1024},
                              {"Name": "nproc", "Soft": 65535, "Hard": 65535}]
    assert box["hosts"] == ["10.0.0.5 db.local", "10.0.0.6 cache.local"]
    assert box["stop_grace_period"] == 90_000_000_000
    assert box["command"] == ["/bin/sh", "-c"] and box["args"] == ["sleep 3600"]
    quiet = corpus_plan("container.yml").services["quiet"]
    assert quiet["healthcheck"] == {"Test": ["NONE"]}


def test_secret_references_keep_file_uid_gid_mode() -> None:
    refs = corpus_plan("secrets.yml").services["api"]["secrets"]
    assert [(r.source, r.target, r.uid, r.gid, r.mode) for r in refs] == [
        ("db_password", "db_password", "0", "0", 0o444),
        ("api_key", "api.key", "1000", "1000", 288)]


def test_ignored_keys_warn_once_as_the_cli_words_it() -> None:
    project = load([CORPUS / "ignored.yml"], process_env={"IMAGE": "i"}, dotenv=False)
    assert project.warnings == [
        "Ignoring unsupported options: build, restart",
        "Ignoring deprecated options:\n\ncontainer_name: Setting the container name is not "
        "supported."]
    legacy = plan(project, "st").services["legacy"]
    assert legacy["restart_policy"] == {"Condition": "any"}


def test_an_output_token_becomes_an_output_that_stays_secret() -> None:
    import asyncio

    import pulumi

    from swarm_provider.compose.interpolate import resolve_tokens

    async def resolve() -> tuple[Any, Any]:
        secret = pulumi.Output.secret("s3cret")
        env = Environment(explicit={"PW": secret}, process={})
        text = substitute("PW=${PW}!", env, "f.yml: k")
        resolved = resolve_tokens({"env": [text]}, env.outputs)["env"][0]
        assert isinstance(resolved, pulumi.Output)
        return await resolved.future(), await resolved.is_secret()

    previous = asyncio.get_event_loop_policy().get_event_loop()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        assert loop.run_until_complete(resolve()) == ("PW=s3cret!", True)
    finally:
        loop.close()
        asyncio.set_event_loop(previous)  # other tests use the thread's loop


def test_an_unset_variable_warns_once_naming_where_it_was_first_used(tmp_path: Path) -> None:
    """The CLI turns an unset ${VAR} into an empty string without a word; so do we, and
    say so, since the error it then leads to (no image) does not name the variable."""
    compose = write(tmp_path, "c.yml", "services:\n  s:\n    image: ${IMAGE}\n    environment:\n"
                    "      A: ${IMAGE}\n      B: $TAG-x\n      C: ${SET}\n      D: ${D:-d}\n")
    project = load(compose, process_env={"SET": ""}, dotenv=False)
    assert project.warnings == [
        f"{compose}: services.s.image: variable IMAGE is not set, so it is an empty string "
        "here (as docker stack deploy makes it); set it, or write ${IMAGE:-default}",
        f"{compose}: services.s.environment.B: variable TAG is not set, so it is an empty "
        "string here (as docker stack deploy makes it); set it, or write ${TAG:-default}"]
    assert project.services["s"]["image"] == ""


def test_convert_hands_the_warnings_over_before_the_plan_fails(tmp_path: Path) -> None:
    from swarm_provider.compose.program import convert

    compose = write(tmp_path, "c.yml", "services:\n  s:\n    image: ${IMAGE}\n")
    seen: list[str] = []
    with pytest.raises(ComposeError, match="image.*is required"):
        convert([compose], "st", warn=seen.append)
    assert len(seen) == 1 and "variable IMAGE is not set" in seen[0]
