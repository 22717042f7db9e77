"""Record what the engine reports while services converge or fail, for test_tasks.py.

Run against the test bed (2 nodes): `python tests/unit/golden/convergence/record.py`.
Each file holds one service inspect, its up-to-date tasks and the node list, taken when
the situation named by the file is reached, and what ``tasks.assess`` should make of it.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker

HERE = Path(__file__).parent
IMAGE = os.environ.get("SWARM_TEST_IMAGE", "swarm-testbed/busybox:1.0")
SECOND = 1_000_000_000


def spec(name: str, mode: dict[str, Any], command: list[str], **template: Any) -> dict[str, Any]:
    container = {"Image": template.pop("image", IMAGE), "Command": command,
                 "StopGracePeriod": SECOND, "Init": True}
    return {"Name": name, "Labels": {"recorded": "convergence"}, "Mode": mode,
            "TaskTemplate": {"ContainerSpec": container, **template}}


def snapshot(api: Any, service_id: str) -> dict[str, Any]:
    return {
        "service": api.inspect_service(service_id),
        "tasks": api.tasks(filters={"service": service_id, "_up-to-date": "true"}),
        "nodes": api.nodes(),
    }


def record(api: Any, stem: str, body: dict[str, Any], ready: Callable[[dict[str, Any]], bool],
           expect: dict[str, Any]) -> None:
    name = f"rec-{stem}-{uuid.uuid4().hex[:4]}"
    reply = api._result(api._post_json(api._url("/services/create"), data={**body, "Name": name}),
                        True)
    try:
        deadline = time.monotonic() + 60
        while True:
            shot = snapshot(api, reply["ID"])
            if ready(shot) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        shot["expect"] = expect
        (HERE / f"{stem}.json").write_text(json.dumps(shot, indent=1, sort_keys=True) + "\n")
        print("recorded", stem)
    finally:
        api.remove_service(reply["ID"])


def states(shot: dict[str, Any]) -> list[str]:
    return [t["Status"]["State"] for t in shot["tasks"]]


def main() -> None:
    api = docker.from_env(version="auto").api
    sleep = ["sleep", "600"]
    record(api, "global-2-nodes", spec("", {"Global": {}}, sleep),
           lambda s: states(s).count("running") == 2,
           {"done": 2, "wanted": 2, "converged": True})
    record(api, "global-worker-only",
           spec("", {"Global": {}}, sleep, Placement={"Constraints": ["node.role==worker"]}),
           lambda s: states(s).count("running") == 1,
           {"done": 1, "wanted": 1, "converged": True})
    record(api, "replicated-no-image",
           spec("", {"Replicated": {"Replicas": 1}}, sleep, image="rec/no-such-image:1",
                RestartPolicy={"Condition": "any", "Delay": SECOND // 5}),
           lambda s: states(s).count("rejected") >= 4,
           {"done": 0, "wanted": 1, "converged": False, "stuck": "No such image"})
    record(api, "replicated-restart-none",
           spec("", {"Replicated": {"Replicas": 2}}, ["sh", "-c", "exit 3"],
                RestartPolicy={"Condition": "none"}),
           lambda s: states(s).count("failed") == 2,
           {"done": 0, "wanted": 2, "converged": False, "exhausted": "non-zero exit (3)"})
    record(api, "replicated-job-done",
           spec("", {"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 3}},
                ["echo", "done"]),
           lambda s: states(s).count("complete") == 3,
           {"done": 3, "wanted": 3, "converged": True})


if __name__ == "__main__":
    main()
