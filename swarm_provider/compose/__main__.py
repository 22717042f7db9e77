"""``python -m swarm_provider.compose convert FILE... [--stack-name NAME]``: print a
Pulumi program of SwarmService(...) calls equivalent to ``docker stack deploy``."""

from __future__ import annotations

import argparse
import sys

from .errors import ComposeError
from .program import convert


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m swarm_provider.compose")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("convert", help="print a Pulumi program for compose files")
    command.add_argument("files", nargs="+", metavar="FILE",
                         help="compose files, later ones overriding earlier ones")
    command.add_argument("--stack-name", default="app",
                         help="the stack name docker stack deploy would be given (default app)")
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(convert(args.files, args.stack_name, warn=_warn))
    except ComposeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
