"""A running local chain as its users find it: the state file ``<data dir>/chain.json``.

The supervisor (``chaincard.local.chain``) writes it once every process serves; every command
(``chaincard pos``, ``settle``, ``report``, ``status`` …) reads it to find a process's address and
the credentials to reach it. It lives in the shared core so a service's CLI can read it without
importing the supervisor, which starts the services.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import grpc

from chaincard.rpc.channels import open_channel
from chaincard.rpc.transport import PLAINTEXT, Transport

STATE_FILE = "chain.json"
TOKEN_FILE = "token.json"
OPERATOR_CLIENT = "client:ops"  # the certificate the CLI and the demo present, with an operator's token


@dataclass
class ProcessInfo:
    name: str
    role: str
    endpoint: str
    log: str
    pid: int = 0
    # host:port of the process's Prometheus /metrics ("" when it serves none).
    metrics: str = ""


@dataclass
class ChainState:
    """What ``chaincard status`` and the CLI need to find a running chain (kept in chain.json)."""

    data_dir: str
    kafka_bootstrap: str
    hq_endpoint: str
    database_urls: dict[str, str]
    processes: list[ProcessInfo] = field(default_factory=list)
    # The chain's certificates (empty when it runs in plaintext, insecure).
    tls_dir: str = ""
    insecure: bool = False

    def endpoint_of(self, name: str) -> str:
        return self.process(name).endpoint

    def process(self, name: str) -> ProcessInfo:
        for process in self.processes:
            if process.name == name:
                return process
        raise KeyError(name)

    @property
    def token_file(self) -> Path:
        return Path(self.data_dir) / TOKEN_FILE

    def operator_transport(self, token: str | None = None) -> Transport:
        """An operator's tool: the ``client:ops`` certificate and ``token`` (default: the token
        saved in the data directory by the supervisor or ``chaincard login``)."""
        if token is None:
            from chaincard.security.client import load_token

            saved = load_token(self.token_file)
            token = saved.token if saved is not None else None
        if self.insecure:
            return PLAINTEXT.with_token(token)
        return Transport.from_directory(self.tls_dir, OPERATOR_CLIENT, token)

    def till_transport(self, store_id: str) -> Transport:
        """A till of ``store_id``: its ``pos`` certificate (tills talk to their store agent only)."""
        return PLAINTEXT if self.insecure else Transport.from_directory(self.tls_dir, f"pos:{store_id}")

    def store_transport(self, store_id: str) -> Transport:
        """A store agent of ``store_id``: its ``store`` certificate (as a region sees it)."""
        return PLAINTEXT if self.insecure else Transport.from_directory(self.tls_dir, f"store:{store_id}")

    def channel(self, name: str, *, token: str | None = None, as_store: str | None = None) -> grpc.Channel:
        """A channel to process ``name`` as its usual caller: a till for a store agent
        (``store-<id>``; with ``token``, a till where that operator, e.g. a store manager, logged
        in); for anything else an operator (with ``token``, default the saved one) or, with
        ``as_store``, that store's agent (a region's store-facing API)."""
        process = self.process(name)
        if process.role == "store":
            store_id = name.removeprefix("store-")
            till = self.till_transport(store_id).with_token(token)
            return open_channel(process.endpoint, till, expected_server=None if self.insecure else f"store:{store_id}")
        expected = {"hq": "hq", "settlement": "settlement"}.get(name) or f"region:{region_of_replica(name)}"
        transport = self.store_transport(as_store) if as_store else self.operator_transport(token)
        return open_channel(process.endpoint, transport, expected_server=None if self.insecure else expected)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, data_dir: Path) -> ChainState:
        raw = json.loads((data_dir / STATE_FILE).read_text())
        raw["processes"] = [ProcessInfo(**item) for item in raw["processes"]]
        return cls(**raw)


def replica_name(region_code: str, index: int) -> str:
    """The process name of a region's replica ``index`` (from 0): ``region-E``, then ``region-E.2`` …"""
    return f"region-{region_code}" if index == 0 else f"region-{region_code}.{index + 1}"


def region_of_replica(name: str) -> str:
    """The region code of a region process named by :func:`replica_name` (``region-E.2`` → ``E``)."""
    return name.removeprefix("region-").partition(".")[0]


def deployment_of(state: ChainState) -> str:
    """A local chain's deployment name (Chain uses its database prefix: "<prefix>_hq")."""
    from sqlalchemy.engine import make_url

    return (make_url(state.database_urls["hq"]).database or "chaincard").removesuffix("_hq")


def region_codes_of(state: ChainState) -> list[str]:
    """The codes of a local chain's regions (its databases "region_<code>")."""
    return sorted(name.removeprefix("region_") for name in state.database_urls if name.startswith("region_"))
