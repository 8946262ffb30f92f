"""class_server.replicas: one replica's command, environment and port."""

import socket

from class_server.replicas import Replica, command, describe_exit, environment, free_ports


def test_the_secret_is_in_the_environment_not_the_command_line(monkeypatch):
    """ps shows a command line to every user; the cookie secret goes in the environment."""
    monkeypatch.delenv("AUTOGRAD_EXPLORER_SANDBOX", raising=False)
    replica = Replica("r2", 8502)
    secret = "ab" * 32
    assert secret not in " ".join(command(replica))
    env = environment(replica, secret)
    assert env["STREAMLIT_SERVER_COOKIE_SECRET"] == secret
    assert env["AUTOGRAD_EXPLORER_REPLICA"] == "r2"
    assert env["AUTOGRAD_EXPLORER_SANDBOX"] == "require", "a class runs in the whole sandbox"
    args = command(replica)
    at = args.index("--server.port")
    assert args[at : at + 4] == ["--server.port", "8502", "--server.address", "127.0.0.1"]


def test_an_operator_may_relax_the_sandbox(monkeypatch):
    monkeypatch.setenv("AUTOGRAD_EXPLORER_SANDBOX", "")
    assert environment(Replica("r1", 8501), "s")["AUTOGRAD_EXPLORER_SANDBOX"] == ""


def test_free_ports_skip_one_in_use():
    """Replicas take the first free ports above the class's port."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        ports = free_ports(port - 1, 2)
        assert port not in ports and ports[0] > port and ports == sorted(set(ports))


def test_exits_are_described_by_signal_or_status():
    assert describe_exit(-9) == "was killed by SIGKILL"
    assert describe_exit(1) == "exited with status 1"
