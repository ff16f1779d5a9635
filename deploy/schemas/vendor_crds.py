"""Turn an upstream CustomResourceDefinition into the JSON Schema the manifest tests validate with.

    python deploy/schemas/vendor_crds.py CRD.yaml... (writes <group>_<kind>_<version>.json here)

Only the served versions' ``openAPIV3Schema`` is kept, without its ``description`` texts (the
CloudNativePG Cluster CRD is 470 kB of YAML; its schema without prose is a fraction of that and
loads in milliseconds). Kubernetes' own structural-schema extensions (``x-kubernetes-*``) are left
in: jsonschema ignores unknown keywords. Where each file came from is in README.md beside this.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent


def _without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        # "description" is prose, except where a schema names a *property* called description.
        return {key: _without_descriptions(value) for key, value in node.items()
                if key != "description" or isinstance(value, dict)}
    if isinstance(node, list):
        return [_without_descriptions(item) for item in node]
    return node


def vendor(crd_path: Path) -> list[Path]:
    written = []
    for crd in yaml.safe_load_all(crd_path.read_text(encoding="utf-8")):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served", False):
                continue
            schema = _without_descriptions(version["schema"]["openAPIV3Schema"])
            target = HERE / f"{group}_{kind.lower()}_{version['name']}.json"
            target.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            written.append(target)
    return written


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        for path in vendor(Path(argument)):
            print(path.name)
