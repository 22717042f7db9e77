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

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import normalise as n
from .service import OWNER_LABEL
from .table import Field, Output, Table, live_at, option


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
    Field("ipam", ("IPAM",), n.ipam, "value", replace=True, struct=n.IPAM_CONFIG,
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

DELETE_TIMEOUT = 60.0
"""Seconds a delete waits, when ``delete_timeout`` is unset, for users to let go."""


def _object_options(kind: str, versioned: bool) -> tuple[Field, ...]:
    users = "services and tasks" if kind == "network" else "services"
    rows = [
        option("delete_timeout", n.seconds("must be seconds >= 0"), default=DELETE_TIMEOUT,
               doc=f"Seconds a delete retries while the engine says the {kind} is in use (by "
                   f"{users} still letting go), then fails naming them. Default 60."),
        option("adopt", n.boolean, default=False,
               doc=f"An existing {kind} of that name made outside Pulumi (`docker stack "
                   "deploy`, say) is taken over if it has what the inputs declare."),
    ]
    if versioned:
        rows.append(option(
            "versioned", n.boolean, default=True, replace=True,
            doc=f"Name the engine's {kind} `<name>-<content hash>` (default), so new content "
                "is a new object created before the old one goes; false keeps the plain name "
                "(a content change then deletes first). A change replaces the object."))
    return tuple(rows)


NETWORK_OUTPUTS: tuple[Output, ...] = (
    Output("network_id", "The engine's id of the network (also the Pulumi id).", live_at("Id")),
    Output("created_at", "When the engine created the network.", live_at("Created")),
)

NETWORK = Table("SwarmNetwork", NETWORK_FIELDS, _object_options("network", versioned=False),
                NETWORK_OUTPUTS)
"""The whole SwarmNetwork declaration: input, option and output rows."""

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
                          struct=n.DRIVER,
                          doc='External secret store plugin: docker.types.DriverConfig, '
                              '"name" or {"Name", "Options"}.'))
    rows.append(Field("templating", ("Templating",), n.templating_driver, "value", replace=True,
                      struct=n.DRIVER,
                      origin="docker-py" if not secret else "extra",
                      doc='Templating driver (Engine API 1.37+), e.g. "golang": the file is '
                          "rendered per task ({{ .Service.Name }}, secrets, env)."))
    rows.append(_owner(kind, replace=False))
    return tuple(rows)


def data_sha256(data: str | None) -> str | None:
    """SHA-256 of the content (hex): a non-secret fingerprint of a secret's value."""
    return None if data is None else hashlib.sha256(data.encode("utf-8")).hexdigest()


def _data_sha256(_live: Mapping[str, Any], fields: Mapping[str, Any]) -> str | None:
    return data_sha256(fields.get("data"))


def _file_outputs(kind: str) -> tuple[Output, ...]:
    lower = kind.lower()
    return (
        Output(f"{lower}_id", f"The engine's id of the {lower} (also the Pulumi id).",
               live_at("ID")),
        Output(f"{lower}_name", f"The {lower}'s name on the engine (versioned: "
               "`<name>-<content hash>`); what services reference.", live_at("Spec", "Name")),
        Output("version", f"The engine's version index of the {lower}.",
               live_at("Version", "Index")),
        Output("created_at", f"When the engine created the {lower}.", live_at("CreatedAt")),
        Output("updated_at", f"When the engine last changed the {lower}.", live_at("UpdatedAt")),
        Output("data_sha256", "SHA-256 of the content (hex): a fingerprint that is no secret.",
               _data_sha256),
    )


def _file_table(kind: str) -> Table:
    return Table(f"Swarm{kind}", _file_fields(kind), _object_options(kind.lower(), True),
                 _file_outputs(kind))


@dataclass(frozen=True)
class FileKind:
    """What differs between a secret and a config."""

    name: str
    """``Secret`` or ``Config``, as in the Engine's ``SecretID``/``ConfigName`` keys."""
    resource: Table
    """The resource's declaration: input, option and output rows."""
    max_bytes: int
    """The engine refuses data of this size or more."""
    min_bytes: int

    @property
    def table(self) -> tuple[Field, ...]:
        """The input rows."""
        return self.resource.inputs

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
        return self.resource.output_names


SECRET = FileKind("Secret", _file_table("Secret"), max_bytes=500 * 1024, min_bytes=1)
CONFIG = FileKind("Config", _file_table("Config"), max_bytes=1000 * 1024, min_bytes=1)
