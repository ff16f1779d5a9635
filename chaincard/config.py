"""Settings for every ChainCard process.

Precedence, lowest first: built-in defaults, a TOML file (``--config`` or ``CHAINCARD_CONFIG``),
environment variables ``CHAINCARD_<FIELD>``, then command-line flags. One flat table keeps the
mapping obvious: the TOML key, the env suffix and the flag all share the field's name.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from chaincard.compliance import require_record_retention

ENV_PREFIX = "CHAINCARD_"
# The shortest retention of request answers a deployment may set: a store agent retries a request it
# never had an answer for (a region's INTERNAL, a lost link) with the same id after an outage of days.
MIN_ANSWER_RETENTION_DAYS = 30


@dataclass(frozen=True)
class Settings:
    # Where this process listens for gRPC, host:port; port 0 picks a free one.
    listen: str = "127.0.0.1:0"
    # SQLAlchemy URL of this process's own database (PostgreSQL for hq/region/settlement, SQLite for a store).
    database_url: str = ""
    # Kafka bootstrap servers, comma separated host:port.
    kafka_bootstrap: str = "127.0.0.1:9092"
    # How the Kafka clients reach the cluster (chaincard.events.connection, docs/adr/0050): PLAINTEXT
    # (the local broker), SSL, SASL_PLAINTEXT or SASL_SSL; with SASL a mechanism (PLAIN,
    # SCRAM-SHA-256, SCRAM-SHA-512), a user name and its password (a secret: give it in the
    # environment, CHAINCARD_KAFKA_SASL_PASSWORD); with TLS the CA file that signed the brokers
    # (empty: the system's), and for TLS client authentication a certificate and key file.
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = ""
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = ""
    kafka_ssl_cafile: str = ""
    kafka_ssl_certfile: str = ""
    kafka_ssl_keyfile: str = ""
    # Replicas of a topic a process creates because it is missing (3 on a production cluster).
    kafka_topic_replication_factor: int = 1
    # host:port of hq_service, used by regions (directory, phone index) and the CLI.
    hq_endpoint: str = "127.0.0.1:47100"
    # host:port of this store's region_service (store agents only).
    region_endpoint: str = ""
    # This region's code, e.g. "E" (region_service only).
    region_code: str = ""
    # This store's id, e.g. "S-E-001" (store_agent only).
    store_id: str = ""
    # Secret key of the HMAC that indexes phone numbers chain-wide; shared by HQ and every region.
    phone_hmac_key: str = "dev-only-phone-key-change-me"
    # Secret of this region's QR member codes (region_service; each region its own): every card's
    # code key is derived from it and the card number (chaincard.member_codes, docs/adr/0026).
    member_code_key: str = "dev-only-member-code-key-change-me"
    # Deadline in seconds of every outgoing RPC.
    rpc_deadline_seconds: float = 5.0
    # How often the outbox relay looks for unpublished rows where it cannot LISTEN for them (no
    # PostgreSQL), in seconds; also its first back-off after a failure.
    outbox_poll_seconds: float = 0.2
    # On PostgreSQL the relay waits for the outbox's NOTIFY instead (docs/adr/0057), and looks anyway
    # after this many idle seconds: a notification lost while its LISTEN connection was re-opened,
    # or a row queued again by an UPDATE (a replay), which notifies nothing, waits no longer.
    outbox_safety_seconds: float = 5.0
    # How old a region's copy of HQ's configuration (directory, card types, levels, rules) may get
    # before it asks HQ again, in seconds (region_service.program.ProgramCache).
    config_max_age_seconds: float = 10.0
    # A store whose agent has not called its region (PullConfigSnapshot, every 15 s by default) for
    # longer than this, in seconds, is offline in StoreConnectionService (region_service only).
    store_offline_after_seconds: float = 180.0
    # The chain's business-day time zone and the local time at which a business day ends.
    business_time_zone: str = "Asia/Shanghai"
    business_day_cutoff: str = "04:00"
    # Write the bound port here once serving (lets a supervisor use port 0).
    port_file: str = ""
    # Name of this ChainCard deployment; prefixes Kafka consumer groups so two chains sharing a
    # broker never share a group (and so never split each other's partitions).
    deployment: str = "chaincard"
    # Log level name.
    log_level: str = "INFO"
    # Whether region_service publishes its outbox from a thread of its own process (True), or leaves
    # it to a separate `chaincard relay` process (False: the region's CPU then serves calls only).
    relay_in_process: bool = True
    # How long published outbox rows are kept for `chaincard events replay`, in hours (then deleted).
    outbox_retention_hours: float = 168.0
    # How long a region remembers the answer to each request for idempotent replays, in days (then
    # deleted hourly; at least MIN_ANSWER_RETENTION_DAYS). The ledger keeps
    # what the requests did; only a repeat of a request older than this would be taken as new.
    request_answer_retention_days: int = 90
    # How long the chain keeps its records (ledger, audit log, registrations), in days. Prepaid-card
    # rules ask for at least 5 years (V9, docs/adr/0038): a shorter value is refused at start-up.
    # Nothing deletes records today; a future purge must read this (chaincard.compliance).
    record_retention_days: int = 1827
    # Quiet hours of transaction notices, "HH:MM-HH:MM" in the business time zone (may cross
    # midnight, e.g. "22:00-08:00"); notices raised inside wait until the end. Empty: none.
    notification_quiet_hours: str = ""
    # The log channel of transaction notices also appends each notice as a JSON line here (HQ).
    notification_log_path: str = ""
    # Delivery of notices (N5, docs/adr/0053); a channel left unconfigured goes to the log channel.
    # E-mail over SMTP: host (empty: no e-mail), port, From address, STARTTLS, login.
    notification_smtp_host: str = ""
    notification_smtp_port: int = 25
    notification_smtp_from: str = ""
    notification_smtp_starttls: bool = False
    notification_smtp_username: str = ""
    notification_smtp_password: str = ""
    # SMS through an HTTP JSON gateway: URL (empty: no SMS) and an auth header "Name: value".
    notification_sms_url: str = ""
    notification_sms_auth_header: str = ""
    # WeChat template messages: the message/template/send URL with its access token, the template id.
    notification_wechat_url: str = ""
    notification_wechat_template_id: str = ""
    # Tries of one HTTP gateway send before the notice waits for the dispatcher's next round.
    notification_http_attempts: int = 3
    # Store managers' digest of the previous business day (N4, docs/adr/0056): sent by e-mail (the
    # SMTP settings above) once the chain's local time is past this "HH:MM"; "" sends none.
    manager_digest_after: str = "07:00"
    # Directory of the chain's certificates (`chaincard certs init`): the CA and this process's own
    # certificate and key. Every connection between services is mutual TLS with them.
    tls_dir: str = ""
    # Plaintext gRPC without certificates, for development only (`--insecure`): callers without a
    # token are then trusted as services, so never expose such a process.
    insecure: bool = False
    # Directory of HQ's token signing key (hq_service only; a secret, mode 0700).
    hq_signing_key_dir: str = ".chaincard/hq-keys"
    # Directory of the key that signs settlement manifests (settlement only; a secret, mode 0700).
    # Empty: `settlement-keys` beside the statements directory (./.chaincard/settlement-keys).
    settlement_signing_key_dir: str = ""
    # Where this process serves Prometheus metrics over HTTP (``/metrics``), host:port; port 0 picks a
    # free one. Empty: no metrics endpoint (the local chain gives every process one; docs/adr/0051).
    metrics_listen: str = ""
    # Write the metrics port bound here once serving (a supervisor's port 0, as ``port_file``).
    metrics_port_file: str = ""
    # OTLP/gRPC endpoint traces are exported to, e.g. "http://collector:4317" (http: plaintext).
    # Empty: OpenTelemetry's own OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, and without either no tracing.
    otlp_endpoint: str = ""
    # Extra settings a service may read without widening this class.
    extra: dict[str, Any] = field(default_factory=dict)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _coerce(name: str, raw: Any) -> Any:
    declared = {f.name: f for f in dataclasses.fields(Settings)}[name]
    kind = declared.type if isinstance(declared.type, str) else declared.type.__name__
    if kind == "float":
        return float(raw)
    if kind == "int":
        return int(raw)
    if kind == "bool":
        return raw if isinstance(raw, bool) else str(raw).strip().lower() in ("1", "true", "yes", "on")
    return raw if not isinstance(raw, str) else raw.strip()


def load_settings(config_file: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, the TOML file, the environment and explicit overrides."""
    known = {f.name for f in dataclasses.fields(Settings)} - {"extra"}
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}

    path = config_file or os.environ.get(ENV_PREFIX + "CONFIG")
    if path:
        with Path(path).open("rb") as handle:
            for key, value in tomllib.load(handle).items():
                if key in known:
                    values[key] = _coerce(key, value)
                else:
                    extra[key] = value

    for name in known:
        env_value = os.environ.get(ENV_PREFIX + name.upper())
        if env_value is not None and env_value != "":
            values[name] = _coerce(name, env_value)

    for name, value in overrides.items():
        if value is None:
            continue
        if name not in known:
            raise TypeError(f"unknown setting {name!r}")
        values[name] = _coerce(name, value)

    settings = Settings(**values, extra=extra)
    require_record_retention("record_retention_days", timedelta(days=settings.record_retention_days))
    if settings.request_answer_retention_days < MIN_ANSWER_RETENTION_DAYS:
        raise ValueError(f"request_answer_retention_days: answers are kept at least {MIN_ANSWER_RETENTION_DAYS} days "
                         f"(store agents retry after long outages); {settings.request_answer_retention_days} is too short")
    return settings
