"""Every form the docs show works through the real CLI (issue #14, item 9).

``endpoint_spec={"Ports": {18196: 80}}``, straight from the row docs, died in Pulumi's
serializer (int dict keys), and ``NanoCPUs: "inf"`` killed the whole preview. Here:

- every Python example block of README.md and docs/*.md that declares resources is run,
  as written (placeholders such as ``@sha256:...`` filled in), in one ``pulumi preview``;
- every value form the field table's docs name (``FORMS``) is one SwarmService of
  another preview; ``test_every_documented_form_is_listed`` keeps the list honest.

A preview makes no engine call, so nothing is created on the swarm.
"""

from __future__ import annotations

import re
from pathlib import Path

from pulumi import automation as auto

from . import pulumi_helpers as helpers

pulumi_env = helpers.pulumi_env  # the fixture

DOCS = [helpers.REPO / "README.md", *sorted((helpers.REPO / "docs").glob("*.md"))]
DECLARES = re.compile(r"\bSwarm(Service|Network|Secret|Config)\(")
PLACEHOLDERS = [
    ("@sha256:...", "@sha256:" + "0" * 64),
    ("image=...", 'image="busybox:1"'),
    ("args=[...]", 'args=["sleep", "1"]'),
    ('open("app.conf").read()', '"key=value\\n"'),
    ('cfg.require_secret("dbPassword")', 'pulumi.Output.secret("pw")'),
]


def doc_blocks() -> list[tuple[str, str]]:
    """(where, code) of each ```python block that declares a resource."""
    found = []
    for path in DOCS:
        text = path.read_text()
        for number, block in enumerate(re.findall(r"```python\n(.*?)```", text, re.S)):
            if DECLARES.search(block) and "lookup" not in block:
                for old, new in PLACEHOLDERS:
                    block = block.replace(old, new)
                found.append((f"{path.name}#{number}", block))
    return found


DOCS_PROGRAM = """\
import pulumi
from docker import types
import swarm_provider

BLOCKS = {blocks!r}

for index, (where, code) in enumerate(BLOCKS):
    # Each block in its own namespace; resource names get the block's number so two
    # blocks may both declare "web".
    def named(cls, index=index):
        return lambda resource_name, *args, **kwargs: cls(
            f"b{{index}}-{{resource_name}}", *args, **kwargs)
    scope = {{"pulumi": pulumi, "types": types, **{{
        name: named(getattr(swarm_provider, name))
        for name in ("SwarmService", "SwarmNetwork", "SwarmSecret", "SwarmConfig")}}}}
    code = "\\n".join(line for line in code.splitlines()
                     if not line.startswith("from swarm_provider import"))
    exec(compile(code, where, "exec"), scope)
"""

# Every value form the row docs (docs/inputs.md) and README name, one service each.
FORMS: dict[str, str] = {
    "ports-dict": 'endpoint_spec={"Ports": {18196: 80}}',
    "ports-dict-tuple": 'endpoint_spec={"Ports": {18197: (80, "udp", "host")}}',
    "ports-type": "endpoint_spec=types.EndpointSpec(ports={18198: 80})",
    "ports-list": 'endpoint_spec={"Mode": "vip", "Ports": [{"TargetPort": 53, '
                  '"PublishedPort": 18199, "Protocol": "tcp"}, {"TargetPort": 53, '
                  '"PublishedPort": 18199, "Protocol": "udp"}]}',
    "command-string": "command=\"sh -c 'sleep 3600'\"",
    "command-list": 'command=["sleep", "3600"], args="10 20"',
    "constraints": 'constraints=["node.role==worker"]',
    "preferences": 'preferences=[("spread", "node.labels.zone")]',
    "platforms": 'platforms=[("amd64", "linux"), "linux/arm64"]',
    "env-dict": 'env={"LOG_LEVEL": "info"}',
    "env-list": 'env=["LOG_LEVEL=info"]',
    "hostname": 'hostname="{{.Task.Slot}}"',
    "mode-string": 'mode="global"',
    "mode-job": 'mode="replicated-job"',
    "mode-type": 'mode=types.ServiceMode("replicated", replicas=3)',
    "mode-dict": 'mode={"mode": "replicated-job", "replicas": 4, "concurrency": 2}',
    "mounts-string": 'mounts=["data:/data", "/srv:/srv:ro"]',
    "mounts-type": 'mounts=[types.Mount("/cache", None, type="tmpfs", tmpfs_size="64m")]',
    "mounts-dict": 'mounts=[{"Type": "volume", "Source": "v", "Target": "/v"}]',
    "networks": 'networks=["backend", types.NetworkAttachmentConfig("front", aliases=["a"])]',
    "resources-type": 'resources=types.Resources(cpu_limit=500000000, mem_limit=67108864)',
    "resources-keywords": 'resources={"cpu_limit": "0.5", "mem_limit": "64m"}',
    "resources-engine": 'resources={"Limits": {"MemoryBytes": "128m", "NanoCPUs": "0.5"}}',
    "restart-type": 'restart_policy=types.RestartPolicy(condition="on-failure")',
    "restart-dict": 'restart_policy={"Delay": "5s"}',
    "secrets-type": 'secrets=[types.SecretReference("abc", "pw")]',
    "configs-type": 'configs=[types.ConfigReference("abc", "conf", "/etc/app.conf")]',
    "stop-grace": 'stop_grace_period="10s"',
    "stop-grace-ns": "stop_grace_period=10_000_000_000",
    "update-type": 'update_config=types.UpdateConfig(parallelism=1, monitor=5_000_000_000)',
    "update-dict": 'update_config={"parallelism": 1, "failure_action": "rollback", '
                   '"monitor": "10s"}',
    "rollback-dict": 'rollback_config={"Parallelism": 2, "Delay": "1s"}',
    "healthcheck-type": 'healthcheck=types.Healthcheck(test=["CMD", "true"], '
                        'interval=5_000_000_000)',
    "healthcheck-dict": 'healthcheck={"test": "wget -q -O- http://127.0.0.1/", '
                        '"interval": "5s", "retries": 3}',
    "hosts-dict": 'hosts={"db": "10.0.0.2"}',
    "hosts-list": 'hosts=["10.0.0.2 db", "cache:10.0.0.3"]',
    "dns-type": 'dns_config=types.DNSConfig(nameservers=["1.1.1.1"])',
    "dns-dict": 'dns_config={"nameservers": ["1.1.1.1"], "search": ["example.org"]}',
    "privileges-type": 'privileges=types.Privileges(selinux_disable=True)',
    "privileges-dict": 'privileges={"SELinuxContext": {"Disable": True}}',
    "caps": 'cap_add=["CAP_NET_BIND_SERVICE"], cap_drop=["ALL"]',
    "sysctls": 'sysctls={"net.core.somaxconn": "1024"}',
    "labels": 'labels={"tier": "web"}, container_labels={"c": "1"}',
    "logs": 'log_driver="json-file", log_driver_options={"max-size": "1m"}',
    "ulimits-int": 'ulimits={"nofile": 1024}',
    "ulimits-pair": 'ulimits={"nofile": [1024, 2048]}',
    "ulimits-list": 'ulimits=[{"Name": "nproc", "Soft": 64, "Hard": 128}]',
    "name": 'name="docs-explicit-name"',
    "extras": "pids_limit=100, force_update=1, maxreplicas=2, init=True, tty=True, "
              "oom_score_adj=100",
    "flags": 'read_only=True, open_stdin=True, user="1000:1000", workdir="/tmp", '
             'stop_signal="SIGINT", groups=["wheel"], isolation="default"',
}

FORMS_PROGRAM = """\
import pulumi
from docker import types
from swarm_provider import SwarmService

{services}
"""


def preview(tmp_path: Path, env: dict[str, str], name: str, program: str) -> str:
    prog = helpers.write_program(tmp_path / name, name, program)
    stack = helpers.local_stack(prog, env)
    stack.set_config("swarm:namePrefix", auto.ConfigValue("docs-"))
    done = helpers.run_cli(prog, env, "preview", "--diff")
    text = done.stdout + done.stderr
    assert done.returncode == 0, text
    return text


def test_every_documented_example_block_previews(tmp_path: Path,
                                                 pulumi_env: dict[str, str]) -> None:
    blocks = doc_blocks()
    assert len(blocks) >= 3, blocks  # README's SwarmService and objects, docs/objects.md
    text = preview(tmp_path, pulumi_env, "docblocks", DOCS_PROGRAM.format(blocks=blocks))
    assert "error" not in text.lower(), text


def test_every_documented_value_form_previews(tmp_path: Path,
                                              pulumi_env: dict[str, str]) -> None:
    services = "\n".join(
        f'SwarmService("f-{name}", image="busybox:1", {form})' for name, form in FORMS.items())
    text = preview(tmp_path, pulumi_env, "docforms", FORMS_PROGRAM.format(services=services))
    assert f"+ {len(FORMS) + 1} to create" in text, text
    assert ".0\n" not in text and ".0," not in text, text  # numbers as the user wrote them


def test_every_documented_form_is_listed() -> None:
    """Each row doc that shows a Python value form has it among FORMS (or in a doc block)."""
    from swarm_provider.schema.service import USER_FIELDS

    listed = " ".join(FORMS.values()) + " image="  # every service has an image
    for row in USER_FIELDS:
        assert f"{row.name}=" in listed, f"no documented form of {row.name} is previewed"


READABLE_PROGRAM = """\
import pulumi
from docker import types
from swarm_provider import SwarmService

SwarmService("readable", image="busybox:1", stop_grace_period=10_000_000_000,
             healthcheck={"test": "true", "interval": "5s"},
             update_config={"monitor": 1e10, "parallelism": 2},
             secrets=[types.SecretReference("abc", "pw", mode=0o440)],
             endpoint_spec={"Ports": {8081: 80}})
"""


def test_a_preview_reads_like_the_program(tmp_path: Path, pulumi_env: dict[str, str]) -> None:
    """Issue #12 item 5: durations as "10s", modes as "0o440", numbers without ".0"."""
    text = preview(tmp_path, pulumi_env, "readable", READABLE_PROGRAM)
    for expected in ('stop_grace_period: "10s"', 'Interval: "5s"', 'Monitor    : "10s"',
                     'Mode: "0o440"', "PublishedPort: 8081", "Parallelism: 2"):
        assert expected in text, (expected, text)
    for engine_form in ("10000000000", "5000000000", "288", "8081.0", "2.0"):
        assert engine_form not in text, (engine_form, text)
