"""Normalisers of container-spec structures: healthcheck, DNS, privileges, mounts,
secret/config references, ulimits."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from ...errors import FieldValueError
from ..units import as_int, byte_count, duration_ns, duration_text
from .base import (
    Normaliser,
    as_list,
    as_mapping,
    as_text,
    count_at_least,
    flag,
    is_list,
    item_text,
    only_keys,
    part,
    pick,
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


def healthcheck(value: Any) -> dict[str, Any] | None:
    """Healthcheck: a string test runs in a shell (``CMD-SHELL``), durations in ns or "5s"."""
    if value is None:
        return None
    source = as_mapping(value, "a Healthcheck or mapping")
    only_keys(
        source, {"Test", "Interval", "Timeout", "Retries", "StartPeriod"}, "healthcheck"
    )
    test = pick(source, "Test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    elif test is not None and not is_list(test):
        raise FieldValueError("Test must be a string or a list", value=test)
    out: dict[str, Any] = {"Test": [part("Test", item_text, t) for t in (test or [])]}
    if out["Test"] and out["Test"][0] not in ("NONE", "CMD", "CMD-SHELL"):
        raise FieldValueError("Test must start with NONE, CMD or CMD-SHELL, or be a string",
                              value=out["Test"][0])
    for key in ("Interval", "Timeout", "StartPeriod"):
        raw = pick(source, key)
        if raw is not None:
            nanoseconds = part(key, duration_ns, raw)
            if 0 < nanoseconds < 1_000_000:
                raise FieldValueError(f"{key} must be at least 1ms (or 0 to inherit)",
                                      'durations without a unit are nanoseconds: write "5s"',
                                      value=raw)
            if nanoseconds:  # 0 inherits from the image, as unset (the engine omits it)
                out[key] = duration_text(nanoseconds)
    retries = pick(source, "Retries")
    if retries is not None:
        out["Retries"] = count_at_least(retries, "Retries")
    return prune(out) or None


def dns_config(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    source = as_mapping(value, "a DNSConfig or mapping")
    only_keys(source, {"Nameservers", "Search", "Options"}, "DNS config")
    keys = ("Nameservers", "Search", "Options")
    out = {key: [part(key, item_text, v) for v in as_list(pick(source, key) or [], f"{key}")]
           for key in keys}
    return prune(out) or None


def privileges(value: Any) -> dict[str, Any] | None:
    """Privileges; docker-py sends every SELinux field (nulls), the engine adds nulls too,
    and engines from 25.0 on add ``"NoNewPrivileges": false``."""
    if value is None:
        return None
    source = as_mapping(value, "a Privileges object or mapping")
    keywords = {
        "credentialspec_file", "credentialspec_registry", "selinux_disable", "selinux_user",
        "selinux_role", "selinux_type", "selinux_level",
    }
    if any(str(k).lower() in keywords for k in source):
        only_keys(source, keywords, "privileges")
        source = {
            "CredentialSpec": {
                "File": pick(source, "credentialspec_file"),
                "Registry": pick(source, "credentialspec_registry"),
            },
            "SELinuxContext": {
                "Disable": pick(source, "selinux_disable"),
                "User": pick(source, "selinux_user"),
                "Role": pick(source, "selinux_role"),
                "Type": pick(source, "selinux_type"),
                "Level": pick(source, "selinux_level"),
            },
        }
    only_keys(source, {"CredentialSpec", "SELinuxContext", "NoNewPrivileges"}, "privileges")
    credential = as_mapping(pick(source, "CredentialSpec") or {}, "a CredentialSpec mapping")
    only_keys(credential, {"Config", "File", "Registry"}, "CredentialSpec")
    selinux = as_mapping(pick(source, "SELinuxContext") or {}, "a SELinuxContext mapping")
    only_keys(selinux, {"Disable", "User", "Role", "Type", "Level"}, "SELinuxContext")
    out = {
        "CredentialSpec": {k: part(k, _optional_text, pick(credential, k))
                           for k in ("Config", "File", "Registry")},
        "SELinuxContext": {
            "Disable": strict_bool(pick(selinux, "Disable"), "SELinuxContext.Disable"),
            **{k: part(k, _optional_text, pick(selinux, k))
               for k in ("User", "Role", "Type", "Level")},
        },
        # API 1.44+; engines from 25.0 on store it as a plain bool: false reads as unset.
        "NoNewPrivileges": flag(pick(source, "NoNewPrivileges")),
    }
    pruned = prune(out)
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


def _mount(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return _mount_string(item)
    source = as_mapping(item, "a mount string or Mount")
    known = {
        "Target", "Source", "Type", "ReadOnly", "Consistency", "BindOptions", "VolumeOptions",
        "TmpfsOptions",
    }
    keywords = {
        "propagation", "no_copy", "labels", "driver_config", "tmpfs_size", "tmpfs_mode",
        "read_only", "subpath",
    }
    if any(str(k).lower() in keywords for k in source):  # Mount(...) keyword form
        only_keys(source, {"target", "source", "type", "consistency"} | keywords, "mount")
        driver = pick(source, "driver_config")
        source = {
            "Target": pick(source, "target"),
            "Source": pick(source, "source"),
            "Type": pick(source, "type"),
            "ReadOnly": pick(source, "read_only"),
            "Consistency": pick(source, "consistency"),
            "BindOptions": {"Propagation": pick(source, "propagation")},
            "VolumeOptions": {
                "NoCopy": pick(source, "no_copy"),
                "Labels": pick(source, "labels"),
                "DriverConfig": driver,
                "Subpath": pick(source, "subpath"),
            },
            "TmpfsOptions": {
                "SizeBytes": pick(source, "tmpfs_size"),
                "Mode": pick(source, "tmpfs_mode"),
            },
        }
    only_keys(source, known, "mount")
    target = pick(source, "Target")
    if not target:
        raise FieldValueError("every mount needs a Target")
    mount_type = pick(source, "Type") or "volume"
    if mount_type not in _MOUNT_TYPES:
        raise FieldValueError(f"mount Type must be one of {sorted(_MOUNT_TYPES)}")
    volume = dict(as_mapping(pick(source, "VolumeOptions") or {}))
    driver = pick(volume, "DriverConfig")
    if isinstance(driver, Mapping):
        driver = {"Name": pick(driver, "Name"), "Options": string_map(pick(driver, "Options"))}
    tmpfs = dict(as_mapping(pick(source, "TmpfsOptions") or {}))
    size = pick(tmpfs, "SizeBytes")
    mode_bits = pick(tmpfs, "Mode")
    consistency = pick(source, "Consistency")
    entry = {
        "Type": mount_type,
        "Source": _optional_text(pick(source, "Source")),
        "Target": absolute_path(target, "mount Target"),
        "ReadOnly": strict_bool(pick(source, "ReadOnly"), "ReadOnly"),
        "Consistency": None if consistency == "default" else _optional_text(consistency),
        "BindOptions": dict(as_mapping(pick(source, "BindOptions") or {}, "a mapping")),
        "VolumeOptions": {
            "NoCopy": strict_bool(pick(volume, "NoCopy"), "VolumeOptions.NoCopy"),
            "Labels": string_map(pick(volume, "Labels")),
            "DriverConfig": driver,
            "Subpath": _subpath(pick(volume, "Subpath"), mount_type, pick(source, "Source")),
        },
        "TmpfsOptions": {
            "SizeBytes": None if size is None else part("TmpfsOptions.SizeBytes", byte_count,
                                                        size),
            "Mode": None if mode_bits is None else part("TmpfsOptions.Mode", file_mode,
                                                        mode_bits),
        },
    }
    if mount_type != "bind" and prune(entry["BindOptions"]):
        raise FieldValueError(f"BindOptions only apply to bind mounts, not {mount_type}")
    if mount_type == "tmpfs" and entry["Source"]:
        raise FieldValueError("tmpfs mounts take no Source")
    if mount_type == "bind" and not entry["Source"]:
        raise FieldValueError("bind mounts need an absolute Source path")
    return prune(entry)


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


def _file_reference(kind: str) -> Normaliser:
    """Secret/config references: complete (id and exact name), file defaults filled in."""
    id_key, name_key = f"{kind}ID", f"{kind}Name"

    def normalise(value: Any) -> list[dict[str, Any]] | None:
        if value is None:
            return None
        out = []
        for item in as_list(value, f"{kind.lower()} references"):
            source = as_mapping(item, f"a {kind}Reference or mapping")
            lower = kind.lower()
            keywords = {f"{lower}_id", f"{lower}_name", "filename", "uid", "gid", "mode"}
            if any(str(k).lower() in keywords for k in source):
                only_keys(source, keywords, f"{kind.lower()} reference")
                source = {
                    id_key: pick(source, f"{kind}_id"),
                    name_key: pick(source, f"{kind}_name"),
                    "File": {
                        "Name": pick(source, "filename"),
                        "UID": pick(source, "uid"),
                        "GID": pick(source, "gid"),
                        "Mode": pick(source, "mode"),
                    },
                }
            only_keys(source, {id_key, name_key, "File", "Runtime"}, f"{kind.lower()} reference")
            ref_id, ref_name = pick(source, id_key), pick(source, name_key)
            if not ref_id or not ref_name:
                raise FieldValueError(
                    f"a {kind.lower()} reference needs both {id_key} and {name_key}",
                    f"the engine rejects incomplete references; use the Swarm{kind} resource's "
                    "reference helper or docker.types." + f"{kind}Reference",
                )
            entry: dict[str, Any] = {id_key: as_text(ref_id), name_key: as_text(ref_name)}
            runtime = pick(source, "Runtime")
            if runtime is not None and kind == "Config" and pick(source, "File") is None:
                entry["Runtime"] = dict(as_mapping(runtime))
            else:
                file = as_mapping(pick(source, "File") or {}, "a File mapping")
                mode_bits = pick(file, "Mode")
                entry["File"] = {
                    "Name": as_text(pick(file, "Name") or ref_name),
                    "UID": as_text(pick(file, "UID") or "0"),
                    "GID": as_text(pick(file, "GID") or "0"),
                    "Mode": "0o444" if mode_bits is None else part("File.Mode", file_mode,
                                                                    mode_bits),
                }
            out.append(entry)
        return sorted(out, key=lambda r: (r.get("File", {}).get("Name", ""), r[name_key])) or None

    return normalise


secrets = _file_reference("Secret")
configs = _file_reference("Config")


def ulimits(value: Any) -> list[dict[str, Any]] | None:
    """Ulimits (Engine API 1.41, not in docker-py): ``{name: n | [soft, hard]}`` or a list."""
    if value is None:
        return None
    items: list[Any]
    if isinstance(value, Mapping):
        items = []
        for name, limit in value.items():
            if isinstance(limit, Mapping):
                soft, hard = pick(limit, "Soft"), pick(limit, "Hard")
            elif is_list(limit):
                if len(limit) != 2:
                    raise FieldValueError(f"ulimit {name}: a list is [soft, hard]", value=limit)
                soft, hard = limit
            else:
                soft = hard = limit
            items.append({"Name": name, "Soft": soft, "Hard": hard})
    else:
        items = as_list(value, "ulimits")
    out = []
    for item in items:
        source = as_mapping(item, "a ulimit mapping")
        only_keys(source, {"Name", "Soft", "Hard"}, "ulimit")
        name, soft, hard = pick(source, "Name"), pick(source, "Soft"), pick(source, "Hard")
        if not name or soft is None or hard is None:
            raise FieldValueError("every ulimit needs Name, Soft and Hard")
        soft_i, hard_i = part("Soft", as_int, soft), part("Hard", as_int, hard)
        if soft_i > hard_i:
            raise FieldValueError(f"ulimit {name}: soft {soft_i} exceeds hard {hard_i}")
        out.append({"Name": item_text(name, "a ulimit name"), "Soft": soft_i, "Hard": hard_i})
    return sorted(out, key=lambda u: u["Name"]) or None
