"""One gRPC target for a region's replicas (chaincard/rpc/endpoints.py, docs/adr/0054)."""

from __future__ import annotations

import json
from concurrent import futures

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from chaincard.rpc.channels import CHANNEL_OPTIONS, health_check
from chaincard.rpc.endpoints import (
    balanced_channel,
    balanced_target,
    parse_endpoints,
    region_endpoints,
    round_robin_options,
)
from chaincard.rpc.transport import PLAINTEXT
from chaincard.v1 import directory_pb2


def test_a_list_is_split_on_commas_and_blanks_dropped() -> None:
    assert parse_endpoints(" 10.0.0.1:47200, 10.0.0.2:47200 ,") == ["10.0.0.1:47200", "10.0.0.2:47200"]
    assert parse_endpoints("dns:///chaincard-region-e-replicas:47200") == ["dns:///chaincard-region-e-replicas:47200"]
    assert parse_endpoints("") == []


def test_the_directory_lists_endpoints_else_its_one_endpoint() -> None:
    assert region_endpoints(directory_pb2.Region(endpoint="a:1", endpoints=["a:1", "b:2"])) == ["a:1", "b:2"]
    assert region_endpoints(directory_pb2.Region(endpoint="a:1")) == ["a:1"]
    assert region_endpoints(directory_pb2.Region()) == []


def test_one_endpoint_is_its_own_target_and_several_a_static_address_list() -> None:
    assert balanced_target(["chaincard-region-e:47200"]) == "chaincard-region-e:47200"
    assert balanced_target(["127.0.0.1:1", "127.0.0.1:2"]) == "ipv4:127.0.0.1:1,127.0.0.1:2"
    assert balanced_target(["[::1]:1", "[::1]:2"]) == "ipv6:[::1]:1,[::1]:2"


@pytest.mark.parametrize("endpoints", [[], ["region-e-0:47200", "region-e-1:47200"], ["127.0.0.1:1", "[::1]:2"],
                                       ["127.0.0.1", "127.0.0.1:2"]])
def test_what_cannot_be_one_target_is_refused(endpoints: list[str]) -> None:
    with pytest.raises(ValueError):
        balanced_target(endpoints)


def test_round_robin_joins_the_retry_policy_in_one_service_config() -> None:
    options = dict(round_robin_options(CHANNEL_OPTIONS, ["127.0.0.1:1", "127.0.0.1:2"]))
    config = json.loads(options["grpc.service_config"])
    assert config["loadBalancingConfig"] == [{"round_robin": {}}]
    assert config["methodConfig"][0]["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
    assert options["grpc.default_authority"] == "127.0.0.1:1"
    assert options["grpc.enable_retries"] == 1


def _health_server() -> tuple[grpc.Server, int]:
    server = grpc.server(futures.ThreadPoolExecutor(2))
    servicer = health.HealthServicer()
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def test_calls_go_to_every_replica_and_on_when_one_stops() -> None:
    servers = [_health_server() for _ in range(2)]
    with balanced_channel([f"127.0.0.1:{port}" for _, port in servers], PLAINTEXT) as channel:
        for _ in range(6):
            assert health_check(channel, deadline=5).status == health_pb2.HealthCheckResponse.SERVING
        servers[0][0].stop(None).wait()
        for _ in range(6):  # the channel's retries and round robin carry every call to the other one
            assert health_check(channel, deadline=5).status == health_pb2.HealthCheckResponse.SERVING
    servers[1][0].stop(None)
