"""The local chain's ports: outside the kernel's ephemeral range, never handed out twice."""

from __future__ import annotations

import socket

from chaincard.local import ports


def test_ports_are_distinct_and_below_the_ephemeral_range() -> None:
    given = [ports.free_port() for _ in range(50)]
    assert len(set(given)) == len(given)
    assert all(10_000 <= port < ports._ephemeral_low() for port in given)


def test_a_port_something_listens_on_is_not_given(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(ports, "_RESERVATIONS", tmp_path)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]
        assert not ports._bindable(taken)


def test_a_lapsed_reservation_is_taken_over(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(ports, "_RESERVATIONS", tmp_path)
    assert ports._reserve(20_001)
    assert not ports._reserve(20_001)
    monkeypatch.setattr(ports, "RESERVATION_SECONDS", -1)
    assert ports._reserve(20_001)
