"""Engine specs of networks, secrets and configs from canonical inputs, and the way back.

Pure, like ``spec.py``/``state.py`` for services. Two things need more than the generic
``build_spec``/``read_fields`` round trip:

* secrets and configs live on the engine under a *versioned* name,
  ``<name>-<first 12 hex digits of the content's SHA-256>``, so that a new content can
  exist next to the old one while services move over (rotation); their ``Data`` is
  base64 on the wire, and the engine never returns a secret's data;
* the engine fills in parts of a network it was not given (a subnet, the VXLAN id
  option, the scope): those only count as a difference when they contradict an input.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..schema.objects import (
    NETWORK,
    NETWORK_ENGINE_FILLED,
    NETWORK_FIELDS,
    FileKind,
)
from ..schema.objects import data_sha256 as data_sha256  # its home: the output row uses it
from .outputs import table_outputs
from .spec import build_spec, read_fields

VERSION_DIGITS = 12


def version_tag(canonical: Mapping[str, Any]) -> str:
    """The first 12 hex digits of the SHA-256 of the object's content.

    The content is the data; a driver or templating driver, when set, is part of it too
    (it changes what tasks see), hashed after a NUL as canonical JSON.
    """
    digest = hashlib.sha256((canonical.get("data") or "").encode("utf-8"))
    extras = {key: canonical[key] for key in ("driver", "templating") if canonical.get(key)}
    if extras:
        digest.update(b"\0" + json.dumps(extras, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()[:VERSION_DIGITS]


def engine_name(canonical: Mapping[str, Any], versioned: bool) -> str:
    """The name of the secret/config on the engine: versioned unless ``versioned=False``."""
    name = str(canonical["name"])
    return f"{name}-{version_tag(canonical)}" if versioned else name


def is_versioned(options: Mapping[str, Any]) -> bool:
    return options.get("versioned") is not False


def file_object_spec(canonical: Mapping[str, Any], kind: FileKind,
                     versioned: bool) -> dict[str, Any]:
    """The complete SecretSpec/ConfigSpec to create: versioned name, base64 data."""
    spec = build_spec(canonical, kind.table)
    spec["Name"] = engine_name(canonical, versioned)
    if canonical.get("data") is not None:
        spec["Data"] = base64.b64encode(canonical["data"].encode("utf-8")).decode("ascii")
    return spec


def file_object_fields(live: Mapping[str, Any], kind: FileKind, state: Mapping[str, Any],
                       versioned: bool) -> dict[str, Any]:
    """Canonical rows of a live secret/config.

    A secret's data never comes back: it is taken from ``state`` (the versioned name
    vouches for it). The name is shown unversioned when the live name is exactly the one
    ``state`` leads to, and as the engine has it otherwise.
    """
    spec = dict(live.get("Spec") or {})
    raw = spec.pop("Data", None)
    fields = read_fields(spec, kind.table)
    fields["data"] = state.get("data") if raw is None else _decode(raw)
    live_name = str(spec.get("Name", ""))
    wanted = state.get("name")
    if wanted is not None and live_name == engine_name({**fields, "name": wanted}, versioned):
        fields["name"] = wanted
    else:
        fields["name"] = live_name
    return fields


def _decode(raw: str) -> str:
    try:
        return base64.b64decode(raw).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return f"<undecodable: {raw[:16]}...>"


def file_object_outputs(live: Mapping[str, Any], kind: FileKind, fields: Mapping[str, Any],
                        options: Mapping[str, Any]) -> dict[str, Any]:
    return table_outputs(live, fields, options, kind.resource)


def network_fields(live: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical rows of a live network; what the engine added on its own is not shown."""
    fields = read_fields(live, NETWORK_FIELDS)
    for row in NETWORK_FIELDS:
        if row.name in NETWORK_ENGINE_FILLED:
            try:
                wanted = row.normalise(desired.get(row.name))
            except Exception:  # noqa: BLE001 - unreadable old state: show the live value
                continue
            if covers(fields[row.name], wanted):
                fields[row.name] = wanted
    return fields


def covers(live: Any, wanted: Any) -> bool:
    """Whether ``live`` has everything ``wanted`` asks for (``None`` asks for nothing)."""
    if wanted is None:
        return True
    if isinstance(wanted, Mapping):
        return isinstance(live, Mapping) and all(covers(live.get(k), v) for k, v in wanted.items())
    if isinstance(wanted, list):
        return (isinstance(live, list) and len(live) == len(wanted)
                and all(covers(a, b) for a, b in zip(live, wanted, strict=True)))
    return bool(live == wanted)


def network_outputs(live: Mapping[str, Any], fields: Mapping[str, Any],
                    options: Mapping[str, Any]) -> dict[str, Any]:
    return table_outputs(live, fields, options, NETWORK)


NETWORK_COMPUTED = NETWORK.output_names
