"""examples/ci/preview.yml, the pull-request workflow for a user's repository: it can only
run on GitHub, so this checks what can be checked here: valid YAML, the triggers and
permissions a PR comment needs, the official action's inputs, and that the paths it
expects are the ones ``python -m swarm_provider.policy init`` writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1].parent
WORKFLOW = REPO / "examples" / "ci" / "preview.yml"

# The inputs pulumi/actions v6 documents (its README, "Configuration"/"Extra options").
ACTION_INPUTS = {
    "command", "stack-name", "work-dir", "cloud-url", "comment-on-pr", "comment-on-summary",
    "github-token", "refresh", "secrets-provider", "color", "diff", "edit-pr-comment",
    "policyPacks", "policyPackConfigs", "pulumi-version", "config-map", "expect-no-changes",
    "message", "parallel", "upsert", "suppress-outputs", "suppress-progress",
    "always-include-summary", "comment-on-pr-number",
}


def workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(loaded, dict)
    return loaded


def steps() -> list[dict[str, Any]]:
    (job,) = workflow()["jobs"].values()
    return list(job["steps"])


def test_runs_on_every_pull_request_and_may_comment() -> None:
    flow = workflow()
    assert list(flow[True]) == ["pull_request"]  # YAML 1.1 reads the key `on` as True
    assert flow["permissions"] == {"contents": "read", "pull-requests": "write"}


def test_previews_with_the_official_action_the_diff_and_the_pack() -> None:
    (action,) = [s for s in steps() if str(s.get("uses", "")).startswith("pulumi/")]
    assert action["uses"] == "pulumi/actions@v6"
    inputs = action["with"]
    assert set(inputs) <= ACTION_INPUTS, set(inputs) - ACTION_INPUTS
    assert inputs["command"] == "preview" and inputs["diff"] is True
    assert inputs["comment-on-pr"] is True
    assert inputs["policyPacks"] == "${{ github.workspace }}/policy"
    assert inputs["work-dir"] == "${{ env.PROJECT_DIR }}"
    assert "PULUMI_CONFIG_PASSPHRASE" in action["env"]


def test_installs_the_package_before_the_preview() -> None:
    names = [s.get("uses") or s.get("name") for s in steps()]
    assert names.index("Virtualenv") < names.index("pulumi/actions@v6")
    (venv,) = [s for s in steps() if s.get("name") == "Virtualenv"]
    assert "pip install -r requirements.txt" in venv["run"]
    requirement = (REPO / "examples" / "ci" / "requirements.txt").read_text()
    assert "swarm_provider @ git+https://" in requirement


def test_the_pack_check_matches_what_init_writes(tmp_path: Path) -> None:
    """The workflow's "Policy pack is in place" step, run on a repo laid out as the
    README says: policy/ written by init from infra/venv's interpreter."""
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    (repo / "infra" / "venv").symlink_to(sys.prefix, target_is_directory=True)
    subprocess.run([str(repo / "infra" / "venv" / "bin" / "python"), "-m",
                    "swarm_provider.policy", "init", "policy"], cwd=repo, check=True,
                   capture_output=True)
    (check,) = [s for s in steps() if s.get("name") == "Policy pack is in place"]
    env = {**os.environ, "PROJECT_DIR": workflow()["env"]["PROJECT_DIR"]}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", check["run"]], cwd=repo, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr + (repo / "policy/PulumiPolicy.yaml").read_text()
