"""What the program process does to inputs before Pulumi serializes them.

Two things only the program side can do, because they concern values before they cross
into Pulumi:

**Dict keys.** Pulumi's serializer takes string keys only: docker-py's documented
``{"Ports": {8080: 80}}`` died with ``TypeError: bad argument type``. Number keys become
strings (the normalisers read ``"8080"`` as 8080).

**Secrets.**

A Python dynamic provider answers ``acceptSecrets: false``, so the engine hands ``check``,
``create`` and ``update`` every secret as a plain value: the provider cannot see that
``healthcheck={"test": secret_token}`` holds a secret (checked with Pulumi 3.274 and the
3.272 SDK: no envelope, no marker). Two things follow, both done here in the program
process, where secrets are still Outputs:

- A secret nested in a structure whose canonical form renames its keys (``test`` ->
  ``Test``) would come back from ``check`` unmarked, and the preview would print it. So an
  input holding any Output is lifted to one Output for the whole input: the engine then
  marks the whole input (and output) secret when any part of it is.
- The names of the inputs that are, or contain, a secret travel in the internal input
  ``SECRET_INPUTS_KEY``, so the provider redacts them in every message (``secret_names``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

SECRET_INPUTS_KEY = "__secret_inputs"
"""Internal input (``__`` keys are hidden from previews and policies): sorted names of
the inputs that hold a Pulumi secret."""


def _holds_output(value: Any) -> bool:
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, Mapping):
        return any(_holds_output(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_output(v) for v in value)
    return False


def string_keys(value: Any) -> Any:
    """``value`` with int/float dict keys as strings, at any depth (Outputs untouched)."""
    if isinstance(value, Mapping):
        return {(_key_text(k) if isinstance(k, (int, float)) and not isinstance(k, bool)
                 else k): string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [string_keys(v) for v in value]
    if isinstance(value, tuple):
        return tuple(string_keys(v) for v in value)
    return value


def _key_text(key: float) -> str:
    return str(int(key)) if float(key).is_integer() else str(key)


def prepare_inputs(props: dict[str, Any]) -> dict[str, Any]:
    """``props`` ready for Pulumi: string keys; every input that holds an Output lifted to
    one Output; plus the ``SECRET_INPUTS_KEY`` list of the inputs that are secret."""
    lifted = {
        key: pulumi.Output.from_input(string_keys(value)) if _holds_output(value)
        else string_keys(value)
        for key, value in props.items()
    }
    outputs = {k: v for k, v in lifted.items() if isinstance(v, pulumi.Output)}

    async def names() -> list[str]:
        return sorted([key for key, output in outputs.items() if await output.is_secret()])

    lifted[SECRET_INPUTS_KEY] = pulumi.Output.from_input(names())
    return lifted


def refuse_import(kind: str, resource_name: str, opts: pulumi.ResourceOptions | None) -> None:
    """``ResourceOptions(import_=...)`` can't work for a dynamic resource: the engine's
    import calls Read with no inputs and no state, so the SDK's provider host fails with
    ``KeyError: '__provider'`` before any code of ours runs (the same happens to
    ``pulumi import`` on the command line, where nothing of this package is loaded at
    all). Say what works instead, here, in the program."""
    if opts is not None and getattr(opts, "import_", None):
        raise ValueError(
            f"{kind} {resource_name!r}: import_ is not supported for Pulumi dynamic "
            "resources (nor is `pulumi import`); declare the service with adopt=True "
            "instead: `pulumi up` takes the existing service over in place")


def secret_names(raw: Mapping[str, Any]) -> frozenset[str]:
    """The inputs ``prepare_inputs`` found secret, as the provider receives them."""
    names = raw.get(SECRET_INPUTS_KEY)
    if not isinstance(names, (list, tuple)):
        return frozenset()
    return frozenset(str(name) for name in names)
