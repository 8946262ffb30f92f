"""nginx in front of the replicas: its config (from nginx.conf.template) and its process."""

from __future__ import annotations

import re
import shutil
import string
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
FAIL = "max_fails=1 fail_timeout=5s"  # one refused connection marks a replica down for 5 s


class NginxError(RuntimeError):
    """nginx is missing, refused its config, or would not start."""


class _Template(string.Template):
    delimiter = "@@"  # nginx's own variables start with $


@dataclass(frozen=True)
class Upstream:
    """One replica as nginx reaches it: its name (the cookie's value) and host:port."""

    name: str
    address: str


def render(upstreams: Sequence[Upstream], listen: str, run_dir: Path) -> str:
    """The nginx config for these replicas, listening on `listen` (a port or address:port)."""
    if not upstreams:
        raise ValueError("a class server needs at least one replica")
    for up in upstreams:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", up.name):
            raise ValueError(f"replica name {up.name!r}: use letters, digits, - and _ only")
        if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+:\d+", up.address):
            raise ValueError(f"replica address {up.address!r}: expected host:port")

    def servers(primary: Upstream | None) -> str:
        lines = []
        for up in upstreams:
            backup = " backup" if primary is not None and up != primary else ""
            lines.append(f"        server {up.address} {FAIL}{backup};")
        if primary is not None:  # the replica itself first, so nginx tries it first
            lines.sort(key=lambda line: "backup" in line)
        return "\n".join(lines)

    groups = "\n\n".join(
        f"    upstream ae_{up.name} {{\n        zone ae_{up.name} 64k;\n{servers(up)}\n    }}"
        for up in upstreams
    )
    return _Template(TEMPLATE.read_text()).substitute(
        listen=listen,
        run_dir=run_dir,
        nginx_dir=run_dir / "nginx",
        cookie_map="\n".join(f"        {up.name} ae_{up.name};" for up in upstreams),
        served_map="\n".join(
            f'        "~(^|\\s){re.escape(up.address)}$" {up.name};' for up in upstreams
        ),
        any_servers=servers(None),
        replica_groups=groups,
    )


def binary() -> str:
    """The nginx executable (Debian's package puts it in /usr/sbin, often not on PATH)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise NginxError("nginx is not installed (`make serve-class` installs Debian's nginx)")
    return found


def command(conf: Path, run_dir: Path) -> list[str]:
    """nginx in the foreground (our child, so we see it exit), logging into run_dir."""
    return [binary(), "-p", str(run_dir / "nginx"), "-c", str(conf),
            "-e", str(run_dir / "nginx-error.log"), "-g", "daemon off;"]  # fmt: skip


def write_config(text: str, run_dir: Path) -> Path:
    """Write the config and make nginx's folders; nginx -t must accept it (NginxError)."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / "nginx" / sub).mkdir(parents=True, exist_ok=True)
    conf = run_dir / "nginx.conf"
    conf.write_text(text)
    check = subprocess.run(
        [*command(conf, run_dir)[:-2], "-t", "-q"], capture_output=True, text=True, check=False
    )
    if check.returncode != 0:
        raise NginxError(f"nginx refused {conf}: {check.stderr.strip()}")
    return conf
