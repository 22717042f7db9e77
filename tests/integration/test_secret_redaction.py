"""A Pulumi secret anywhere inside an input stays secret (issue #14, item 4), through
the real CLI.

Pulumi hands a dynamic provider every secret in plaintext, and a secret nested in a
structure whose canonical form renames keys (``healthcheck={"test": token}`` becomes
``{"Test": [...]}``) used to come back unmarked: the preview printed it, the state stored
it in clear, and a check failure quoted the whole structure, token included.

One program puts a secret token into every input that can hold a string (service,
network, secret, config). The good variant must preview and `up` without the token in
any output or in the state; the bad variant gives every structure a bad sibling value,
so the preview fails on each, and no message may carry the token.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import docker
from pulumi import automation as auto

from . import pulumi_helpers as helpers

pulumi_env = helpers.pulumi_env  # the fixture

PROGRAM = """\
import pulumi

from swarm_provider import SwarmConfig, SwarmNetwork, SwarmSecret, SwarmService

cfg = pulumi.Config()
tok = cfg.require_secret("token")
bad = cfg.get("bad") or ""               # "", "objects" or "service"
word = tok.apply(lambda t: t)            # still secret, derived


def pick_object(good, wrong):
    return wrong if bad == "objects" else good


def pick(good, wrong):
    return wrong if bad == "service" else good


# A failed check stops the deployment, so the objects fail in one run, the service in another.
network = SwarmNetwork("net", attachable=True, labels={"t": word},
                       options=pick_object({"com.example.t": tok}, {"t": [tok]}))
secret = SwarmSecret("sec", data=tok, labels={"t": pick_object(tok, [tok])})
config = SwarmConfig("conf", data=pulumi.Output.concat("key=", tok), labels={"t": tok},
                     templating=pick_object(None, {"Name": "jinja", "Options": {"t": tok}}))
SwarmService(
    "svc",
    image=cfg.require("image"),
    command=["sh", "-c", pulumi.Output.concat("trap 'exit 0' TERM; sleep 3600 # ", tok)],
    args=pick(None, [tok, None]),
    env={"TOKEN": tok, "PLAIN": pick("x", {"nested": tok})},
    labels={"t": tok, "n": pick("1", ["1"])},
    container_labels={"t": tok},
    hostname=pick(pulumi.Output.concat("h-", tok), ["h", tok]),
    healthcheck={"test": pulumi.Output.concat("true ", tok),
                 "interval": pick("5s", "bad"), "retries": 2},
    log_driver="json-file",
    log_driver_options={"tag": tok, "max-file": pick("2", ["2"])},
    mounts=[{"Type": "volume", "Target": pick("/data", "data"),
             "VolumeOptions": {"Labels": {"t": tok}}}],
    hosts=pick(None, [pulumi.Output.concat("1.2.3.4 ", tok), None]),
    dns_config={"options": [pulumi.Output.concat("ndots:1 #", tok)] if bad else ["ndots:1"],
                "nameservers": pick(None, "8.8.8.8")},
    stop_signal=pick("SIGTERM", ["SIGTERM", tok]),
    networks=[{"Target": network.name, "Aliases": [pick(word, [word])]}],
    secrets=[secret.reference()],
    configs=[config.reference("/etc/app.conf")],
    resources=pick(None, {"Limits": {"NanoCPUs": tok.apply(lambda _: "inf")}}),
    update_config={"delay": pick("1s", tok)},
)
"""


def test_a_secret_in_any_input_never_reaches_a_preview_an_error_or_the_state(
    tmp_path: Path, pulumi_env: dict[str, str], docker_client: docker.DockerClient,
    test_image: str,
) -> None:
    token = f"tok{uuid.uuid4().hex}"
    prefix = f"red{uuid.uuid4().hex[:6]}-"
    prog = helpers.write_program(tmp_path / "prog", "redaction", PROGRAM)
    stack = helpers.local_stack(prog, pulumi_env)
    try:
        stack.set_all_config({
            "swarm:namePrefix": auto.ConfigValue(prefix),
            "image": auto.ConfigValue(test_image),
            "token": auto.ConfigValue(token, secret=True),
            "bad": auto.ConfigValue("objects"),
        })
        failed = helpers.run_cli(prog, pulumi_env, "preview", "--diff")
        text = failed.stdout + failed.stderr
        assert failed.returncode != 0, text
        helpers.assert_absent("the failed preview of the objects", text, token)
        # Pulumi stops at the first failed check, and the three objects are checked
        # concurrently: whichever fails first is reported, each with its value redacted.
        assert any(message in text for message in (
            "holds a list where a string belongs; got [secret]",
            "templating driver must be one of ['golang']; got [secret]")), text

        stack.set_config("bad", auto.ConfigValue("service"))
        failed = helpers.run_cli(prog, pulumi_env, "preview", "--diff")
        text = failed.stdout + failed.stderr
        assert failed.returncode != 0, text
        helpers.assert_absent("the failed preview", text, token)
        # Every input failed check, each named with its sub-key where it has one.
        for expected in ("healthcheck (TaskTemplate.ContainerSpec.Healthcheck): Interval",
                         "env (TaskTemplate.ContainerSpec.Env)",
                         "args (TaskTemplate.ContainerSpec.Args)",
                         "labels (Labels)",
                         "hosts (TaskTemplate.ContainerSpec.Hosts)",
                         "dns_config (TaskTemplate.ContainerSpec.DNSConfig)",
                         "stop_signal (TaskTemplate.ContainerSpec.StopSignal)",
                         "networks (TaskTemplate.Networks)",
                         "hostname (TaskTemplate.ContainerSpec.Hostname)",
                         "log_driver_options (TaskTemplate.LogDriver.Options)",
                         "mounts (TaskTemplate.ContainerSpec.Mounts)",
                         "resources (TaskTemplate.Resources)",
                         "update_config (UpdateConfig): Delay"):
            assert expected in text, (expected, text)

        stack.set_config("bad", auto.ConfigValue(""))
        preview = helpers.run_cli(prog, pulumi_env, "preview", "--diff")
        assert preview.returncode == 0, preview.stdout + preview.stderr
        helpers.assert_absent("the preview --diff", preview.stdout + preview.stderr, token)
        assert re.search(r"healthcheck\s*: \[secret\]", preview.stdout), preview.stdout

        up = stack.up(diff=True)
        assert helpers.changes(up.summary.resource_changes) == {"create": 5}
        again = stack.preview(expect_no_changes=True, diff=True)
        helpers.assert_absent("the output of up and preview", up.stdout + again.stdout, token)
        helpers.assert_absent("the exported state",
                              helpers.export_at_rest(prog, pulumi_env, "dev"), token)
        deployment = stack.export_stack().deployment
        assert helpers.plaintext_paths(deployment, token) == [], json.dumps(deployment)[:2000]
    finally:
        stack.tear_down()
    assert helpers.swarm_leftovers(docker_client, prefix) == []
