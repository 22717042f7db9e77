"""Normalisers: every value form docker-py accepts -> one canonical Engine JSON form.

Each function takes what a user may write (a ``docker.types`` object, the Engine-shaped
dict it produces, a constructor-style dict, a string, a tuple) *or* what ``inspect``
returns, and gives the same canonical value, so ``normalise(read(build(x))) ==
normalise(x)``. ``None`` means "not set". Engine defaults that the engine fills in on
its own (``Isolation: default``, ``Labels: {}``, ``Mode: Replicated{1}``) normalise to
the same value as "not set", which is what keeps diffs empty.
"""

from __future__ import annotations

from .base import (
    Normaliser,
    boolean,
    command,
    duration,
    env,
    flag,
    hosts,
    isolation,
    positive_int,
    seconds,
    string_map,
    string_set,
    text,
    tristate,
)
from .container import (
    configs,
    dns_config,
    healthcheck,
    mounts,
    mounts_order_free,
    oom_score_adj,
    privileges,
    secrets,
    ulimits,
)
from .objects import (
    file_data,
    ipam,
    named_driver,
    network_driver,
    network_scope,
    object_name,
    templating_driver,
)
from .service import (
    endpoint_order_free,
    endpoint_spec,
    mode,
    mode_kind,
    update_config,
)
from .task import (
    log_driver_name,
    networks,
    networks_order_free,
    platforms,
    preferences,
    resources,
    restart_policy,
)

__all__ = [
    "Normaliser",
    "boolean",
    "command",
    "configs",
    "dns_config",
    "duration",
    "endpoint_order_free",
    "endpoint_spec",
    "env",
    "file_data",
    "flag",
    "healthcheck",
    "hosts",
    "ipam",
    "isolation",
    "log_driver_name",
    "mode",
    "mode_kind",
    "mounts",
    "mounts_order_free",
    "named_driver",
    "network_driver",
    "network_scope",
    "networks",
    "networks_order_free",
    "object_name",
    "platforms",
    "positive_int",
    "preferences",
    "privileges",
    "resources",
    "restart_policy",
    "seconds",
    "secrets",
    "string_map",
    "string_set",
    "templating_driver",
    "text",
    "tristate",
    "oom_score_adj",
    "ulimits",
    "update_config",
]
