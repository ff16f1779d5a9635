"""`chaincard status --one HOST:PORT`: the probe containers run (deploy/k8s, deploy/compose). It asks
a real gRPC server's health over mutual TLS with the process's own certificate, and its exit code
is what Kubernetes and Docker read: 0 only while the server reports SERVING."""

from __future__ import annotations

import pytest

from chaincard.cli import main
from chaincard.rpc.server import build_server
from chaincard.rpc.transport import Transport
from chaincard.security.certs import init_certificates


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    init_certificates(directory, ["hq", "region:E"])
    return directory


@pytest.fixture
def region_server(certificates):
    running = build_server("127.0.0.1:0", [], transport=Transport.from_directory(certificates, "region:E"))
    yield running
    running.stop(grace=0)


def probe(*args: str) -> int:
    return main(["status", "--one", *args])


def test_serving_over_mutual_tls_exits_zero(region_server, certificates, capsys):
    assert probe(f"127.0.0.1:{region_server.port}", "--as", "region:E", "--tls-dir", str(certificates)) == 0
    assert capsys.readouterr().out.strip() == f"127.0.0.1:{region_server.port} SERVING"


def test_the_tls_directory_may_come_from_the_environment(region_server, certificates, monkeypatch):
    monkeypatch.setenv("CHAINCARD_TLS_DIR", str(certificates))
    assert probe(f"127.0.0.1:{region_server.port}", "--as", "hq") == 0


def test_draining_or_gone_exits_non_zero(region_server, certificates, capsys):
    target = f"127.0.0.1:{region_server.port}"
    region_server.health.enter_graceful_shutdown()  # what SIGTERM does first
    assert probe(target, "--as", "region:E", "--tls-dir", str(certificates)) == 1
    assert capsys.readouterr().out.strip() == f"{target} NOT_SERVING"
    region_server.server.stop(0).wait()
    assert probe(target, "--as", "region:E", "--tls-dir", str(certificates), "--deadline", "1") == 1
    assert capsys.readouterr().out.strip() == f"{target} UNREACHABLE"


def test_plaintext_without_a_certificate_is_no_answer_from_a_tls_server(region_server, capsys):
    assert probe(f"127.0.0.1:{region_server.port}", "--insecure", "--deadline", "1") == 1
    assert capsys.readouterr().out.strip().endswith("UNREACHABLE")


def test_without_a_certificate_name_it_says_what_to_give(region_server, certificates, capsys):
    assert probe(f"127.0.0.1:{region_server.port}", "--tls-dir", str(certificates)) == 2
    assert "--as" in capsys.readouterr().err
