"""Which inputs the program passed as Pulumi secrets, told to the provider.

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


def mark_secret_inputs(props: dict[str, Any]) -> dict[str, Any]:
    """``props`` with every input that holds an Output lifted to one Output, plus the
    ``SECRET_INPUTS_KEY`` list of the inputs that are secret."""
    lifted = {
        key: pulumi.Output.from_input(value) if _holds_output(value) else value
        for key, value in props.items()
    }
    outputs = {k: v for k, v in lifted.items() if isinstance(v, pulumi.Output)}

    async def names() -> list[str]:
        return sorted([key for key, output in outputs.items() if await output.is_secret()])

    lifted[SECRET_INPUTS_KEY] = pulumi.Output.from_input(names())
    return lifted


def secret_names(raw: Mapping[str, Any]) -> frozenset[str]:
    """The inputs ``mark_secret_inputs`` found secret, as the provider receives them."""
    names = raw.get(SECRET_INPUTS_KEY)
    if not isinstance(names, (list, tuple)):
        return frozenset()
    return frozenset(str(name) for name in names)
