"""Every test under tests/data runs with the network switched off: sockets refuse to open."""
import socket

import pytest


class NetworkDisabled(RuntimeError):
    pass


def _refuse(*args, **kwargs):
    raise NetworkDisabled("the network is disabled in chainrule's data tests")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    monkeypatch.setattr(socket, "socket", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)
    yield


@pytest.fixture
def offline_env(monkeypatch, tmp_path):
    """No CHAINRULE_DATA, and a private empty cache directory."""
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setenv("CHAINRULE_CACHE", str(tmp_path / "cache"))
    return tmp_path
