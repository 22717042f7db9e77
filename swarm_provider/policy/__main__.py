"""``python -m swarm_provider.policy``: put the policy pack where a project can use it.

    python -m swarm_provider.policy init policy/     # a pack folder in your repository
    python -m swarm_provider.policy path             # the pack inside the installed package
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .init import PackOptions, default_options, pack_dir, write_pack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m swarm_provider.policy",
        description="The SwarmService policy pack for `pulumi preview --policy-pack`.")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="write a pack folder (PulumiPolicy.yaml, "
                               "__main__.py, requirements.txt, README.md, config.prod.json)")
    init.add_argument("directory", type=Path)
    venv = init.add_mutually_exclusive_group()
    venv.add_argument("--virtualenv", help="runtime virtualenv of the pack, relative to the "
                      "folder or absolute (default: the running virtualenv, made relative)")
    venv.add_argument("--no-virtualenv", action="store_true",
                      help="name no virtualenv: the CLI's interpreter runs the pack")
    init.add_argument("--requirement", help="the requirements.txt line for swarm_provider "
                      "(default: swarm_provider>=<this version>; a git URL works too)")
    init.add_argument("--force", action="store_true", help="overwrite changed files")
    commands.add_parser("path", help="print the pack folder inside the installed package")
    args = parser.parse_args(argv)

    if args.command == "path":
        print(pack_dir())
        return 0
    defaults = default_options(args.directory)
    options = PackOptions(
        None if args.no_virtualenv else (args.virtualenv or defaults.virtualenv),
        args.requirement or defaults.requirement)
    try:
        written = write_pack(args.directory, options, force=args.force)
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    where = f"virtualenv {options.virtualenv}" if options.virtualenv else "the CLI's python"
    print(f"pack ready (runs in {where}): pulumi preview --policy-pack {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
