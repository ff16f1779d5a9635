"""What settlement needs from HQ: the directory (franchisee names, the company-owned franchisee)
and the fee schedules, read from HQ's configuration snapshot (ProgramConfigService)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import grpc

from chaincard.errors import FailedPrecondition, Unavailable
from chaincard.rpc.channels import call, open_channel
from chaincard.rpc.transport import PLAINTEXT, Transport
from chaincard.v1 import program_config_pb2, program_config_pb2_grpc
from settlement.rules import FeeRates, effective_rates


class ConfigSource(Protocol):
    def snapshot(self) -> program_config_pb2.ConfigSnapshot: ...


class StaticConfigSource:
    """A fixed snapshot (tests, the benchmark, runs against a database without HQ)."""

    def __init__(self, snapshot: program_config_pb2.ConfigSnapshot) -> None:
        self._snapshot = snapshot

    def snapshot(self) -> program_config_pb2.ConfigSnapshot:
        return self._snapshot


class HqConfigSource:
    """HQ's current snapshot over gRPC, fetched afresh for every run (a run is once a night)."""

    def __init__(self, endpoint: str, *, deadline_seconds: float = 10.0, transport: Transport = PLAINTEXT) -> None:
        self.endpoint = endpoint
        self.deadline_seconds = deadline_seconds
        self.transport = transport
        self._channel: grpc.Channel | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> program_config_pb2.ConfigSnapshot:
        with self._lock:
            if self._channel is None:
                self._channel = open_channel(self.endpoint, self.transport, expected_server="hq")
            stub = program_config_pb2_grpc.ProgramConfigServiceStub(self._channel)
        try:
            answer = call(stub.GetConfigSnapshot, program_config_pb2.GetConfigSnapshotRequest(known_version=0),
                          deadline=self.deadline_seconds)
        except grpc.RpcError as error:
            raise Unavailable(f"HQ configuration at {self.endpoint} is not reachable: {error.code().name}") from error
        return answer.snapshot

    def close(self) -> None:
        with self._lock:
            if self._channel is not None:
                self._channel.close()
                self._channel = None


@dataclass(frozen=True)
class ChainTerms:
    """The parts of a snapshot one run uses."""

    franchisee_names: dict[str, str]
    company_franchisee_id: str
    schedules: dict[date, program_config_pb2.FeeSchedule]
    store_names: dict[str, str]

    @classmethod
    def of(cls, snapshot: program_config_pb2.ConfigSnapshot) -> ChainTerms:
        owned = [f.franchisee_id for f in snapshot.franchisees if f.company_owned]
        if len(owned) != 1:
            raise FailedPrecondition(f"the chain directory must have exactly one company-owned franchisee, found {len(owned)}")
        schedules = {}
        for schedule in snapshot.fee_schedules:
            try:
                schedules[date.fromisoformat(schedule.effective_from_business_date)] = schedule
            except ValueError as error:
                raise FailedPrecondition(f"fee schedule with a bad effective date {schedule.effective_from_business_date!r}") from error
        return cls({f.franchisee_id: f.name for f in snapshot.franchisees}, owned[0], schedules,
                   {s.store_id: s.name for s in snapshot.stores})

    def rates(self) -> list[FeeRates]:
        return [FeeRates(day, s.interchange_bp, s.collection_fee_bp, s.platform_fee_bp, s.coupon_fee_bp, s.count_use_fee_bp)
                for day, s in self.schedules.items()]

    def rates_for(self, business_day: date) -> FeeRates | None:
        return effective_rates(self.rates(), business_day)

    def schedule_for(self, business_day: date) -> program_config_pb2.FeeSchedule | None:
        rates = self.rates_for(business_day)
        return self.schedules[rates.effective_from] if rates is not None else None
