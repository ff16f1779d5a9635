"""Supervises a whole chain on one machine: PostgreSQL, the broker, HQ, regions, stores, settlement.

Each service is a real child process (``python -m chaincard.cli <service> …``) with its own log
file; the supervisor starts them in dependency order, waits for each to report SERVING over the
gRPC health protocol, seeds the directory, and stops them in reverse order.

Security is on as in production (docs/security.md): the supervisor makes the chain CA and a
certificate per service, store and till in ``<data dir>/certs``, every connection is mutual TLS,
and it creates the first HQ admin (password in ``<data dir>/admin-password``), logs in as that
admin and keeps the token in ``<data dir>/token.json`` for the demo and the CLI. ``insecure=True``
runs everything in plaintext instead (development only).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from chaincard.chain_state import STATE_FILE, ChainState, ProcessInfo, region_of_replica, replica_name
from chaincard.ids import new_id
from chaincard.local import demo_data
from chaincard.local.broker import LocalBroker, free_port
from chaincard.local.postgres import PostgresServer
from chaincard.local.proxy import LinkProxy
from chaincard.rpc.channels import call, check_health, open_channel
from chaincard.rpc.transport import PLAINTEXT, Transport
from chaincard.v1 import directory_pb2, directory_pb2_grpc, program_config_pb2, program_config_pb2_grpc

DEFAULT_BASE_PORT = 47100
CERTS_DIR = "certs"
ADMIN_PASSWORD_FILE = "admin-password"
ADMIN_LOGIN = "admin"


class Chain:
    def __init__(
        self,
        data_dir: Path,
        *,
        pg_dsn: str | None = None,
        kafka_bootstrap: str | None = None,
        base_port: int | None = DEFAULT_BASE_PORT,
        database_prefix: str = "chaincard",
        stores: list[directory_pb2.Store] | None = None,
        insecure: bool = False,
        level_rules: Sequence[program_config_pb2.LevelRule] = (),
        trace_endpoint: str = "",
        link_proxies: bool = False,
        region_replicas: int = 1,
        hq_env: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.pg_dsn = pg_dsn
        self.kafka_bootstrap = kafka_bootstrap
        self.base_port = base_port
        self.database_prefix = database_prefix
        self.stores = stores or demo_data.STORES
        self.insecure = insecure
        self.level_rules = list(level_rules)
        # OTLP/gRPC endpoint every process exports its spans to ("" : the processes' own settings).
        self.trace_endpoint = trace_endpoint
        # With link_proxies, a LinkProxy in front of every region (the endpoint HQ's directory lists,
        # which the other region forwards through: "link-region-<code>") and one between every store
        # agent and its region ("link-store-<id>"), so a chaos run can cut, delay or degrade them.
        self.link_proxies = link_proxies
        self.links: dict[str, LinkProxy] = {}
        # Processes per region over its one database, each on a port of its own; the directory lists
        # them all and every caller balances over them (docs/adr/0054).
        if region_replicas < 1:
            raise ValueError("region_replicas must be at least 1")
        if region_replicas > 1 and link_proxies:
            raise ValueError("link proxies stand in front of one replica per region: run them with region_replicas=1")
        self.region_replicas = region_replicas
        # Settings of HQ's process alone, as environment (the demo's local SMTP server, say).
        self.hq_env = dict(hq_env or {})
        self.admin_token: str | None = None
        self.postgres: PostgresServer | None = None
        self.broker: LocalBroker | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.state: ChainState | None = None
        self._next_offset = 0

    # ---- ports, secrets, databases -------------------------------------------------------------
    def _port(self) -> int:
        if self.base_port is None or self.base_port == 0:
            return free_port()
        port = self.base_port + self._next_offset
        self._next_offset += 1
        return port

    def _phone_key(self) -> str:
        path = self.data_dir / "phone_hmac.key"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def _certificates(self) -> Path:
        """The chain CA and a certificate per service, store, till and the operators' tool (kept
        across restarts; only missing ones are issued)."""
        from chaincard.security.certs import chain_certificate_names, init_certificates

        store_ids = list(dict.fromkeys(store.store_id for store in [*demo_data.STORES, *self.stores]))
        names = chain_certificate_names([region.code for region in demo_data.REGIONS], store_ids)
        folder = self.data_dir / CERTS_DIR
        init_certificates(folder, [*names, *(f"pos:{store_id}" for store_id in store_ids)])
        return folder

    def _admin_password(self) -> str:
        path = self.data_dir / ADMIN_PASSWORD_FILE
        if not path.exists():
            path.write_text(secrets.token_urlsafe(18))
            path.chmod(0o600)
        return path.read_text().strip()

    def _log_in_admin(self, state: ChainState) -> str:
        """Create the first HQ admin if absent (HQ's own command, ``chaincard hq bootstrap-admin``,
        run as a child process: the supervisor starts processes, it does not write HQ's database),
        log in over gRPC, keep the token."""
        from chaincard.security.client import issue_token, save_token

        password = self._admin_password()
        command = [sys.executable, "-m", "chaincard.cli", "hq", "bootstrap-admin", "--database-url", state.database_urls["hq"],
                   "--operator-id", ADMIN_LOGIN, "--password-file", str(self.data_dir / ADMIN_PASSWORD_FILE),
                   "--reset-password"]
        done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"creating the first HQ admin failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
        with open_channel(state.hq_endpoint, state.operator_transport(token=""), expected_server="hq") as channel:
            answer = issue_token(channel, ADMIN_LOGIN, password)
        save_token(answer, state.token_file)
        return answer.token

    def _database_url(self, purpose: str) -> str:
        assert self.postgres is not None
        return self.postgres.url_for(f"{self.database_prefix}_{purpose}")

    # ---- processes -------------------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str], endpoint: str, env: dict[str, str]) -> ProcessInfo:
        log_path = self.data_dir / "logs" / f"{name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        # Every process serves /metrics on a port of its own, picked by the process (port 0) and
        # read from its file once it serves (no race for a free port); traces go where
        # ``trace_endpoint`` says, if anywhere (docs/adr/0051).
        metrics_port_file = self.data_dir / "ports" / f"{name}.metrics"
        metrics_port_file.parent.mkdir(parents=True, exist_ok=True)
        metrics_port_file.unlink(missing_ok=True)
        observed = {"CHAINCARD_METRICS_LISTEN": "127.0.0.1:0", "CHAINCARD_METRICS_PORT_FILE": str(metrics_port_file)}
        if self.trace_endpoint:
            observed |= {"CHAINCARD_OTLP_ENDPOINT": self.trace_endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}
        with log_path.open("ab") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "chaincard.cli", *args, "--listen", endpoint],
                stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **env, **observed}, start_new_session=True,  # Ctrl-C reaches only the supervisor
            )
        self.children[name] = process
        return ProcessInfo(name=name, role=args[0], endpoint=endpoint, log=str(log_path), pid=process.pid)

    def _wait_serving(self, info: ProcessInfo, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        process = self.children[info.name]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = Path(info.log).read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{info.name} exited with code {process.returncode}; log tail:\n{tail}")
            if check_health(info.endpoint, deadline=1.0, transport=self._probe_transport()) == "SERVING":
                metrics_port_file = self.data_dir / "ports" / f"{info.name}.metrics"
                if metrics_port_file.exists():  # written before the service started serving
                    info.metrics = f"127.0.0.1:{metrics_port_file.read_text().strip()}"
                return
            time.sleep(0.05)  # a process that is not listening yet answers at once
        raise TimeoutError(f"{info.name} did not report SERVING within {timeout} s (log: {info.log})")

    def _probe_transport(self) -> Transport:
        assert self.state is not None
        return self.state.operator_transport(token="")

    # ---- the chain -------------------------------------------------------------------------------
    def start(self) -> ChainState:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> ChainState:
        self.postgres = PostgresServer(self.pg_dsn) if self.pg_dsn else PostgresServer.embedded(self.data_dir / "pg")
        if self.kafka_bootstrap is None:
            self.broker = LocalBroker(self._port(), self.data_dir / "logs" / "broker.log")
            self.broker.start()
            self.kafka_bootstrap = self.broker.bootstrap
        env = {
            "CHAINCARD_PHONE_HMAC_KEY": self._phone_key(),
            "CHAINCARD_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "CHAINCARD_DEPLOYMENT": self.database_prefix,
            "CHAINCARD_HQ_SIGNING_KEY_DIR": str(self.data_dir / "hq-keys"),
            # Settlement's statement files and signed manifests (its signing key goes beside them).
            "CHAINCARD_STATEMENTS_DIR": str(self.data_dir / "statements"),
        }
        tls_dir = "" if self.insecure else str(self._certificates())
        env |= {"CHAINCARD_INSECURE": "1"} if self.insecure else {"CHAINCARD_TLS_DIR": tls_dir}

        hq_endpoint = f"127.0.0.1:{self._port()}"
        region_endpoints = {region.code: f"127.0.0.1:{self._port()}" for region in demo_data.REGIONS}
        # Every port up front, in the order they always had (``chaincard up`` numbers them from its base).
        store_endpoints = [f"127.0.0.1:{self._port()}" for _ in self.stores]
        settlement_endpoint = f"127.0.0.1:{self._port()}"
        relay_endpoints = {code: f"127.0.0.1:{self._port()}" for code in region_endpoints}
        # Further replicas' ports after all the others (a chain of one replica each keeps its numbering).
        replica_endpoints = {code: [endpoint, *(f"127.0.0.1:{self._port()}" for _ in range(self.region_replicas - 1))]
                             for code, endpoint in region_endpoints.items()}
        state = ChainState(
            data_dir=str(self.data_dir), kafka_bootstrap=self.kafka_bootstrap, hq_endpoint=hq_endpoint,
            database_urls={"hq": self._database_url("hq"), "settlement": self._database_url("settlement")}
            | {f"region_{code}": self._database_url(f"region_{code.lower()}") for code in region_endpoints},
            tls_dir=tls_dir, insecure=self.insecure,
        )
        self.state = state
        listed: dict[str, list[str]] = {code: [self._link(f"link-region-{code}", endpoints[0]), *endpoints[1:]]
                                        for code, endpoints in replica_endpoints.items()}
        hq = self._spawn("hq", ["hq", "--database-url", state.database_urls["hq"]], hq_endpoint, env | self.hq_env)
        # Settlement starts beside HQ (its migrations and start overlap HQ's): it calls HQ only when
        # it settles or checks a token, over a channel that connects when first used.
        settlement = self._spawn("settlement", ["settlement", "--database-url", state.database_urls["settlement"]],
                                 settlement_endpoint, env | {"CHAINCARD_HQ_ENDPOINT": hq_endpoint})
        state.processes.append(hq)
        self._wait_serving(hq)
        self.admin_token = self._log_in_admin(state)
        seed_demo_chain(hq_endpoint, listed, state.operator_transport(self.admin_token), level_rules=self.level_rules)

        env["CHAINCARD_HQ_ENDPOINT"] = hq_endpoint
        # Each region's outbox is published by a relay process of its own, so the region's CPU (and
        # GIL) serves the tills only.
        regions = [
            self._spawn(replica_name(code, index), ["region", "--code", code, "--database-url", state.database_urls[f"region_{code}"]],
                        endpoint, env | {"CHAINCARD_RELAY_IN_PROCESS": "0"})
            for code, endpoints in replica_endpoints.items() for index, endpoint in enumerate(endpoints)
        ]
        state.processes += regions
        for info in regions:  # before the stores: an agent that finds its region down starts offline
            self._wait_serving(info)
        started = []
        for store, store_endpoint in zip(self.stores, store_endpoints, strict=True):
            database = f"sqlite:///{self.data_dir / 'stores' / (store.store_id + '.sqlite')}"
            started.append(self._spawn(
                f"store-{store.store_id}",
                ["store", "--id", store.store_id, "--region", self._store_region(store),
                 "--database-url", database],
                store_endpoint, env,
            ))
        started.append(settlement)
        started += [
            self._spawn(f"relay-{code}", ["relay", "--code", code, "--database-url", state.database_urls[f"region_{code}"]],
                        relay_endpoints[code], env)
            for code in region_endpoints
        ]
        state.processes += started
        for info in started:
            self._wait_serving(info)
        state.save(self.data_dir / STATE_FILE)
        return state

    def _store_region(self, store: directory_pb2.Store) -> str:
        """A store agent's ``--region``: every replica of its region, comma-separated (or its link proxy)."""
        assert self.state is not None
        endpoints = [process.endpoint for process in self.state.processes
                     if process.role == "region" and region_of_replica(process.name) == store.region_code]
        if len(endpoints) == 1:
            return self._link(f"link-store-{store.store_id}", endpoints[0])
        return ",".join(endpoints)

    def _link(self, name: str, upstream: str) -> str:
        """The endpoint to reach ``upstream`` by: a LinkProxy's when the chain runs with them."""
        if not self.link_proxies:
            return upstream
        self.links[name] = LinkProxy(upstream)
        return self.links[name].endpoint

    def stop(self, grace: float = 10.0) -> None:
        for process in reversed(list(self.children.values())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.children.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.children.clear()
        for link in self.links.values():
            link.close()
        self.links.clear()
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None
        state_file = self.data_dir / STATE_FILE
        if state_file.exists():
            state_file.unlink()


def seed_demo_chain(hq_endpoint: str, region_endpoints: Mapping[str, str | Sequence[str]], transport: Transport = PLAINTEXT, *,
                    level_rules: Sequence[program_config_pb2.LevelRule] = ()) -> None:
    """Idempotent upserts of the demo directory and program (safe on every start), as an HQ admin
    (``transport`` carries the admin's token). ``level_rules`` only when asked: a rule moves every
    card below its level (demo_data.LEVEL_RULES says which chains carry them)."""
    channel = open_channel(hq_endpoint, transport, expected_server=None if transport.tls is None else "hq")
    try:
        directory = directory_pb2_grpc.DirectoryServiceStub(channel)
        program = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        for region in demo_data.REGIONS:
            with_endpoint = directory_pb2.Region()
            with_endpoint.CopyFrom(region)
            listed = region_endpoints[region.code]
            endpoints = [listed] if isinstance(listed, str) else list(listed)
            with_endpoint.endpoint = endpoints[0]
            if len(endpoints) > 1:  # every replica (docs/adr/0054)
                with_endpoint.endpoints.extend(endpoints)
            call(directory.UpsertRegion, directory_pb2.UpsertRegionRequest(request_id=new_id(), region=with_endpoint))
        for franchisee in demo_data.FRANCHISEES:
            call(directory.UpsertFranchisee, directory_pb2.UpsertFranchiseeRequest(request_id=new_id(), franchisee=franchisee))
        for store in demo_data.STORES:
            call(directory.UpsertStore, directory_pb2.UpsertStoreRequest(request_id=new_id(), store=store))
        # Count items before the card types that name them.
        for item in demo_data.COUNT_ITEMS:
            call(program.UpsertCountItem, program_config_pb2.UpsertCountItemRequest(request_id=new_id(), count_item=item))
        for card_type in demo_data.CARD_TYPES:
            call(program.UpsertCardType, program_config_pb2.UpsertCardTypeRequest(request_id=new_id(), card_type=card_type))
        for level in demo_data.LEVELS:
            call(program.UpsertLevel, program_config_pb2.UpsertLevelRequest(request_id=new_id(), level=level))
        for level_rule in level_rules:  # after the levels they name
            call(program.UpsertLevelRule, program_config_pb2.UpsertLevelRuleRequest(request_id=new_id(), level_rule=level_rule))
        # Templates first: a recharge tier may only name known ones.
        for template in demo_data.COUPON_TEMPLATES:
            call(program.UpsertCouponTemplate,
                 program_config_pb2.UpsertCouponTemplateRequest(request_id=new_id(), coupon_template=template))
        for rule in demo_data.POINTS_REDEMPTION_RULES:
            call(program.UpsertPointsRedemptionRule,
                 program_config_pb2.UpsertPointsRedemptionRuleRequest(request_id=new_id(), rule=rule))
        for promotion in demo_data.RECHARGE_PROMOTIONS:
            call(program.UpsertRechargePromotion,
                 program_config_pb2.UpsertRechargePromotionRequest(request_id=new_id(), promotion=promotion))
        call(program.SetPointsDeductionPolicy,
             program_config_pb2.SetPointsDeductionPolicyRequest(request_id=new_id(), policy=demo_data.POINTS_DEDUCTION))
        call(program.SetFeeSchedule, program_config_pb2.SetFeeScheduleRequest(request_id=new_id(), fee_schedule=demo_data.FEE_SCHEDULE))
    finally:
        channel.close()
