"""``SwarmNetwork``, ``SwarmSecret`` and ``SwarmConfig``: the resources a service uses.

Their outputs plug into ``SwarmService``: ``networks=[network.name]`` and
``secrets=[secret.reference("db_password")]`` (likewise ``configs=[config.reference(...)]``).
Because those inputs come from these resources' outputs, Pulumi creates them before the
service, updates the service when they are replaced, and deletes them after it.

Keyword names are docker-py's (``networks.create``, ``secrets.create``,
``configs.create``); see ``object_fields`` for what each input does.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi

from ..core.objects import NETWORK_COMPUTED
from ..errors import ValidationError, field_message
from ..providers.objects import (
    ConfigProvider,
    FileObjectProvider,
    NetworkProvider,
    SecretProvider,
)
from ..schema.objects import CONFIG, NETWORK_FIELDS, SECRET, FileKind
from ..schema.table import input_names
from .inputs import prepare_inputs
from .registration import Resource
from .service import default_name, read_existing

Json = Any


def _props(resource_name: str, inputs: dict[str, Any], computed: tuple[str, ...]) -> dict[str, Any]:
    """Inputs plus the computed outputs (as None, so Pulumi resolves them), name, owner."""
    props: dict[str, Any] = {key: None for key in computed}
    props.update(inputs)
    if props.get("name") is None:
        props["name"] = default_name(resource_name)
    props["owner"] = f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"
    return prepare_inputs(props)


class SwarmNetwork(Resource, module="swarm", name="Network"):
    """A Swarm network (overlay by default). Networks can't change: any change replaces it.

    A replacement deletes the old network first (two networks can't share a name),
    which the engine refuses while a service still uses it; change ``name`` as well to
    replace it without that: the new network is created, services move, the old one goes.
    Outputs: ``network_id`` (also the Pulumi id), ``created_at`` and every input.
    """

    network_id: pulumi.Output[str]
    created_at: pulumi.Output[str]
    name: pulumi.Output[str]
    driver: pulumi.Output[str]
    options: pulumi.Output[dict[str, str] | None]
    ipam: pulumi.Output[dict[str, Any] | None]
    labels: pulumi.Output[dict[str, str] | None]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str] | None = None,
        driver: pulumi.Input[str] | None = None,
        options: pulumi.Input[dict[str, str]] | None = None,
        ipam: pulumi.Input[Json] | None = None,
        internal: pulumi.Input[bool] | None = None,
        labels: pulumi.Input[dict[str, str]] | None = None,
        enable_ipv6: pulumi.Input[bool] | None = None,
        attachable: pulumi.Input[bool] | None = None,
        scope: pulumi.Input[str] | None = None,
        ingress: pulumi.Input[bool] | None = None,
        delete_timeout: pulumi.Input[float] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``delete_timeout`` (seconds, default 60): how long a delete waits for services
        and tasks to let go of the network before failing with their names. ``adopt=True``:
        an existing network of that name made outside Pulumi is taken over if it matches."""
        inputs = {key: value for key, value in locals().items() if key in NETWORK_INPUT_NAMES}
        super().__init__(NetworkProvider(), resource_name,
                         _props(resource_name, inputs, NETWORK_COMPUTED), opts)

    @staticmethod
    def get(resource_name: str, id: pulumi.Input[str],
            opts: pulumi.ResourceOptions | None = None) -> SwarmNetwork:
        """Pulumi's usual ``get``: the existing network ``id`` (id or name), read only.
        Services can use its ``name``; stack policies count it as declared."""
        return read_existing(SwarmNetwork, NetworkProvider(), resource_name, id,
                             (*NETWORK_COMPUTED, *NETWORK_INPUT_NAMES, "owner"), opts)


class _FileObject(Resource):
    """What SwarmSecret and SwarmConfig share: inputs, versioned names, ``reference()``."""

    _kind: ClassVar[FileKind]
    name: pulumi.Output[str]
    data: pulumi.Output[str]
    data_sha256: pulumi.Output[str]
    version: pulumi.Output[int]
    created_at: pulumi.Output[str]
    updated_at: pulumi.Output[str]
    labels: pulumi.Output[dict[str, str] | None]

    def _register(self, provider: FileObjectProvider, resource_name: str,
                  inputs: dict[str, Any], opts: pulumi.ResourceOptions | None) -> None:
        data = inputs.get("data")
        if isinstance(data, (bytes, bytearray)):
            inputs["data"] = _utf8(data)
        self._short_name = resource_name
        super().__init__(provider, resource_name,
                         _props(resource_name, inputs, self._kind.computed), opts)

    def reference(self, file_name: pulumi.Input[str] | None = None, uid: str = "0",
                  gid: str = "0", mode: int = 0o444) -> pulumi.Output[Any]:
        """The complete Engine reference for ``SwarmService(secrets=[...])`` / ``configs``:
        id and exact (versioned) name, and the file. ``file_name`` defaults to the
        resource name, the short one: ``SwarmSecret("db-password")`` mounts at
        ``/run/secrets/db-password`` in every stack, whatever ``swarm:namePrefix`` or
        ``name`` make the engine object's name (as ``docker stack deploy`` mounts at the
        compose key, not at ``<stack>_<key>``); the path also survives rotation."""
        kind = self._kind
        object_id = getattr(self, f"{kind.lower}_id")
        engine_name = getattr(self, f"{kind.lower}_name")

        short_name = self._short_name

        def build(values: list[Any]) -> dict[str, Any]:
            ref_id, ref_name, wanted_file = values
            return {
                kind.id_key: ref_id,
                kind.name_key: ref_name,
                "File": {"Name": wanted_file or short_name, "UID": str(uid), "GID": str(gid),
                         "Mode": int(mode)},
            }

        return pulumi.Output.all(object_id, engine_name, file_name).apply(build)


class SwarmSecret(_FileObject, module="swarm", name="Secret"):
    """A Swarm secret whose content is encrypted in the Pulumi state and never printed.

    On the engine it is named ``<name>-<first 12 hex of sha256(data)>``: changing
    ``data`` creates the new secret, updates the services that use ``reference()`` to
    it, then deletes the old one, in one ``pulumi up``. ``versioned=False`` keeps the
    plain name; a data change then deletes first, which the engine refuses while a
    service uses the secret. Outputs: ``secret_id`` (the Pulumi id), ``secret_name``
    (the engine's name), ``data_sha256``, ``version``, timestamps and every input
    (``data`` as a secret).
    """

    _kind = SECRET
    secret_id: pulumi.Output[str]
    secret_name: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        data: pulumi.Input[str] | bytes | None = None,
        *,
        name: pulumi.Input[str] | None = None,
        labels: pulumi.Input[dict[str, str]] | None = None,
        driver: pulumi.Input[str | Json] | None = None,
        templating: pulumi.Input[str | Json] | None = None,
        versioned: pulumi.Input[bool] | None = None,
        delete_timeout: pulumi.Input[float] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``delete_timeout`` (seconds, default 60): how long a delete waits for services
        to stop using the secret before failing with their names."""
        inputs = {key: value for key, value in locals().items() if key in SECRET_INPUT_NAMES}
        if isinstance(data, (bytes, bytearray)):
            data = _utf8(data)
        # Secret on the way in (a plain string would otherwise be stored in clear) and
        # on the way out, whatever the provider returns under that key.
        inputs["data"] = None if data is None else pulumi.Output.secret(data)
        hidden = pulumi.ResourceOptions(additional_secret_outputs=["data"])
        self._register(SecretProvider(), resource_name, inputs,
                       pulumi.ResourceOptions.merge(hidden, opts))

    @staticmethod
    def get(resource_name: str, id: pulumi.Input[str],
            opts: pulumi.ResourceOptions | None = None) -> SwarmSecret:
        """Pulumi's usual ``get``: the existing secret ``id`` (the engine's id or exact
        name), read only; ``reference()`` works on it. Its data stays unknown (the engine
        never returns a secret's data)."""
        hidden = pulumi.ResourceOptions(additional_secret_outputs=["data"])
        return read_existing(SwarmSecret, SecretProvider(), resource_name, id,
                             (*SECRET.computed, *SECRET_INPUT_NAMES, "owner"),
                             pulumi.ResourceOptions.merge(hidden, opts))


class SwarmConfig(_FileObject, module="swarm", name="Config"):
    """A Swarm config (plain content, e.g. a configuration file), versioned like
    SwarmSecret. Outputs: ``config_id`` (the Pulumi id), ``config_name`` (the engine's
    name), ``data_sha256``, ``version``, timestamps and every input."""

    _kind = CONFIG
    config_id: pulumi.Output[str]
    config_name: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        data: pulumi.Input[str] | bytes | None = None,
        *,
        name: pulumi.Input[str] | None = None,
        labels: pulumi.Input[dict[str, str]] | None = None,
        templating: pulumi.Input[str | Json] | None = None,
        versioned: pulumi.Input[bool] | None = None,
        delete_timeout: pulumi.Input[float] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``delete_timeout`` as for SwarmSecret."""
        inputs = {key: value for key, value in locals().items() if key in CONFIG_INPUT_NAMES}
        self._register(ConfigProvider(), resource_name, inputs, opts)

    @staticmethod
    def get(resource_name: str, id: pulumi.Input[str],
            opts: pulumi.ResourceOptions | None = None) -> SwarmConfig:
        """Pulumi's usual ``get``: the existing config ``id`` (id or exact name), read
        only; ``reference()`` works on it."""
        return read_existing(SwarmConfig, ConfigProvider(), resource_name, id,
                             (*CONFIG.computed, *CONFIG_INPUT_NAMES, "owner"), opts)


def _utf8(data: bytes | bytearray) -> str:
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError([("data", field_message(
            "data", "Data", "is not UTF-8 text", "<bytes>",
            "binary content can't be a Pulumi input", secret=True))]) from None



NETWORK_INPUT_NAMES = input_names(NETWORK_FIELDS, NetworkProvider.options)
SECRET_INPUT_NAMES = input_names(SECRET.table, SecretProvider.options)
CONFIG_INPUT_NAMES = input_names(CONFIG.table, ConfigProvider.options)
