"""Field tables of a service's companions: networks, secrets and configs.

Same machinery as the SwarmService table (``fields.py``): one ``Field`` row per
``create()`` keyword of docker-py (``networks.create``, ``secrets.create``,
``configs.create``), bound to the key the engine prints on inspect. Secrets and
configs share one parametrised table; they differ only in the ``driver`` row (secrets),
whether ``data`` is secret, and the engine's size limits.

Swarm networks, secrets and configs are immutable in the engine, except the labels of
secrets and configs: every other change replaces the object.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import normalise as n
from .service import OWNER_LABEL
from .table import Field


def _owner(kind: str, replace: bool) -> Field:
    return Field("owner", ("Labels", OWNER_LABEL), n.text, "value", replace=replace,
                 origin="internal",
                 doc=f"Set by Swarm{kind}: project/stack/resource that owns the object, so an "
                     "interrupted create can be adopted safely on the next run.")


NETWORK_FIELDS: tuple[Field, ...] = (
    Field("name", ("Name",), n.object_name, "value", replace=True,
          doc="Network name. Defaults to the Pulumi resource name, with the stack's "
              "`swarm:namePrefix`. Services use it in `networks=[network.name]`."),
    Field("driver", ("Driver",), n.network_driver, "value", replace=True,
          doc="Network driver; defaults to overlay (the one services span nodes with)."),
    Field("options", ("Options",), n.string_map, "map", replace=True,
          doc='Driver options, e.g. {"encrypted": ""} for an encrypted overlay. Options the '
              "engine adds on its own (the VXLAN id) are not a difference."),
    Field("ipam", ("IPAM",), n.ipam, "value", replace=True,
          doc="IP address management: docker.types.IPAMConfig(pool_configs=[IPAMPool(...)]) or "
              "the Engine dict. Unset, the engine picks a subnet, which is not a difference."),
    Field("internal", ("Internal",), n.flag, "value", replace=True,
          doc="Restrict external access to the network."),
    Field("labels", ("Labels",), n.string_map, "map", replace=True,
          doc="Network labels. The engine can't change them: a change replaces the network."),
    Field("enable_ipv6", ("EnableIPv6",), n.flag, "value", replace=True,
          doc="Enable IPv6 on the network."),
    Field("attachable", ("Attachable",), n.flag, "value", replace=True,
          doc="Let standalone containers (docker run --network) attach to the overlay."),
    Field("scope", ("Scope",), n.network_scope, "value", replace=True,
          doc="local, global or swarm; unset, the engine picks (swarm for overlay)."),
    Field("ingress", ("Ingress",), n.flag, "value", replace=True,
          doc="Make this the swarm's ingress (routing-mesh) network; overlay only."),
    _owner("Network", replace=True),
)

NETWORK_ENGINE_FILLED = frozenset({"options", "ipam", "scope"})
"""Rows where the engine adds to what was asked (a subnet, the VXLAN id, the scope): the
live value only differs from the inputs when it contradicts something they set."""

NETWORK_DOCKER_PY_OBSOLETE = frozenset({"check_duplicate"})
"""docker-py keywords with no row: swarm network names are always unique, and the engine
ignores CheckDuplicate since API 1.44."""


def _file_fields(kind: str) -> tuple[Field, ...]:
    secret = kind == "Secret"
    rows = [
        Field("name", ("Name",), n.text, "value", replace=True,
              doc=f"{kind} name, versioned on the engine as `<name>-<content hash>` unless "
                  "`versioned=False`. Defaults to the resource name, with `swarm:namePrefix`."),
        Field("data", ("Data",), n.file_data, "value", replace=True, secret=secret,
              doc=f"The {kind.lower()}'s content, as text. A change creates a new object and "
                  "moves the services that reference it there (rotation)."
                  + (" Stored encrypted in the state, never printed." if secret else "")),
        Field("labels", ("Labels",), n.string_map, "map",
              doc=f"{kind} labels: the only thing the engine changes in place."),
    ]
    if secret:
        rows.append(Field("driver", ("Driver",), n.named_driver, "value", replace=True,
                          doc='External secret store plugin: docker.types.DriverConfig, '
                              '"name" or {"Name", "Options"}.'))
    rows.append(Field("templating", ("Templating",), n.templating_driver, "value", replace=True,
                      origin="docker-py" if not secret else "extra",
                      doc='Templating driver (Engine API 1.37+), e.g. "golang": the file is '
                          "rendered per task ({{ .Service.Name }}, secrets, env)."))
    rows.append(_owner(kind, replace=False))
    return tuple(rows)


@dataclass(frozen=True)
class FileKind:
    """What differs between a secret and a config."""

    name: str
    """``Secret`` or ``Config``, as in the Engine's ``SecretID``/``ConfigName`` keys."""
    table: tuple[Field, ...]
    max_bytes: int
    """The engine refuses data of this size or more."""
    min_bytes: int

    @property
    def lower(self) -> str:
        return self.name.lower()

    @property
    def id_key(self) -> str:
        return f"{self.name}ID"

    @property
    def name_key(self) -> str:
        return f"{self.name}Name"

    @property
    def computed(self) -> tuple[str, ...]:
        """Outputs besides the rows: engine id and exact (versioned) name, and so on."""
        return (f"{self.lower}_id", f"{self.lower}_name", "version", "created_at",
                "updated_at", "data_sha256")


SECRET = FileKind("Secret", _file_fields("Secret"), max_bytes=500 * 1024, min_bytes=1)
CONFIG = FileKind("Config", _file_fields("Config"), max_bytes=1000 * 1024, min_bytes=1)
