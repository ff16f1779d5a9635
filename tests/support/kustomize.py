"""Render deploy/k8s the way ``kubectl kustomize`` does, for the subset of Kustomize the manifests use.

The manifest tests must run offline on a machine with only PyPI, where no kustomize binary exists:
this renders ``resources`` (files and directories), ``namespace``, ``labels`` (metadata only),
``images`` and ``patches`` given as strategic-merge files (maps merged key by key, lists of named
items merged by ``name``, other lists replaced). Anything else in a kustomization is refused, so the
manifests cannot start using a feature these tests would silently skip. Where kubectl is installed,
tests/unit/deploy/test_kubernetes.py checks that both render the same.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

SUPPORTED_KEYS = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "patches"}
# Kinds that live outside any namespace: the namespace transformer leaves them alone.
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume",
                  "StorageClass"}

Resource = dict[str, Any]


def load_documents(path: Path) -> list[Resource]:
    return [document for document in yaml.safe_load_all(path.read_text(encoding="utf-8")) if document]


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(patch, list) and all(isinstance(item, dict) and "name" in item
                                                                 for item in [*base, *patch]):
        merged_list = [copy.deepcopy(item) for item in base]
        for item in patch:
            index = next((i for i, old in enumerate(merged_list) if old["name"] == item["name"]), None)
            if index is None:
                merged_list.append(copy.deepcopy(item))
            else:
                merged_list[index] = _merge(merged_list[index], item)
        return merged_list
    return copy.deepcopy(patch)


def _key(resource: Resource) -> tuple[str, str]:
    return resource["kind"], resource["metadata"]["name"]


def _set_images(node: Any, images: list[dict[str, str]]) -> None:
    if isinstance(node, dict):
        for field in ("containers", "initContainers"):
            for container in node.get(field, []) or []:
                for image in images:
                    if container.get("image") == image["name"]:
                        container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
        for value in node.values():
            _set_images(value, images)
    elif isinstance(node, list):
        for item in node:
            _set_images(item, images)


def render(directory: Path) -> list[Resource]:
    """The resources ``kubectl kustomize directory`` would print (order aside)."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
    unsupported = set(kustomization) - SUPPORTED_KEYS
    if unsupported:
        raise ValueError(f"{directory}/kustomization.yaml uses {sorted(unsupported)}: teach tests/support/kustomize.py first")
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        resources += render(target) if target.is_dir() else load_documents(target)
    for patch_entry in kustomization.get("patches", []):
        if set(patch_entry) != {"path"}:
            raise ValueError(f"only strategic-merge patch files are supported, not {patch_entry}")
        for patch in load_documents(directory / patch_entry["path"]):
            matches = [i for i, resource in enumerate(resources) if _key(resource) == _key(patch)]
            if len(matches) != 1:
                raise ValueError(f"patch {patch_entry['path']} targets {_key(patch)}, found {len(matches)} resources")
            resources[matches[0]] = _merge(resources[matches[0]], patch)
    for group in kustomization.get("labels", []):
        if group.get("includeSelectors") or group.get("includeTemplates"):
            raise ValueError("labels into selectors or templates are not supported")
        for resource in resources:
            resource["metadata"].setdefault("labels", {}).update(group["pairs"])
    if "namespace" in kustomization:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = kustomization["namespace"]
    if "images" in kustomization:
        for resource in resources:
            _set_images(resource, kustomization["images"])
    return resources
