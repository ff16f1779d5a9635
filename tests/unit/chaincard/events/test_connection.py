"""chaincard.events.connection and the options chaincard.events.kafka gives kafka-python: TLS and SASL
from the settings, acks=all and idempotence whatever they say, the local broker's defaults unchanged."""

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient

from chaincard.config import load_settings
from chaincard.events import connection as connection_module
from chaincard.events.connection import KafkaConnection, current_connection, use_connection
from chaincard.events.kafka import admin_options, consumer_options, producer_options

PRODUCTION_ENVIRONMENT = {
    "CHAINCARD_KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
    "CHAINCARD_KAFKA_SASL_MECHANISM": "scram-sha-512",
    "CHAINCARD_KAFKA_SASL_USERNAME": "chaincard-region-e",
    "CHAINCARD_KAFKA_SASL_PASSWORD": "s3cret",
    "CHAINCARD_KAFKA_SSL_CAFILE": "/etc/chaincard/kafka-ca/ca.crt",
    "CHAINCARD_KAFKA_TOPIC_REPLICATION_FACTOR": "3",
}


@pytest.fixture
def production_environment(monkeypatch):
    for name, value in PRODUCTION_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(autouse=True)
def no_installed_connection(monkeypatch):
    monkeypatch.setattr(connection_module, "_installed", None)


def test_the_defaults_are_the_local_brokers_plaintext():
    connection = KafkaConnection.from_settings(load_settings())
    assert connection.client_options() == {"security_protocol": "PLAINTEXT"}
    assert connection.topic_replication_factor == 1
    assert connection.topic_configs() == {}


def test_sasl_over_tls_comes_from_the_environment(production_environment):
    connection = KafkaConnection.from_settings(load_settings())
    assert connection.client_options() == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "chaincard-region-e",
        "sasl_plain_password": "s3cret",
        "ssl_check_hostname": True,
        "ssl_cafile": "/etc/chaincard/kafka-ca/ca.crt",
    }
    assert connection.topic_replication_factor == 3
    assert connection.topic_configs() == {"min.insync.replicas": "2"}


def test_tls_client_certificate_from_a_settings_file(tmp_path):
    config = tmp_path / "region.toml"
    config.write_text('kafka_security_protocol = "SSL"\nkafka_ssl_certfile = "/tls/user.crt"\nkafka_ssl_keyfile = "/tls/user.key"\n')
    options = KafkaConnection.from_settings(load_settings(config)).client_options()
    assert options == {"security_protocol": "SSL", "ssl_check_hostname": True,
                       "ssl_certfile": "/tls/user.crt", "ssl_keyfile": "/tls/user.key"}


def test_producers_always_wait_for_every_in_sync_replica_and_are_idempotent(production_environment):
    options = producer_options("k1:9093,k2:9093,k3:9093")
    assert options["acks"] == "all" and options["enable_idempotence"] is True
    assert options["bootstrap_servers"] == ["k1:9093", "k2:9093", "k3:9093"]
    assert options["security_protocol"] == "SASL_SSL" and options["sasl_plain_password"] == "s3cret"


def test_every_option_is_one_kafka_python_knows(production_environment):
    # kafka-python ignores an unknown option with a warning at best: a misspelt TLS option would
    # silently connect without it. Each option must be one of the client's own.
    assert set(producer_options("k:9093")) <= set(KafkaProducer.DEFAULT_CONFIG)
    assert set(consumer_options("k:9093", "group")) <= set(KafkaConsumer.DEFAULT_CONFIG)
    assert set(admin_options("k:9093")) <= set(KafkaAdminClient.DEFAULT_CONFIG)


def test_the_installed_connection_wins_over_the_environment(production_environment):
    use_connection(KafkaConnection())
    assert current_connection() == KafkaConnection()
    assert consumer_options("k:9092", "group")["security_protocol"] == "PLAINTEXT"


@pytest.mark.parametrize(("fields", "named"), [
    ({"security_protocol": "TLS"}, "kafka_security_protocol"),
    ({"security_protocol": "SASL_SSL", "sasl_mechanism": "GSSAPI", "sasl_username": "u", "sasl_password": "p"}, "kafka_sasl_mechanism"),
    ({"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN", "sasl_username": "u"}, "kafka_sasl_password"),
    ({"security_protocol": "SSL", "ssl_certfile": "/tls/user.crt"}, "kafka_ssl_keyfile"),
    ({"topic_replication_factor": 0}, "kafka_topic_replication_factor"),
])
def test_a_bad_setting_is_refused_naming_it(fields, named):
    with pytest.raises(ValueError, match=named):
        KafkaConnection(**fields)
