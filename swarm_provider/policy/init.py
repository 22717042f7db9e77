"""The policy pack as package data, and ``init``: a pack folder in a user's repository.

The pack (``PulumiPolicy.yaml``, ``__main__.py``, ``requirements.txt``, ``README.md``,
``config.prod.json``) ships inside the package, in ``swarm_provider/policy/pack``, so a
project needs nothing but ``pip install swarm_provider``. Two ways to use it:

* by path, straight from the installed package:
  ``pulumi preview --policy-pack "$(python -m swarm_provider.policy path)"``; it runs in
  the interpreter the CLI finds (the activated virtualenv, or ``PULUMI_PYTHON_CMD``);
* ``python -m swarm_provider.policy init policy/``: a copy in the repository, whose
  ``PulumiPolicy.yaml`` names the virtualenv (relative to the folder), so the pack runs
  in the project's virtualenv even when it is not activated, and whose config can be
  reviewed beside the code. The policies stay in the package: the copy is a thin entry
  point, so upgrading the package upgrades the rules.

The repository's own ``policy/`` folder is such a copy (a unit test keeps it fresh).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

PACK_FILES = ("PulumiPolicy.yaml", "__main__.py", "requirements.txt", "README.md",
              "config.prod.json")


def pack_dir() -> Path:
    """The pack folder inside the installed package (usable as ``--policy-pack``)."""
    return Path(__file__).resolve().parent / "pack"


def package_version() -> str:
    try:
        return metadata.version("swarm_provider")
    except metadata.PackageNotFoundError:  # running from a checkout that isn't installed
        return "0.1.0"


def default_virtualenv(target: Path) -> str | None:
    """The running virtualenv, relative to ``target`` (so the repo can move); ``None``
    outside a virtualenv."""
    if sys.prefix == sys.base_prefix:
        return None
    return os.path.relpath(sys.prefix, target.resolve())


@dataclass(frozen=True)
class PackOptions:
    """What a written pack says about where it runs."""

    virtualenv: str | None
    """``runtime.options.virtualenv`` of PulumiPolicy.yaml (relative to the pack), or
    ``None`` for the interpreter the CLI finds."""
    requirement: str
    """The requirements.txt line that brings swarm_provider (used when the CLI creates
    the virtualenv, or by ``pulumi install``)."""


def default_options(target: Path) -> PackOptions:
    return PackOptions(default_virtualenv(target), f"swarm_provider>={package_version()}")


def render(name: str, options: PackOptions) -> str:
    """The text of one pack file as written for ``options``."""
    text = (pack_dir() / name).read_text()
    if name == "PulumiPolicy.yaml" and options.virtualenv:
        text = text.rstrip("\n") + (
            "\n  options:\n"
            "    # The project's virtualenv, relative to this folder: it has swarm_provider\n"
            "    # (which brings pulumi-policy) installed.\n"
            f"    virtualenv: {options.virtualenv}\n")
    if name == "requirements.txt":
        text = text.replace("swarm_provider\n", f"{options.requirement}\n")
    return text


def write_pack(target: Path, options: PackOptions | None = None,
               force: bool = False) -> list[Path]:
    """Write the pack into ``target``; refuses to overwrite a changed file unless
    ``force`` (a reviewed config is worth keeping). Returns the files written."""
    chosen = options or default_options(target)
    target.mkdir(parents=True, exist_ok=True)
    planned = {target / name: render(name, chosen) for name in PACK_FILES}
    clashes = [p for p, text in planned.items() if p.exists() and p.read_text() != text]
    if clashes and not force:
        names = ", ".join(str(p) for p in clashes)
        raise FileExistsError(f"{names} exist and differ; pass --force to overwrite")
    written = []
    for path, text in planned.items():
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written
