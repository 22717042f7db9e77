"""What a SwarmService stores as outputs, built from a live service.

Outputs hold every row's canonical value as the engine stores it (so ``diff`` compares
new inputs against what is really live), the provider options, and the computed
outputs: id, version index, timestamps, the effective spec and the endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .spec import read_fields

COMPUTED = ("service_id", "version", "created_at", "updated_at", "spec", "endpoint")


def live_fields(service: Mapping[str, Any], network_names: Mapping[str, str]) -> dict[str, Any]:
    """Canonical rows of a live service; network ids shown as the names the user gave.

    ``network_names`` maps engine network id -> the name (or id) used in the inputs.
    """
    fields = read_fields(service.get("Spec", {}))
    if fields.get("networks"):
        fields["networks"] = [
            {**entry, "Target": network_names.get(entry["Target"], entry["Target"])}
            for entry in fields["networks"]
        ]
    return fields


def outputs(service: Mapping[str, Any], fields: Mapping[str, Any],
            options: Mapping[str, Any]) -> dict[str, Any]:
    endpoint = service.get("Endpoint", {})
    return {
        **fields,
        **options,
        "service_id": service["ID"],
        "version": service["Version"]["Index"],
        "created_at": service.get("CreatedAt"),
        "updated_at": service.get("UpdatedAt"),
        "spec": service.get("Spec"),
        "endpoint": {
            "Ports": endpoint.get("Ports", []),
            "VirtualIPs": endpoint.get("VirtualIPs", []),
        },
    }
