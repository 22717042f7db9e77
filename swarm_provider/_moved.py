"""Module paths that Pulumi state written by swarm_provider 0.1 still names.

The SDK pickles a dynamic provider by reference (module + class name), so every stack
created before the package was split into folders holds ``swarm_provider.provider``,
``swarm_provider.object_provider`` and ``swarm_provider.engine`` in its ``__provider``
inputs, and Pulumi unpickles them again to refresh, update or delete those resources.
Importing an old path gives the module that now lives elsewhere (the same module object,
so classes compare equal).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

MOVED = {
    "swarm_provider.provider": "swarm_provider.providers.service",
    "swarm_provider.object_provider": "swarm_provider.providers.objects",
    "swarm_provider.engine": "swarm_provider.api.engine",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: object, target: object = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        """The module ran when ``create_module`` imported it under its own name."""


def install() -> None:
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.append(_Alias())
