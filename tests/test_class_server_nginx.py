"""class_server.nginx: the config nginx runs the class with, from nginx.conf.template."""

import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, require

from class_server.nginx import Upstream, render, write_config

REPLICAS = [Upstream("r1", "127.0.0.1:8501"), Upstream("r2", "127.0.0.1:8502"),
            Upstream("r3", "127.0.0.1:8503")]  # fmt: skip


def group(config: str, name: str) -> list[str]:
    """The server lines of one upstream block."""
    block = re.search(rf"upstream {name} \{{(.*?)\}}", config, re.S)
    assert block, name
    return [line.strip() for line in block.group(1).splitlines() if "server " in line]


def test_nginx_accepts_the_config(tmp_path):
    """nginx -t accepts the rendered config (write_config runs it and raises otherwise)."""
    require(shutil.which("nginx", path="/usr/sbin:/usr/bin") is not None, "nginx (Debian)")
    conf = write_config(render(REPLICAS, "127.0.0.1:8500", tmp_path), tmp_path)
    assert conf.read_text().count("upstream ae_") == 4


def test_each_replica_fails_over_to_the_others():
    """A replica's group tries it first, then every other replica as a backup; a first visit
    goes round robin over all of them."""
    config = render(REPLICAS, "8500", ROOT)
    assert group(config, "ae_r2") == [
        "server 127.0.0.1:8502 max_fails=1 fail_timeout=5s;",
        "server 127.0.0.1:8501 max_fails=1 fail_timeout=5s backup;",
        "server 127.0.0.1:8503 max_fails=1 fail_timeout=5s backup;",
    ]
    assert all("backup" not in line for line in group(config, "ae_any"))
    assert "        r2 ae_r2;" in config.splitlines()
    assert '"~(^|\\s)127\\.0\\.0\\.1:8502$" r2;' in config


def test_host_keeps_its_port_and_websockets_pass():
    """Host is $http_host (class.example.org:8500), not $host, and Upgrade is passed on."""
    config = render(REPLICAS, "8500", ROOT)
    assert "proxy_set_header Host $http_host;" in config
    assert "proxy_set_header Host $host;" not in config
    assert "proxy_set_header Upgrade $http_upgrade;" in config
    assert "listen 8500;" in config


@pytest.mark.parametrize(
    ("replica", "message"),
    [
        (Upstream("r 1", "127.0.0.1:8501"), "replica name 'r 1'"),
        (Upstream("r1", "127.0.0.1; evil"), "replica address '127.0.0.1; evil'"),
    ],
)
def test_a_bad_replica_is_refused(replica, message):
    """A name or address that would break (or inject into) the config is refused by value."""
    with pytest.raises(ValueError, match=re.escape(message)):
        render([replica], "8500", ROOT)


def test_nginx_config_command_for_replicas_on_other_machines(tmp_path):
    """`python -m class_server nginx-config` prints a config for replicas anywhere; nginx
    accepts it."""
    out = subprocess.run(
        [sys.executable, "-m", "class_server", "nginx-config", "--listen", "8080",
         "--replica", "a1=10.0.0.11:8501", "--replica", "10.0.0.12:8501",
         "--run-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert group(out.stdout, "ae_a1")[0].startswith("server 10.0.0.11:8501 ")
    assert group(out.stdout, "ae_r2")[0].startswith("server 10.0.0.12:8501 ")
    if shutil.which("nginx", path="/usr/sbin:/usr/bin"):
        write_config(out.stdout, tmp_path)
