"""deploy/kubernetes.yaml: a manifest the Kubernetes API would accept, with cookie affinity.

kubeconform is not in the registries this project installs from, and `kubectl apply
--dry-run=client` needs an API server to look the kinds up. The manifest is checked against
the official Python client's models instead (the API's OpenAPI types): every document
deserialises into its kind's model (required fields, types), and every field it sets is one
the model has, at every depth (kubeconform's -strict: a typo is an error). Enum values and
the ingress controller's annotations are not checked.
"""

import json
import re
from pathlib import Path

from conftest import ROOT, require

try:
    import yaml
    from kubernetes import client
except ImportError:  # pragma: no cover - the test extra installs both
    require(False, "the Python packages kubernetes and pyyaml (pip install -e '.[test]')")

MANIFEST = ROOT / "deploy" / "kubernetes.yaml"
KINDS = {
    ("apps/v1", "Deployment"): "V1Deployment",
    ("policy/v1", "PodDisruptionBudget"): "V1PodDisruptionBudget",
    ("v1", "Service"): "V1Service",
    ("networking.k8s.io/v1", "Ingress"): "V1Ingress",
}
PRIMITIVES = {"str": str, "int": int, "bool": bool, "float": (int, float)}


def problems(value, kind: str, path: str) -> list[str]:
    """Fields the model `kind` does not have, and values of the wrong type, under `path`."""
    if inner := re.fullmatch(r"List\[(.+)\]", kind):
        if not isinstance(value, list):
            return [f"{path}: a list expected"]
        return [p for i, v in enumerate(value) for p in problems(v, inner[1], f"{path}[{i}]")]
    if inner := re.fullmatch(r"Dict\[str, (.+)\]", kind):
        if not isinstance(value, dict):
            return [f"{path}: a mapping expected"]
        return [p for k, v in value.items() for p in problems(v, inner[1], f"{path}.{k}")]
    if kind == "object":  # IntOrString, Quantity: the API takes a number or a string
        return [] if isinstance(value, (int, str)) else [f"{path}: a number or string expected"]
    if kind in PRIMITIVES:
        ok = isinstance(value, PRIMITIVES[kind]) and not (kind != "bool" and value is True)
        return [] if ok else [f"{path}: {kind} expected, got {value!r}"]
    model = getattr(client, kind)
    if not isinstance(value, dict):
        return [f"{path}: an object ({kind}) expected"]
    fields = {json_key: model.openapi_types[attr] for attr, json_key in model.attribute_map.items()}
    found = []
    for key, sub in value.items():
        if key not in fields:
            found.append(f"{path}.{key}: {kind} has no such field")
        else:
            found += problems(sub, fields[key], f"{path}.{key}")
    return found


def documents() -> list[dict]:
    return [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]


def test_every_document_is_a_valid_object_of_its_kind():
    """Each kind deserialises into the client's model and sets no field the API lacks."""
    docs = documents()
    assert {(d["apiVersion"], d["kind"]) for d in docs} == set(KINDS)
    api = client.ApiClient()
    for doc in docs:
        kind = KINDS[(doc["apiVersion"], doc["kind"])]
        # The client's models (pydantic) raise on a missing required field or a bad type.
        api.deserialize(json.dumps(doc), kind, "application/json")
        assert problems(doc, kind, doc["kind"]) == []


def test_the_checker_catches_a_typo_and_a_wrong_type():
    """A misspelt field and a string where a number goes are both reported."""
    deployment = next(d for d in documents() if d["kind"] == "Deployment")
    bad = json.loads(json.dumps(deployment))
    bad["spec"]["replica"] = bad["spec"].pop("replicas")
    bad["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    assert problems(bad, "V1Deployment", "Deployment") == [
        "Deployment.spec.template.spec.containers[0].ports[0].containerPort: int expected, "
        "got 'http'",
        "Deployment.spec.replica: V1DeploymentSpec has no such field",
    ]


def test_sessions_stick_by_cookie_and_replicas_share_the_secret():
    """The ingress sets a cookie of its own for affinity; every pod gets the same secret."""
    docs = {d["kind"]: d for d in documents()}
    notes = docs["Ingress"]["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert notes["nginx.ingress.kubernetes.io/affinity-mode"] == "persistent"
    container = docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    secret = env["STREAMLIT_SERVER_COOKIE_SECRET"]["valueFrom"]["secretKeyRef"]
    assert secret == {"name": "autograd-explorer", "key": "cookie-secret"}
    assert container["readinessProbe"]["httpGet"]["path"] == "/_stcore/health"
    assert Path(ROOT / "Dockerfile").read_text().count("class_server/replica_app.py") == 1
