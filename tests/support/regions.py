"""HQ and two regions started in this process over real gRPC, real PostgreSQL and the real broker."""

from __future__ import annotations

import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.local.broker import free_port
from chaincard.local.chain import seed_demo_chain
from chaincard.local.postgres import PostgresServer
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    cards_pb2_grpc,
    member_index_pb2_grpc,
    members_pb2_grpc,
    program_config_pb2_grpc,
    transactions_pb2_grpc,
)
from hq_service.bootstrap import start_hq
from region_service.bootstrap import start_region
from region_service.card_directory import CardDirectoryCache
from region_service.context import RegionContext
from region_service.forwarding import Forwarder
from region_service.program import ProgramCache
from tests.support.templates import MigratedTemplates

PHONE_KEY = "test-phone-key"
# How old the region servers' copy of HQ's configuration may get (Settings.config_max_age_seconds):
# short, so a test that changes the configuration waits a second for them to see it, not ten.
CONFIG_MAX_AGE_SECONDS = 1.0


@dataclass
class RegionClients:
    members: members_pb2_grpc.MemberServiceStub
    cards: cards_pb2_grpc.CardServiceStub
    transactions: transactions_pb2_grpc.TransactionServiceStub


@dataclass
class RunningRegions:
    hq_endpoint: str
    database_urls: dict[str, str]
    clients: dict[str, RegionClients]


def clients_for(channel: grpc.Channel) -> RegionClients:
    return RegionClients(
        members=members_pb2_grpc.MemberServiceStub(channel),
        cards=cards_pb2_grpc.CardServiceStub(channel),
        transactions=transactions_pb2_grpc.TransactionServiceStub(channel),
    )


def run_regions_in_own_directory(postgres: PostgresServer, kafka_bootstrap: str, directory: str,
                                 templates: MigratedTemplates | None = None,
                                 drop: Callable[[str], None] | None = None) -> Iterator[RunningRegions]:
    """``run_regions`` from a working directory of its own: HQ keeps its token signing key under the
    working directory (.chaincard/hq-keys, made on the first log-in), not in the checkout."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(directory)
        yield from run_regions(postgres, kafka_bootstrap, templates, drop)


def run_regions(postgres: PostgresServer, kafka_bootstrap: str, templates: MigratedTemplates | None = None,
                drop: Callable[[str], None] | None = None, *,
                hq_settings: Mapping[str, Any] | None = None) -> Iterator[RunningRegions]:
    """HQ and regions E and W on new databases: empty ones the services migrate at start, or, given
    ``templates``, copies already at head (the services' own upgrade then finds nothing to do).
    ``drop`` drops them after (default: at once; the fixtures queue them, tests/support/drops.py).
    ``hq_settings`` are extra settings of HQ only (the notice channels, say)."""
    suffix = uuid.uuid4().hex[:8]
    names = {key: f"cctest_{key.lower()}_{suffix}" for key in ("hq", "E", "W")}
    if templates is None:
        urls = {key: postgres.url_for(name) for key, name in names.items()}
    else:
        urls = {key: templates.url_for("hq_service" if key == "hq" else "region_service", name) for key, name in names.items()}
    base = Settings(
        kafka_bootstrap=kafka_bootstrap, phone_hmac_key=PHONE_KEY, outbox_poll_seconds=0.05, deployment=f"test-{suffix}",
        config_max_age_seconds=CONFIG_MAX_AGE_SECONDS,
        insecure=True,  # these tests are about behaviour; tests/e2e and test_security_* run mTLS and tokens
        hq_signing_key_dir=tempfile.mkdtemp(prefix="cctest-hq-keys-"),  # never the checkout's .chaincard/
    )
    hq = start_hq(base.replace(database_url=urls["hq"], **(hq_settings or {})))
    hq_endpoint = f"127.0.0.1:{hq.port}"
    endpoints = {code: f"127.0.0.1:{free_port()}" for code in ("E", "W")}
    seed_demo_chain(hq_endpoint, endpoints)
    servers = [hq]
    channels = []
    clients = {}
    try:
        for code, endpoint in endpoints.items():
            servers.append(start_region(base.replace(listen=endpoint, region_code=code, hq_endpoint=hq_endpoint, database_url=urls[code])))
            channel = open_channel(endpoint)
            channels.append(channel)
            clients[code] = clients_for(channel)
        yield RunningRegions(hq_endpoint=hq_endpoint, database_urls=urls, clients=clients)
    finally:
        for channel in channels:
            channel.close()
        for server in reversed(servers):
            server.stop(grace=1)
        for name in names.values():
            (drop or postgres.drop_database)(name)


@contextmanager
def region_context(regions: RunningRegions, code: str = "E") -> Iterator[RegionContext]:
    """A real RegionContext of region ``code`` in this process, to call its handlers directly."""
    engine = make_engine(regions.database_urls[code])
    channel = open_channel(regions.hq_endpoint)
    try:
        yield RegionContext(
            settings=Settings(region_code=code, phone_hmac_key=PHONE_KEY, insecure=True),
            session_factory=make_session_factory(engine),
            program=ProgramCache(program_config_pb2_grpc.ProgramConfigServiceStub(channel), max_age_seconds=CONFIG_MAX_AGE_SECONDS),
            member_index=member_index_pb2_grpc.MemberIndexServiceStub(channel),
            card_directory=CardDirectoryCache(member_index_pb2_grpc.MemberIndexServiceStub(channel), 5.0),
        )
    finally:
        channel.close()
        engine.dispose()


@contextmanager
def home_region_unreachable(seen_from: str, home: str, endpoint: str) -> Iterator[None]:
    """Region ``seen_from``'s forwarded calls to region ``home`` go to ``endpoint`` (nothing there, or
    a peer that never answers, see ``silent_peer``); ``home`` itself keeps running and answers its
    own clients. For the regions this process runs (``run_regions``)."""
    original = Forwarder._channel
    dead = open_channel(endpoint)

    def channel(self: Forwarder, region_code: str) -> grpc.Channel:
        return dead if region_code == home and self.ctx.region_code == seen_from else original(self, region_code)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Forwarder, "_channel", channel)
        try:
            yield
        finally:
            dead.close()


@contextmanager
def silent_peer() -> Iterator[str]:
    """A TCP endpoint that takes connections and never answers (a stopped process, a dead WAN link)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"127.0.0.1:{listener.getsockname()[1]}"
