"""swarm_provider: Docker Swarm services as Pulumi resources.

Flow, folder by folder: ``schema`` (what an input is: the field tables) -> ``core`` (check,
spec, read back, diff, outputs; pure) -> ``api`` (the engine) -> ``converge`` (wait until
it runs); ``providers`` orchestrate, ``resources`` are the classes users write against.

The resource classes are imported on first use (PEP 562): the provider process imports
this package to unpickle one provider, and a program with services only never needs the
networks, secrets and configs modules (docker-py itself waits for the first engine call).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from . import _moved

if TYPE_CHECKING:
    from .resources.objects import SwarmConfig, SwarmNetwork, SwarmSecret
    from .resources.service import SwarmService

__all__ = ["SwarmService", "SwarmNetwork", "SwarmSecret", "SwarmConfig"]

_HOMES = {"SwarmService": ".resources.service", "SwarmNetwork": ".resources.objects",
          "SwarmSecret": ".resources.objects", "SwarmConfig": ".resources.objects"}

_moved.install()


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
