"""deploy/compose: the single-host staging (issue 18 item 3) is a valid Compose file whose commands,
settings, certificates and databases all exist, with a three-broker KRaft Kafka cluster and clients
configured for it (acks=all and idempotence are fixed in code: tests/unit/chaincard/events)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from chaincard.events.connection import KafkaConnection
from chaincard.security.certs import file_stem
from tests.support.deploy import SERVING_COMMANDS, command_error, settings_in, unknown_setting

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "deploy" / "compose"


def compose() -> dict:
    return yaml.safe_load((COMPOSE / "compose.yaml").read_text(encoding="utf-8"))


def env_file(name: str) -> dict[str, str]:
    lines = (COMPOSE / name).read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def chaincard_services() -> dict[str, dict]:
    return {name: service for name, service in compose()["services"].items()
            if service.get("image", "").startswith("${CHAINCARD_IMAGE")}


def test_valid_against_the_compose_specification():
    schema = json.loads((ROOT / "deploy" / "schemas" / "compose-spec.json").read_text(encoding="utf-8"))
    errors = [f"{error.json_path}: {error.message}" for error in jsonschema.Draft7Validator(schema).iter_errors(compose())]
    assert not errors, "\n".join(errors)


def test_every_command_and_health_check_parses():
    services = chaincard_services()
    assert {"hq", "region-e", "relay-e", "region-w", "relay-w", "settlement"} <= set(services)
    for name, service in services.items():
        assert command_error(service["command"]) is None, name
        test = service["healthcheck"]["test"]
        assert test[:4] == ["CMD", "chaincard", "status", "--one"] and command_error(test[2:]) is None, name


def test_every_setting_exists():
    named = set(env_file("chaincard.env"))
    for service in chaincard_services().values():
        named |= set(service["environment"]) if "environment" in service else set()
    assert not [problem for problem in map(unknown_setting, sorted(named)) if problem]


def test_every_process_starts_with_settings_it_accepts(monkeypatch):
    for name, service in chaincard_services().items():
        environment = env_file("chaincard.env") | {key: "secret" if "${" in str(value) else str(value)
                                                   for key, value in service.get("environment", {}).items()}
        settings = settings_in(environment, monkeypatch)
        assert service["command"][0] in SERVING_COMMANDS, name
        assert settings.tls_dir == "/etc/chaincard/tls" and not settings.insecure, name
        connection = KafkaConnection.from_settings(settings)  # raises if incomplete
        assert connection.uses_sasl and connection.topic_replication_factor == 3, name


def test_a_misspelt_setting_or_flag_is_caught():
    assert unknown_setting("CHAINCARD_KAFKA_SASL_PASSWROD") is not None
    assert command_error(["region", "--code", "E", "--listen-on", "0.0.0.0:1"]) is not None


def test_each_service_mounts_the_certificate_its_health_check_presents():
    for name, service in chaincard_services().items():
        presented = service["healthcheck"]["test"][-1]
        mounts = [volume for volume in service["volumes"] if volume.endswith(":/etc/chaincard/tls:ro")]
        assert mounts == [f"./secrets/{file_stem(presented)}:/etc/chaincard/tls:ro"], name
        assert file_stem(presented) in (COMPOSE / "make-secrets.sh").read_text(encoding="utf-8"), name


def test_kafka_is_three_kraft_brokers_of_the_official_image_and_the_clients_use_them_all():
    brokers = {name: service for name, service in compose()["services"].items() if name.startswith("kafka-")}
    assert len(brokers) == 3
    for service in brokers.values():
        assert re.fullmatch(r"apache/kafka:\d+\.\d+\.\d+", service["image"])
        environment = service["environment"]
        assert environment["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft: no ZooKeeper
        assert environment["KAFKA_MIN_INSYNC_REPLICAS"] == "2" and environment["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
        assert environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    settings = env_file("chaincard.env")
    assert sorted(settings["CHAINCARD_KAFKA_BOOTSTRAP"].split(",")) == [f"{name}:9092" for name in sorted(brokers)]
    assert settings["CHAINCARD_KAFKA_SECURITY_PROTOCOL"].startswith("SASL_")
    assert settings["CHAINCARD_KAFKA_TOPIC_REPLICATION_FACTOR"] == "3"


def test_every_database_exists_and_every_secret_comes_from_the_env_file():
    text = (COMPOSE / "compose.yaml").read_text(encoding="utf-8")
    created = set(re.findall(r"CREATE DATABASE (\w+)", (COMPOSE / "initdb" / "10-databases.sql").read_text(encoding="utf-8")))
    created.add(compose()["services"]["postgres"]["environment"]["POSTGRES_DB"])
    assert set(re.findall(r"@postgres:5432/(\w+)", text)) == created
    example = env_file(".env.example")
    for variable, default in re.findall(r"\$\{(\w+)(:-[^}]*)?", text):
        assert default or variable in example, f"${{{variable}}} has no default and is not in .env.example"
    assert not (COMPOSE / ".env").exists() or ".env" in (COMPOSE / ".gitignore").read_text(encoding="utf-8")
