"""The packages the test bed needs and the test image (static busybox), made and copied."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Literal

from .api import has_image
from .config import APPLETS, BUSYBOX, IMAGE, PACKAGES, TOOLS, TestbedError, say
from .process import docker_env, run


def is_static_elf(path: Path) -> bool:
    """True when the ELF file has no PT_INTERP program header (needs no dynamic loader)."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        return False
    wide = data[4] == 2
    order: Literal["little", "big"] = "little" if data[5] == 1 else "big"
    offset, size, count = (0x20, 0x36, 0x38) if wide else (0x1C, 0x2A, 0x2C)
    phoff = int.from_bytes(data[offset : offset + (8 if wide else 4)], order)
    entsize = int.from_bytes(data[size : size + 2], order)
    entries = int.from_bytes(data[count : count + 2], order)
    types = (int.from_bytes(data[phoff + i * entsize :][:4], order) for i in range(entries))
    return 3 not in types  # PT_INTERP


def ensure_packages() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not BUSYBOX.exists() or not is_static_elf(BUSYBOX):
        missing.append(str(BUSYBOX) + " (static)")
    if not missing:
        return
    say(f"missing {', '.join(missing)}: installing {' '.join(PACKAGES)} with apt-get…")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update"], env=env, timeout=900)
    run(["apt-get", "install", "-y", *PACKAGES], env=env, timeout=1800)
    if not is_static_elf(BUSYBOX):
        raise TestbedError(
            f"{BUSYBOX} is still not a static binary after installing busybox-static"
        )


def tar_add(
    tar: tarfile.TarFile,
    name: str,
    mode: int,
    data: bytes | None = None,
    kind: bytes = tarfile.REGTYPE,
    link: str = "",
) -> None:
    info = tarfile.TarInfo(name)
    info.mode, info.type, info.linkname, info.mtime = mode, kind, link, 0
    info.size = len(data) if data is not None else 0
    tar.addfile(info, io.BytesIO(data) if data is not None else None)


def image_tar() -> bytes:
    """The root file system of the test image: static busybox and the few files tasks need.

    /etc/nsswitch.conf names only the `files` and `dns` sources, which glibc has built in:
    without it, a static glibc busybox looks for loadable NSS modules and `id` segfaults.
    """
    files = {
        "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        "etc/group": "root:x:0:\nnogroup:x:65534:\n",
        "etc/nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
        "services: files\nprotocols: files\n",
        "www/index.html": "swarm testbed ok\n",
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for folder, mode in (("bin", 0o755), ("etc", 0o755), ("root", 0o700), ("www", 0o755)):
            tar_add(tar, folder, mode, kind=tarfile.DIRTYPE)
        tar_add(tar, "tmp", 0o1777, kind=tarfile.DIRTYPE)
        tar_add(tar, "bin/busybox", 0o755, BUSYBOX.read_bytes())
        for applet in APPLETS:
            tar_add(tar, f"bin/{applet}", 0o777, kind=tarfile.SYMTYPE, link="busybox")
        for name, text in files.items():
            tar_add(tar, name, 0o644, text.encode())
    return buffer.getvalue()


def ensure_image(host: str) -> None:
    """Import the image where it is missing: it cannot be pulled, tasks use the local copy."""
    if has_image(host):
        return
    say(f"importing {IMAGE}…")
    command = ["docker", "import", "--change", 'CMD ["sh"]', "-", IMAGE]
    result = subprocess.run(command, input=image_tar(), capture_output=True, env=docker_env(host))
    if result.returncode != 0:
        raise TestbedError(f"docker import failed: {result.stderr.decode(errors='replace')}")


def copy_image(source: str, target: str) -> None:
    """docker save | docker load: no registry, and the image ID stays the same on every node."""
    if has_image(target):
        return
    say(f"loading {IMAGE} into {target}…")
    save = subprocess.Popen(
        ["docker", "save", IMAGE], stdout=subprocess.PIPE, env=docker_env(source)
    )
    load = subprocess.run(
        ["docker", "load", "-q"],
        stdin=save.stdout,
        capture_output=True,
        text=True,
        env=docker_env(target),
    )
    assert save.stdout is not None
    save.stdout.close()
    if save.wait() != 0 or load.returncode != 0:
        raise TestbedError(f"docker save | docker load into {target} failed: {load.stderr}")
