"""Where the image comes from: pinned (not ``latest``/untagged, or by digest) and, when
config names them, only from trusted registries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pulumi_policy import EnforcementLevel, Severity

from ._support import UNKNOWN, Service, config_schema, service_policy

_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")
_DEFAULT_REGISTRY = "docker.io"


@dataclass(frozen=True)
class ImageReference:
    """An image reference split the way the Docker CLI reads it."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def full_name(self) -> str:
        """``docker.io/library/nginx`` for ``nginx``: the form allow-lists compare with."""
        return f"{self.registry}/{self.repository}"

    @property
    def short_name(self) -> str:
        """The name as a user would write it, without tag or digest."""
        if self.registry == _DEFAULT_REGISTRY:
            return self.repository.removeprefix("library/")
        return self.full_name


def parse_image(image: str) -> ImageReference:
    """``[registry[:port]/]repository[:tag][@digest]``; a first part with a dot, a colon
    or ``localhost`` is a registry host, as in the Docker CLI."""
    name, _, digest = image.partition("@")
    tag: str | None = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = _DEFAULT_REGISTRY, name
    if registry == _DEFAULT_REGISTRY and "/" not in repository:
        repository = f"library/{repository}"
    return ImageReference(registry, repository, tag or None, digest or None)


def check_pinned(service: Service) -> Iterator[str]:
    image = service.value("image")
    if image is UNKNOWN or not isinstance(image, str):
        return
    ref = parse_image(image)
    if ref.digest and _DIGEST.match(ref.digest):
        return
    example_tag = ref.tag if ref.tag and ref.tag != "latest" else "1.2.3"
    digest_hint = (
        f"pin a digest, e.g. {ref.short_name}:{example_tag}@sha256:<digest> "
        f"(`docker buildx imagetools inspect {ref.short_name}:{example_tag}` prints it)"
    )
    if ref.digest:
        yield service.message("image", f"has a malformed digest {ref.digest!r}", image,
                              digest_hint)
    elif service.setting("requireDigest"):
        yield service.message(
            "image", "is not pinned by digest (requireDigest is set), so the same tag can "
            "deploy different code on each node", image, digest_hint)
    elif ref.tag is None or ref.tag == "latest":
        what = "has no tag, which means :latest" if ref.tag is None else "uses the tag :latest"
        yield service.message(
            "image", f"{what}; it moves, so nodes and rollbacks may run different code", image,
            f"pin a version tag such as {ref.short_name}:1.2.3, or better a digest "
            f"({ref.short_name}@sha256:<digest>)")


def _allowed(ref: ImageReference, entry: str) -> bool:
    """An entry is a registry host (``ghcr.io``) or a name prefix (``ghcr.io/acme``)."""
    prefix = entry.strip().rstrip("/")
    if "/" not in prefix and "." not in prefix and ":" not in prefix and prefix != "localhost":
        prefix = f"{_DEFAULT_REGISTRY}/{prefix}"  # "library" or "acme" on Docker Hub
    return ref.full_name == prefix or ref.full_name.startswith(prefix + "/")


def check_registry(service: Service) -> Iterator[str]:
    allowed = [str(entry) for entry in service.setting("allowedRegistries") or []]
    image = service.value("image")
    if not allowed or image is UNKNOWN or not isinstance(image, str):
        return
    ref = parse_image(image)
    if not any(_allowed(ref, entry) for entry in allowed):
        yield service.message(
            "image", f"comes from {ref.full_name}, outside the allowed registries {allowed}",
            image, "push the image to an allowed registry (or mirror it there), or add the "
            "registry to allowedRegistries in the policy config")


IMAGE_PINNED = service_policy(
    "swarm-image-pinned",
    "Service images are pinned: a version tag at least (never :latest or untagged), or a "
    "digest when requireDigest is set.",
    check_pinned,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Use image=\"repo:1.2.3\" or image=\"repo:1.2.3@sha256:<digest>\".",
    schema=config_schema(
        requireDigest={
            "type": "boolean", "default": False,
            "description": "Require a digest (repo@sha256:...), not just a non-latest tag.",
        },
    ),
)

IMAGE_REGISTRY = service_policy(
    "swarm-image-registry",
    "Service images come from a trusted registry (only enforced when allowedRegistries is "
    "set in the policy config).",
    check_registry,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Pull from a registry listed in allowedRegistries.",
    schema=config_schema(
        allowedRegistries={
            "type": "array", "items": {"type": "string"}, "default": [],
            "description": "Registry hosts (ghcr.io) or name prefixes (ghcr.io/acme, "
                           "docker.io/library); empty allows every registry.",
        },
    ),
)

POLICIES = [IMAGE_PINNED, IMAGE_REGISTRY]
