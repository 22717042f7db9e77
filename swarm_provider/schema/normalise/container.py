"""Normalisers of container-spec structures: healthcheck, DNS, privileges, mounts,
secret/config references, ulimits."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from ...errors import FieldValueError
from ..struct import Key, Struct
from ..units import as_int, byte_count, duration_ns, duration_text
from .base import (
    Normaliser,
    as_list,
    as_mapping,
    as_text,
    count,
    flag,
    is_list,
    item_text,
    prune,
    strict_bool,
    string_map,
)


def file_mode(value: Any) -> str:
    """Permission bits, canonical as ``"0o440"`` (a preview then reads like the program).

    Numbers (``0o440``, 288) and ``"0o440"`` are accepted; any other string is refused:
    ``"0400"`` read as decimal would be 400 = ``0o620``, and octal-or-decimal is a guess.
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if not (text.startswith("0o") and text[2:] and set(text[2:]) <= set("01234567")):
            raise FieldValueError("must be a number such as 0o440, or the string \"0o440\"",
                                  "write the octal literal 0o440 (Python) or 288", value=value)
        mode = int(text, 8)
    else:
        mode = as_int(value, "a number such as 0o440")
    if not 0 <= mode <= 0o7777:
        raise FieldValueError("must be between 0 and 0o7777", value=value)
    return f"0o{mode:o}"


def absolute_path(value: Any, what: str) -> str:
    """A path inside the container: absolute (``/data``) or a Windows drive path."""
    path = item_text(value, "a path")
    if not (path.startswith("/") or (len(path) > 2 and path[1] == ":" and path[2] in "\\/")):
        raise FieldValueError(f"{what} must be an absolute path", 'e.g. "/data"', value=value)
    return path


def _health_test(test: Any) -> list[str]:
    """A string runs in a shell (``CMD-SHELL``); a list starts NONE, CMD or CMD-SHELL."""
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    elif not is_list(test):
        raise FieldValueError("must be a string or a list", value=test)
    items = [item_text(t) for t in test]
    if items and items[0] not in ("NONE", "CMD", "CMD-SHELL"):
        raise FieldValueError("must start with NONE, CMD or CMD-SHELL, or be a string",
                              value=items[0])
    return items


def _probe_duration(value: Any) -> str | None:
    """A healthcheck duration: at least 1 ms; 0 inherits from the image (as unset)."""
    nanoseconds = duration_ns(value)
    if 0 < nanoseconds < 1_000_000:
        raise FieldValueError("must be at least 1ms (or 0 to inherit)",
                              'durations without a unit are nanoseconds: write "5s"',
                              value=value)
    return duration_text(nanoseconds) if nanoseconds else None


HEALTHCHECK = Struct("Healthcheck", (
    Key("Test", _health_test, doc="A string runs in a shell; a list starts NONE, CMD or "
                                  "CMD-SHELL."),
    Key("Interval", _probe_duration, doc="Time between checks (at least 1ms)."),
    Key("Timeout", _probe_duration, doc="Time one check may take."),
    Key("Retries", count, doc="Failures in a row that make the task unhealthy."),
    Key("StartPeriod", _probe_duration, doc="Start-up time during which failures don't count."),
))


def healthcheck(value: Any) -> dict[str, Any] | None:
    """Healthcheck: a string test runs in a shell (``CMD-SHELL``), durations in ns or "5s"."""
    if value is None:
        return None
    out = HEALTHCHECK.read(value)
    out["Test"] = out["Test"] or []
    return prune(out) or None


def _strings(value: Any) -> list[str]:
    return [item_text(v) for v in as_list(value, "strings")]


DNS_CONFIG = Struct("DNSConfig", (
    Key("Nameservers", _strings, doc="Resolver addresses."),
    Key("Search", _strings, doc="Search domains."),
    Key("Options", _strings, doc='Resolver options, e.g. "ndots:2".'),
))


def dns_config(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return prune(DNS_CONFIG.read(value)) or None


CREDENTIAL_SPEC = Struct("CredentialSpec", (
    Key("Config", item_text, doc="A Swarm config holding the credential spec."),
    Key("File", item_text, flat="credentialspec_file", doc="A file holding it."),
    Key("Registry", item_text, flat="credentialspec_registry",
        doc="A registry value holding it."),
), doc="Windows credential spec: one of Config, File, Registry.")

SELINUX_CONTEXT = Struct("SELinuxContext", (
    Key("Disable", lambda v: strict_bool(v, "Disable"), flat="selinux_disable",
        doc="Disable SELinux labelling."),
    Key("User", item_text, flat="selinux_user"),
    Key("Role", item_text, flat="selinux_role"),
    Key("Type", item_text, flat="selinux_type"),
    Key("Level", item_text, flat="selinux_level"),
))

PRIVILEGES = Struct("Privileges", (
    Key("CredentialSpec", struct=CREDENTIAL_SPEC),
    Key("SELinuxContext", struct=SELINUX_CONTEXT),
    Key("NoNewPrivileges", flag, doc="API 1.44+; false reads as unset."),
))


def privileges(value: Any) -> dict[str, Any] | None:
    """Privileges; docker-py sends every SELinux field (nulls), the engine adds nulls too,
    and engines from 25.0 on add ``"NoNewPrivileges": false``."""
    if value is None:
        return None
    pruned = prune(PRIVILEGES.read(value))
    if len(pruned.get("CredentialSpec", {})) > 1:
        raise FieldValueError("CredentialSpec takes one of Config, File, Registry")
    return pruned or None


def _optional_text(value: Any) -> str | None:
    return None if value is None else item_text(value)


_MOUNT_TYPES = {"bind", "volume", "tmpfs", "npipe"}


def mounts(value: Any) -> list[dict[str, Any]] | None:
    """Mounts: ``"src:dst[:ro|rw]"`` strings, ``docker.types.Mount`` or Engine dicts, in
    the order given: the engine stores them as sent and ``docker stack deploy`` keeps the
    file's order, so sorting here would store a different spec (comparison is order-free:
    ``mounts_order_free``)."""
    if value is None:
        return None
    out = [_mount(item) for item in as_list(value, "mounts")]
    targets = [m["Target"] for m in out]
    duplicate = next((t for t in targets if targets.count(t) > 1), None)
    if duplicate:
        raise FieldValueError(f"duplicate mount point {duplicate}")
    return out or None


def mounts_order_free(canonical: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Canonical mounts by target: the same mounts in another order are no change. (The
    order older versions stored, so their state and sent digests still compare equal.)"""
    return None if canonical is None else sorted(canonical, key=lambda m: m["Target"])


def _optional_flag(what: str) -> Normaliser:
    return lambda value: strict_bool(value, what) or None


BIND_OPTIONS = Struct("BindOptions", (
    Key("Propagation", item_text, flat="propagation",
        doc="rprivate (default), private, rshared, shared, rslave or slave."),
    Key("NonRecursive", _optional_flag("BindOptions.NonRecursive"),
        doc="Don't bind-mount the mounts below the source."),
    Key("CreateMountpoint", _optional_flag("BindOptions.CreateMountpoint"),
        doc="Create the source path on the host if missing (API 1.42+)."),
    Key("ReadOnlyNonRecursive", _optional_flag("BindOptions.ReadOnlyNonRecursive"),
        doc="With ReadOnly: leave the mounts below the source writable (API 1.44+)."),
    Key("ReadOnlyForceRecursive", _optional_flag("BindOptions.ReadOnlyForceRecursive"),
        doc="With ReadOnly: make the mounts below read-only too, or fail (API 1.44+)."),
), doc="Bind mounts only.")

DRIVER_CONFIG = Struct("DriverConfig", (
    Key("Name", item_text, doc="Volume driver, e.g. local."),
    Key("Options", string_map, doc="Driver options."),
))

VOLUME_OPTIONS = Struct("VolumeOptions", (
    Key("NoCopy", _optional_flag("VolumeOptions.NoCopy"), flat="no_copy",
        doc="Don't copy the image's files into a new volume."),
    Key("Labels", string_map, flat="labels", doc="Labels of a volume the mount creates."),
    Key("DriverConfig", flat="driver_config", struct=DRIVER_CONFIG),
    Key("Subpath", as_text, flat="subpath",
        doc="A folder inside a named volume, mounted instead of its root (API 1.45+)."),
), doc="Volume mounts only.")

TMPFS_OPTIONS = Struct("TmpfsOptions", (
    Key("SizeBytes", byte_count, flat="tmpfs_size", doc='Size, e.g. "64m".'),
    Key("Mode", file_mode, flat="tmpfs_mode", doc="Permission bits, e.g. 0o1777."),
), doc="tmpfs mounts only.")

MOUNT = Struct("Mount", (
    Key("Target", doc="Absolute path in the container."),
    Key("Source", _optional_text, doc="Host path (bind) or volume name (volume)."),
    Key("Type", doc="bind, volume (default), tmpfs or npipe."),
    Key("ReadOnly", _optional_flag("ReadOnly"), doc="Mount read-only."),
    Key("Consistency", _optional_text, doc="default, consistent, cached or delegated."),
    Key("BindOptions", struct=BIND_OPTIONS),
    Key("VolumeOptions", struct=VOLUME_OPTIONS),
    Key("TmpfsOptions", struct=TMPFS_OPTIONS),
), doc='docker.types.Mount, its keywords, or the Engine dict; "source:target[:ro|rw]" too.')


def _mount(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return _mount_string(item)
    mount = MOUNT.read(as_mapping(item, "a mount string or Mount"))
    if not mount["Target"]:
        raise FieldValueError("every mount needs a Target")
    mount_type = mount["Type"] or "volume"
    if mount_type not in _MOUNT_TYPES:
        raise FieldValueError(f"mount Type must be one of {sorted(_MOUNT_TYPES)}")
    volume = mount["VolumeOptions"] or {}
    entry = {
        **mount,
        "Type": mount_type,
        "Target": absolute_path(mount["Target"], "mount Target"),
        "Consistency": None if mount["Consistency"] == "default" else mount["Consistency"],
        "VolumeOptions": {**volume, "Subpath": _subpath(volume.get("Subpath"), mount_type,
                                                        mount["Source"])},
    }
    for options, kind in (("BindOptions", "bind"), ("VolumeOptions", "volume"),
                          ("TmpfsOptions", "tmpfs")):
        if mount_type != kind and prune(entry[options]):
            raise FieldValueError(f"{options} only apply to {kind} mounts, not {mount_type}")
    if mount_type == "tmpfs" and entry["Source"]:
        raise FieldValueError("tmpfs mounts take no Source")
    if mount_type == "bind" and not entry["Source"]:
        raise FieldValueError("bind mounts need an absolute Source path")
    pruned: dict[str, Any] = prune(entry)
    return pruned


def _subpath(value: Any, mount_type: str, source: Any) -> str | None:
    """VolumeOptions.Subpath (API 1.45+): a folder inside a named volume, mounted instead of
    its root. The engine checks it only when a task starts (the task then fails), so the
    rules it applies there are checked here, before anything is sent."""
    if value is None or value == "":
        return None
    subpath = as_text(value)
    if mount_type != "volume":
        raise FieldValueError(f"Subpath only applies to volume mounts, not {mount_type}")
    if not source:
        raise FieldValueError("Subpath needs a named volume (a Source), not an anonymous one")
    inside = posixpath.normpath(subpath)  # the engine's test: Go's filepath.IsLocal
    if subpath.startswith("/") or inside == ".." or inside.startswith("../"):
        raise FieldValueError(
            "Subpath must be a relative path within the volume", 'e.g. "app/data"'
        )
    return subpath


def _mount_string(item: str) -> dict[str, Any]:
    """``src:dst[:mode]``: bind if src is absolute, else a named volume; mode is ro or rw.

    docker-py makes any third field other than ``rw`` read-only (so ``:z`` silently
    means read-only); here anything but ``ro``/``rw`` is an error instead.
    """
    parts = item.split(":")
    if len(parts) > 3 or not all(parts):
        raise FieldValueError(f"mount string {item!r} is not source:target[:ro|rw]")
    if len(parts) == 1:
        return {"Type": "volume", "Target": absolute_path(parts[0], "mount target")}
    source, target = parts[0], absolute_path(parts[1], "mount target")
    access = parts[2] if len(parts) == 3 else "rw"
    if access not in ("ro", "rw"):
        raise FieldValueError(f"mount mode {access!r} is not ro or rw", "use a Mount for options")
    entry: dict[str, Any] = {
        "Type": "bind" if source.startswith("/") else "volume",
        "Source": source,
        "Target": target,
    }
    if access == "ro":
        entry["ReadOnly"] = True
    return entry


def oom_score_adj(value: Any) -> int | None:
    """OomScoreAdj (API 1.46+): -1000 to 1000, the kernel's range; 0, the default, is unset
    (the engine omits it)."""
    if value is None:
        return None
    adjust = as_int(value)
    if not -1000 <= adjust <= 1000:
        raise FieldValueError("must be between -1000 and 1000 (the kernel's oom_score_adj)")
    return adjust or None


FILE_TARGET = Struct("File", (
    Key("Name", as_text, flat="filename",
        doc="File name under /run/secrets or /, default the object's name."),
    Key("UID", as_text, flat="uid", doc='Owner, default "0".'),
    Key("GID", as_text, flat="gid", doc='Group, default "0".'),
    Key("Mode", file_mode, flat="mode", doc="Permission bits, default 0o444."),
), doc="Where a secret or config appears in the container.")


def _reference_struct(kind: str) -> Struct:
    keys = [Key(f"{kind}ID", as_text, doc=f"The {kind.lower()}'s engine id."),
            Key(f"{kind}Name", as_text, doc="Its exact (versioned) engine name."),
            Key("File", struct=FILE_TARGET)]
    if kind == "Config":
        keys.append(Key("Runtime", lambda v: dict(as_mapping(v)),
                        doc="Instead of File: a credential spec's config (Windows)."))
    return Struct(f"{kind}Reference", tuple(keys),
                  doc=f"Swarm{kind}.reference(...), docker.types.{kind}Reference or its "
                      "keywords; id and name are both required.")


SECRET_REFERENCE = _reference_struct("Secret")
CONFIG_REFERENCE = _reference_struct("Config")


def _reference(struct: Struct, kind: str, item: Any) -> dict[str, Any]:
    """One complete reference: id and exact name, and the file with its defaults."""
    id_key, name_key = f"{kind}ID", f"{kind}Name"
    source = struct.read(as_mapping(item, f"a {struct.name} or mapping"))
    if not source[id_key] or not source[name_key]:
        raise FieldValueError(
            f"a {kind.lower()} reference needs both {id_key} and {name_key}",
            f"the engine rejects incomplete references; use the Swarm{kind} resource's "
            f"reference helper or docker.types.{struct.name}")
    entry: dict[str, Any] = {id_key: source[id_key], name_key: source[name_key]}
    if source.get("Runtime") is not None and source["File"] is None:
        entry["Runtime"] = source["Runtime"]
        return entry
    file = source["File"] or {}
    entry["File"] = {"Name": file.get("Name") or source[name_key],
                     "UID": file.get("UID") or "0", "GID": file.get("GID") or "0",
                     "Mode": file.get("Mode") or "0o444"}
    return entry


def _file_reference(struct: Struct, kind: str) -> Normaliser:
    """Secret/config references: complete (id and exact name), file defaults filled in."""
    def normalise(value: Any) -> list[dict[str, Any]] | None:
        if value is None:
            return None
        out = [_reference(struct, kind, item)
               for item in as_list(value, f"{kind.lower()} references")]
        return sorted(out, key=lambda r: (r.get("File", {}).get("Name", ""),
                                          r[f"{kind}Name"])) or None
    return normalise


secrets = _file_reference(SECRET_REFERENCE, "Secret")
configs = _file_reference(CONFIG_REFERENCE, "Config")

ULIMIT = Struct("Ulimit", (
    Key("Name", lambda v: item_text(v, "a ulimit name"), doc="e.g. nofile."),
    Key("Soft", as_int, doc="The soft limit."),
    Key("Hard", as_int, doc="The hard limit (at least the soft one)."),
), doc='{"nofile": 1024}, {"nofile": [soft, hard]} or [{Name, Soft, Hard}].')


def _ulimit_items(value: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The map form, ``{name: n | [soft, hard] | {Soft, Hard}}``, as list items."""
    items = []
    for name, limit in value.items():
        if isinstance(limit, Mapping):
            items.append({**limit, "Name": name})
            continue
        if is_list(limit) and len(limit) != 2:
            raise FieldValueError(f"ulimit {name}: a list is [soft, hard]", value=limit)
        soft, hard = limit if is_list(limit) else (limit, limit)
        items.append({"Name": name, "Soft": soft, "Hard": hard})
    return items


def ulimits(value: Any) -> list[dict[str, Any]] | None:
    """Ulimits (Engine API 1.41, not in docker-py): ``{name: n | [soft, hard]}`` or a list."""
    if value is None:
        return None
    items = _ulimit_items(value) if isinstance(value, Mapping) else as_list(value, "ulimits")
    out = []
    for item in items:
        limit = ULIMIT.read(as_mapping(item, "a ulimit mapping"))
        if not limit["Name"] or limit["Soft"] is None or limit["Hard"] is None:
            raise FieldValueError("every ulimit needs Name, Soft and Hard")
        if limit["Soft"] > limit["Hard"]:
            raise FieldValueError(
                f"ulimit {limit['Name']}: soft {limit['Soft']} exceeds hard {limit['Hard']}")
        out.append(limit)
    return sorted(out, key=lambda u: u["Name"]) or None
