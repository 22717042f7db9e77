"""What `up` makes besides the swarm: the virtualenv and the Pulumi CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .config import SCRIPTS, TestbedError, say
from .process import write_state


def ensure_venv() -> None:
    subprocess.run([sys.executable, str(SCRIPTS / "ensure-venv")], check=True)


def ensure_pulumi_cli() -> None:
    script = SCRIPTS / "pulumi-cli"
    if not os.access(script, os.X_OK):
        say(f"warning: {script} is missing or not executable; skipping the Pulumi CLI")
        return
    result = subprocess.run([str(script)], stdout=subprocess.PIPE, text=True)
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if result.returncode != 0 or not lines or not Path(lines[-1]).is_dir():
        raise TestbedError(f"{script} failed ({result.returncode}) or printed no bin folder")
    write_state("pulumi-bin", lines[-1])
