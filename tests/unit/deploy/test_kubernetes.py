"""deploy/k8s: every resource valid against its schema (Kubernetes' own from kubernetes-validate, the
operators' CRDs vendored in deploy/schemas), every command and setting one that exists, and the
shape the design asks for (issue 18 item 2; docs/adr/0050-deployment.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from chaincard.events.connection import KafkaConnection
from chaincard.events.topics import ALL_TOPICS, PARTITIONS
from tests.support.deploy import KAFKA_USERS, SERVING_COMMANDS, command_error, settings_in, unknown_setting
from tests.support.kustomize import Resource, render

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
SCHEMAS = ROOT / "deploy" / "schemas"
LAYOUTS = {"base": K8S / "base", "production": K8S / "overlays" / "production", "migrations": K8S / "migrations"}
SERVICE_LAYOUTS = ("base", "production")
KUBERNETES_VERSION = "1.33"  # the oldest minor version the manifests must work on
REGIONS = ("E", "W")
SECRET_SUFFIXES = ("PASSWORD", "HMAC_KEY", "MEMBER_CODE_KEY")


@cache
def rendered(layout: str) -> tuple[Resource, ...]:
    return tuple(render(LAYOUTS[layout]))


def resources(layout: str, kind: str) -> list[Resource]:
    return [resource for resource in rendered(layout) if resource["kind"] == kind]


def one(layout: str, kind: str, name: str) -> Resource:
    (found,) = [resource for resource in resources(layout, kind) if resource["metadata"]["name"] == name]
    return found


def pod_specs(layout: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for workload in [*resources(layout, "Deployment"), *resources(layout, "Job")]:
        yield workload["metadata"]["name"], workload["spec"]["template"]["spec"]


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def _strict(schema: Any) -> Any:
    """Refuse undeclared fields, as the API server's strict field validation does (CRD schemas
    only declare; the server prunes). Where a schema keeps unknown fields, so do we."""
    if isinstance(schema, dict):
        strict = {key: _strict(value) for key, value in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema \
                and not schema.get("x-kubernetes-preserve-unknown-fields"):
            strict["additionalProperties"] = False
        return strict
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def crd_schema(api_version: str, kind: str) -> Path | None:
    """The vendored schema of an operator's kind, None for Kubernetes' own (kubernetes-validate's)."""
    group, _, version = api_version.rpartition("/")
    path = SCHEMAS / f"{group}_{kind.lower()}_{version}.json"
    return path if group and path.exists() else None


@cache
def crd_validator(api_version: str, kind: str) -> jsonschema.Draft7Validator:
    path = crd_schema(api_version, kind)
    assert path is not None, f"no schema vendored for {api_version} {kind} (deploy/schemas/README.md)"
    return jsonschema.Draft7Validator(_strict(json.loads(path.read_text(encoding="utf-8"))))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_resource_is_valid_against_its_schema(layout):
    problems = []
    for resource in rendered(layout):
        name = f"{resource['kind']}/{resource['metadata']['name']}"
        if crd_schema(resource["apiVersion"], resource["kind"]):
            problems += [f"{name}: {error.json_path}: {error.message}"
                         for error in crd_validator(resource["apiVersion"], resource["kind"]).iter_errors(resource)]
        else:  # an unknown kind raises SchemaNotFoundError: it fails too
            try:
                kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                problems.append(f"{name}: {error.message}")
    assert not problems, "\n".join(problems)


def test_the_strict_crd_check_refuses_a_misspelt_field():
    topic = one("base", "KafkaTopic", "chaincard-postings")
    misspelt = {**topic, "spec": {**topic["spec"], "replica": 3}}
    assert list(crd_validator(topic["apiVersion"], "KafkaTopic").iter_errors(misspelt))


def test_the_kubernetes_check_refuses_a_misspelt_field():
    region = one("base", "Deployment", "chaincard-region-e")
    misspelt = {**region, "spec": {**region["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(misspelt, KUBERNETES_VERSION, strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed (the renderer is then trusted)")
@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_tests_renderer_agrees_with_kubectl_kustomize(layout):
    printed = subprocess.run(["kubectl", "kustomize", str(LAYOUTS[layout])], capture_output=True, text=True,
                             check=True, timeout=120).stdout
    by_key = {(r["kind"], r["metadata"]["name"]): r for r in yaml.safe_load_all(printed) if r}
    assert by_key == {(r["kind"], r["metadata"]["name"]): r for r in rendered(layout)}


# ---- the commands and settings exist ----------------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_chaincard_command_parses(layout):
    """Container args (the image's entry point is `chaincard`) and probe commands: argparse exits on
    a flag or subcommand that does not exist, so a manifest cannot name one."""
    checked = 0
    for name, spec in pod_specs(layout):
        for container in containers(spec):
            commands = []
            if container.get("image", "").split(":")[0].endswith("chaincard") and "command" not in container:
                commands.append(container["args"])
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                command = container.get(probe, {}).get("exec", {}).get("command", [])
                if command[:1] == ["chaincard"]:
                    commands.append(command[1:])
            for args in commands:
                assert command_error(args) is None, f"{name}/{container['name']}: {command_error(args)}"
                checked += 1
    assert checked >= 4


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_setting_in_the_environment_exists(layout):
    named = {item["name"] for _, spec in pod_specs(layout) for c in containers(spec) for item in c.get("env", [])}
    for config_map in resources(layout, "ConfigMap"):
        named |= set(config_map["data"])
    assert not [problem for problem in map(unknown_setting, sorted(named)) if problem]


def environment_of(layout: str, container: dict[str, Any]) -> dict[str, str]:
    """What the container's environment holds (a Secret's value stands in as "secret")."""
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        environment |= one(layout, "ConfigMap", source["configMapRef"]["name"])["data"]
    for item in container.get("env", []):
        environment[item["name"]] = item.get("value", "secret")
    return environment


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_process_starts_with_settings_it_accepts(layout, monkeypatch):
    """Each container's environment, as the process reads it: the settings load, services have
    their certificates, and whoever opens Kafka connections has a complete, authenticated one."""
    for name, spec in pod_specs(layout):
        for container in spec["containers"]:
            command = container["args"][0]
            settings = settings_in(environment_of(layout, container), monkeypatch)
            if command not in SERVING_COMMANDS:
                continue
            assert settings.tls_dir == "/etc/chaincard/tls" and not settings.insecure, name
            assert any(mount["mountPath"] == settings.tls_dir for mount in container["volumeMounts"]), name
            connection = KafkaConnection.from_settings(settings)  # raises if incomplete
            if command in KAFKA_USERS:
                assert connection.security_protocol == "SASL_SSL" and connection.topic_replication_factor == 3, name
                assert any(mount["mountPath"] == Path(connection.ssl_cafile).parent.as_posix()
                           for mount in container["volumeMounts"]), name


@pytest.mark.parametrize("layout", LAYOUTS)
def test_secrets_come_from_secrets_never_from_the_manifests_or_image(layout):
    for name, spec in pod_specs(layout):
        for container in containers(spec):
            for item in container.get("env", []):
                if item["name"].endswith(SECRET_SUFFIXES):
                    assert "secretKeyRef" in item.get("valueFrom", {}), f"{name}: {item['name']} is written in the manifest"
    assert not resources(layout, "Secret"), "Secrets are made at deploy time (docs/operations/deploy.md), not kept here"


def test_every_secret_the_pods_use_is_in_the_deploy_runbook():
    runbook = (ROOT / "docs" / "operations" / "deploy.md").read_text(encoding="utf-8")
    clusters = {cluster["metadata"]["name"] for cluster in resources("production", "Cluster")}
    used = set()
    for _, spec in pod_specs("production"):
        used |= {volume["secret"]["secretName"] for volume in spec.get("volumes", []) if "secret" in volume}
        for container in containers(spec):
            used |= {item["valueFrom"]["secretKeyRef"]["name"] for item in container.get("env", [])
                     if "secretKeyRef" in item.get("valueFrom", {})}
    for secret in sorted(used):
        if secret.endswith("-app") and secret.removesuffix("-app") in clusters:
            continue  # written by the CloudNativePG operator for its cluster
        assert f"`{secret}`" in runbook, f"docs/operations/deploy.md does not say how to make Secret {secret}"


# ---- the shape the design asks for -------------------------------------------------------------------
@pytest.mark.parametrize("layout", SERVICE_LAYOUTS)
@pytest.mark.parametrize("code", REGIONS)
def test_each_region_has_replicas_a_disruption_budget_a_relay_and_a_database(layout, code):
    region = one(layout, "Deployment", f"chaincard-region-{code.lower()}")
    assert region["spec"]["replicas"] >= 2
    template = region["spec"]["template"]
    budgets = [budget for budget in resources(layout, "PodDisruptionBudget")
               if budget["spec"]["selector"]["matchLabels"].items() <= template["metadata"]["labels"].items()]
    assert len(budgets) == 1 and budgets[0]["spec"].get("maxUnavailable") == 1
    (container,) = template["spec"]["containers"]
    assert container["args"][:3] == ["region", "--code", code]
    assert container["readinessProbe"]["exec"]["command"][:3] == ["chaincard", "status", "--one"]
    assert container["readinessProbe"]["exec"]["command"][-2:] == ["--as", f"region:{code}"]
    assert {"name": "CHAINCARD_RELAY_IN_PROCESS", "value": "0"} in container["env"]
    relay = one(layout, "Deployment", f"chaincard-relay-{code.lower()}")
    assert relay["spec"]["template"]["spec"]["containers"][0]["args"][:3] == ["relay", "--code", code]
    database = template["metadata"]["labels"]["chaincard.io/database"]
    assert one(layout, "Cluster", database)["spec"]["instances"] >= 3
    assert relay["spec"]["template"]["metadata"]["labels"]["chaincard.io/database"] == database


@pytest.mark.parametrize("layout", SERVICE_LAYOUTS)
def test_settlement_runs_once_with_its_nightly_schedule(layout):
    settlement = one(layout, "Deployment", "chaincard-settlement")
    assert settlement["spec"]["replicas"] == 1 and settlement["spec"]["strategy"]["type"] == "Recreate"
    env = {item["name"]: item.get("value") for item in settlement["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["CHAINCARD_SETTLEMENT_NIGHTLY_AT"] == "04:30"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_container_is_bounded_and_unprivileged(layout):
    for name, spec in pod_specs(layout):
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["automountServiceAccountToken"] is False
        for container in containers(spec):
            assert {"cpu", "memory"} <= container["resources"]["requests"].keys(), name
            assert {"cpu", "memory"} <= container["resources"]["limits"].keys(), name
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] and not security["allowPrivilegeEscalation"], name
            assert security["capabilities"]["drop"] == ["ALL"], name


def test_production_pins_the_image_and_migrates_with_the_same_one_every_database():
    images = {c["image"] for _, spec in pod_specs("production") for c in containers(spec)}
    assert len(images) == 1 and not next(iter(images)).endswith((":latest", ":chaincard")), "one pinned release image"
    assert {c["image"] for _, spec in pod_specs("migrations") for c in containers(spec)} == images
    migrated = {job["spec"]["template"]["metadata"]["labels"]["chaincard.io/database"]: job for job in resources("migrations", "Job")}
    assert set(migrated) == {cluster["metadata"]["name"] for cluster in resources("production", "Cluster")}
    for database, job in migrated.items():
        (container,) = job["spec"]["template"]["spec"]["containers"]
        assert container["args"][0] == "migrate"
        assert container["env"][0]["valueFrom"]["secretKeyRef"]["name"] == f"{database}-app"
    # What each Deployment over that database runs is the service the Job migrates for it.
    for name, spec in pod_specs("production"):
        workload = one("production", "Deployment", name)["spec"]["template"]
        database = workload["metadata"]["labels"].get("chaincard.io/database")
        service = spec["containers"][0]["args"][0]
        assert migrated[database]["spec"]["template"]["spec"]["containers"][0]["args"][1] == \
            {"relay": "region"}.get(service, service)


@pytest.mark.parametrize("layout", SERVICE_LAYOUTS)
def test_kafka_topics_are_the_codes_with_three_replicas_two_in_sync(layout):
    topics = {topic["spec"]["topicName"]: topic["spec"] for topic in resources(layout, "KafkaTopic")}
    assert set(topics) == set(ALL_TOPICS)
    for name, spec in topics.items():
        assert spec["partitions"] >= PARTITIONS[name], name
        assert spec["replicas"] == 3 and str(spec["config"]["min.insync.replicas"]) == "2", name
        assert "retention.ms" in spec["config"] or spec["config"]["cleanup.policy"] == "compact", name


# ---- network policies: only the calls the design makes ------------------------------------------------
def _matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        if operator == "Exists" and key not in labels or operator == "In" and labels.get(key) not in expression["values"]:
            return False
        if operator not in ("Exists", "In"):
            raise AssertionError(f"teach the test {operator}")
    return True


def _peer_matches(peer: dict[str, Any], namespace: str, labels: dict[str, str], own_namespace: str) -> bool:
    if "ipBlock" in peer:
        return False  # addresses outside the cluster: not a pod of this test
    if "namespaceSelector" in peer:
        if not _matches(peer["namespaceSelector"], {"kubernetes.io/metadata.name": namespace}):
            return False
    elif namespace != own_namespace:
        return False
    return _matches(peer.get("podSelector", {}), labels)


def _allows(policies: list[Resource], direction: str, pod: tuple[str, dict[str, str]],
            peer: tuple[str, dict[str, str]], port: int) -> bool:
    """Whether ``pod`` (namespace, labels) may send (Egress) to / receive (Ingress) from ``peer`` on ``port``."""
    namespace, labels = pod
    selecting = [p for p in policies if p["metadata"]["namespace"] == namespace and _matches(p["spec"]["podSelector"], labels)
                 and direction in p["spec"]["policyTypes"]]
    if namespace != "chaincard" or not selecting:
        return True
    rules_key, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    for policy in selecting:
        for rule in policy["spec"].get(rules_key, []):
            ports = [entry["port"] for entry in rule.get("ports", [])]
            if ports and port not in ports:
                continue
            if peers_key not in rule or any(_peer_matches(p, peer[0], peer[1], namespace) for p in rule[peers_key]):
                return True
    return False


def allowed_calls(layout: str) -> set[tuple[str, str]]:
    pods: dict[str, tuple[str, dict[str, str], list[int]]] = {}
    for deployment in resources(layout, "Deployment"):
        template = deployment["spec"]["template"]
        ports = [port["containerPort"] for c in template["spec"]["containers"] for port in c.get("ports", [])]
        pods[deployment["metadata"]["name"]] = ("chaincard", template["metadata"]["labels"], ports)
    for cluster in resources(layout, "Cluster"):
        pods[cluster["metadata"]["name"]] = ("chaincard", {"cnpg.io/cluster": cluster["metadata"]["name"]}, [5432])
    pods["kafka"] = ("kafka", {"strimzi.io/cluster": "chaincard-kafka"}, [9093])
    policies = resources(layout, "NetworkPolicy")
    calls = set()
    for source, (source_ns, source_labels, _) in pods.items():
        for target, (target_ns, target_labels, ports) in pods.items():
            if "chaincard" not in (source_ns, target_ns):
                continue  # Kafka's own traffic is not ours to police
            for port in ports:
                if _allows(policies, "Egress", (source_ns, source_labels), (target_ns, target_labels), port) and \
                        _allows(policies, "Ingress", (target_ns, target_labels), (source_ns, source_labels), port):
                    calls.add((source.removeprefix("chaincard-"), target.removeprefix("chaincard-")))
    return calls


@pytest.mark.parametrize("layout", SERVICE_LAYOUTS)
def test_network_policies_allow_exactly_the_calls_of_the_design(layout):
    expected = {
        ("hq", "region-e"), ("hq", "region-w"), ("hq", "hq-db"), ("hq", "kafka"),
        ("settlement", "hq"), ("settlement", "settlement-db"), ("settlement", "kafka"),
    }
    for code in ("e", "w"):
        other = "w" if code == "e" else "e"
        expected |= {(f"region-{code}", "hq"), (f"region-{code}", f"region-{other}"), (f"region-{code}", f"region-{code}"),
                     (f"region-{code}", f"region-{code}-db"), (f"region-{code}", "kafka"),  # the referrals consumer
                     (f"relay-{code}", f"region-{code}-db"), (f"relay-{code}", "kafka")}
    expected |= {(db, db) for db in ("hq-db", "settlement-db", "region-e-db", "region-w-db")}  # replication
    assert allowed_calls(layout) == expected
    assert any(p["metadata"]["name"] == "default-deny" and p["spec"]["podSelector"] == {} for p in resources(layout, "NetworkPolicy"))
