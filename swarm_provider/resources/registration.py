"""The base class of our resources: the SDK's dynamic ``Resource``, minus a leak.

``pulumi.dynamic.Resource.__init__`` pickles the provider with
``serialize_provider``, which (pulumi 3.x, still in 3.272) sets
``pickle._Pickler._batch_setitems`` to a sorting wrapper around whatever is there and
never puts the old one back. Every resource adds a layer: the wrappers call each other,
so pickling gets slower with every registration, and around the 487th resource of one
process (a big program, or a long-lived Automation API process after enough runs) the
chain is deeper than Python's recursion limit and registration fails with RecursionError.

``Resource`` here saves what ``serialize_provider`` replaces and restores it once the SDK
is done, so registering our resources leaves the pickler as it found it. Nothing else
changes: the SDK still sorts while it pickles, so ``__provider`` stays byte-identical.
If a later SDK stops patching, or patches other names, the restore is a no-op for them.

A second cost grows with the square of the resources: the program's last step
(``pulumi.runtime.stack.wait_for_rpcs``) awaits every Output still pending with
``asyncio.wait(..., FIRST_COMPLETED)`` in a loop, which walks the whole pending set each
time one resolves. Every property of a resource is such an Output (62 for a service: each
input and output), all resolved by the resource's own registration. So ``Resource`` takes
its property Outputs out of that set once registered (``Output._untrack``, what the SDK
does when a derived Output takes over): the registration RPC, which the program waits for
anyway, resolves them or fails. Outputs made from them (``apply``, exports) are tracked
as before. Measured: a preview of 1,000 services took 69 s, most of it in that loop.
"""

from __future__ import annotations

import pickle
from typing import Any

import pulumi
import pulumi.dynamic

PATCHED = ("_batch_setitems", "save_dict")
"""What ``serialize_provider`` assigns on ``pickle._Pickler`` (it restores
``pickle.Pickler`` itself)."""
_MISSING = object()


def pickler_state() -> dict[str, Any]:
    """The ``pickle._Pickler`` class attributes ``serialize_provider`` replaces."""
    return {name: vars(pickle._Pickler).get(name, _MISSING)
            for name in PATCHED}


def restore_pickler(saved: dict[str, Any]) -> None:
    for name, value in saved.items():
        if value is _MISSING:
            if name in vars(pickle._Pickler):
                delattr(pickle._Pickler, name)
        else:
            setattr(pickle._Pickler, name, value)


class Resource(pulumi.dynamic.Resource):
    """``pulumi.dynamic.Resource`` that leaves ``pickle`` as it found it."""

    def __init__(self, provider: pulumi.dynamic.ResourceProvider, name: str,
                 props: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        saved = pickler_state()
        try:
            super().__init__(provider, name, props, opts)
        finally:
            restore_pickler(saved)
        untrack_properties(self)


def untrack_properties(resource: pulumi.Resource) -> None:
    """Stop the program's final wait from polling ``resource``'s property Outputs (see the
    module docstring); a no-op if the SDK's Output has no ``_untrack``."""
    for value in vars(resource).values():
        untrack = getattr(value, "_untrack", None) if isinstance(value, pulumi.Output) else None
        if untrack is not None:
            untrack()
