"""Consistency checks across deploy/ that no schema can see.

Run by deploy/validate.sh inside its virtual environment (PyYAML, and
tomllib or tomli). Usage:

  python3 validate.py [--rendered FILE] [--overlay NAME=FILE ...]
  python3 validate.py --render NAME      # print overlays/NAME, rendered

Checks that the kustomize base lists existing files (and not the
examples), that the Deployment, both Services, PDB, HPA, ServiceAccount,
Secret and ServiceMonitor examples agree on names, labels and ports (API
and metrics), that shutdown timings fit together, that the TLS components
mount their Secret where the environment and the probes look, that the
example database URL verifies PostgreSQL's certificate against a CA the
Deployment mounts, that compose.yaml wires two replicas to a healthy
PostgreSQL that serves TLS (and that they verify), and publishes their API
and metrics on loopback, that the Dockerfile's dependency stubs cover
every target path in Cargo.toml and its build stage copies every file the
crate embeds, and that the alerting rules and deploy/README.md name only
metrics the service exports (services/exporter.rs, and the process
metrics of the metrics-process crate), with labels they carry, and that
the guide documents every one of them. Exits 1 with one line per problem.

The overlays in overlays/ (the base plus components/tls, plus
components/mtls) are rendered here by a small subset of kustomize
(resources, components, JSON patches with kind/name targets, labels,
namespace, images), so that they are checked without kustomize;
validate.sh passes kustomize's own rendering with --overlay where
kustomize or kubectl is installed, and the two must agree.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

DEPLOY = Path(__file__).resolve().parent
REPO = DEPLOY.parent
KUBE = DEPLOY / "kubernetes"
PORT = 50051
METRICS_PORT = 9464
# Files in kubernetes/ that are deliberately not in the base's resources.
OPTIONAL_MANIFESTS = {"secret-example.yaml", "namespace.yaml", "servicemonitor-example.yaml"}
OVERLAYS = DEPLOY / "overlays"
TLS_SECRET = "gba-grants-tls"
# Keys of a kubernetes.io/tls Secret (ca.crt: cert-manager's, optional).
TLS_SECRET_KEYS = {"tls.crt", "tls.key", "ca.crt"}
RUNTIME_GID = 10001
# The ConfigMap (or Secret) with the CA of PostgreSQL's certificate, and
# the key the example database URL's sslrootcert names.
DB_CA = "gba-grants-db-ca"
DB_CA_KEY = "ca.crt"
# What metrics_process::Collector exports on Linux (metrics-process 2.x),
# after the prefix of Collector::new(prefix), if any. None has labels.
PROCESS_METRICS = {
    "process_cpu_seconds_total",
    "process_open_fds",
    "process_max_fds",
    "process_virtual_memory_bytes",
    "process_virtual_memory_max_bytes",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    "process_threads",
}
# Prefixes of the metric names checked in the rules and the guide.
METRIC_PREFIXES = ("gba_grants_", "rpc_server_", "process_")
# Metrics of earlier releases, and what replaced them: the guide may name
# them (to say so), the rules may not.
RETIRED_METRICS = {"gba_grants_call_duration_seconds": "rpc_server_call_duration_seconds"}
# Labels a scrape adds to every series (Prometheus, kube-prometheus), on top
# of a metric's own. Not "service": the Prometheus Operator's would clash
# with gba_grants_calls_total's own.
TARGET_LABELS = {"instance", "job", "namespace", "pod", "container", "endpoint", "node"}

errors: list[str] = []


def fail(where: str, message: str) -> None:
    errors.append(f"{where}: {message}")


def load_all(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def seconds(value: object) -> float:
    """Compose durations ("40s", "1m30s", 90) in seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    total, text = 0.0, str(value).strip()
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 0.000001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {value!r}")
    for number, unit in parts:
        total += float(number) * units[unit]
    return total


def env_map(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


# --------------------------------------------------------------- kubernetes


def check_kustomization() -> list[dict]:
    where = "kubernetes/kustomization.yaml"
    kustomization = load_all(KUBE / "kustomization.yaml")[0]
    if kustomization.get("kind") != "Kustomization":
        fail(where, "kind is not Kustomization")
    resources = kustomization.get("resources") or []
    if not resources:
        fail(where, "no resources")
    if kustomization.get("components"):
        fail(where, "the base lists components: keep it cleartext and add them in an overlay (overlays/)")
    docs: list[dict] = []
    for entry in resources:
        path = KUBE / entry
        if not path.is_file():
            fail(where, f"resource {entry} does not exist")
            continue
        if entry in {"secret-example.yaml", "servicemonitor-example.yaml"}:
            fail(where, f"{entry} must not be a resource of the base")
        docs.extend(load_all(path))
    listed = set(resources) | {"kustomization.yaml"}
    for path in sorted(KUBE.glob("*.y*ml")):
        if path.name not in listed and path.name not in OPTIONAL_MANIFESTS:
            fail(where, f"{path.name} is in kubernetes/ but not in resources")
    return docs


def by_kind(docs: list[dict]) -> dict[str, list[dict]]:
    kinds: dict[str, list[dict]] = {}
    for doc in docs:
        kinds.setdefault(doc.get("kind", "?"), []).append(doc)
    return kinds


def check_kubernetes(docs: list[dict], label: str, probe_path: str | None, tls: str | None = None) -> None:
    """tls: None for the base, "tls" or "mtls" for the TLS overlays."""
    kinds = by_kind(docs)
    expected = {
        "Deployment": 1,
        "Service": 2,
        "PodDisruptionBudget": 1,
        "HorizontalPodAutoscaler": 1,
        "ServiceAccount": 1,
    }
    for kind, count in expected.items():
        if len(kinds.get(kind, [])) != count:
            fail(label, f"expected {count} {kind}, found {len(kinds.get(kind, []))}")
    if errors:
        return
    if "Secret" in kinds:
        fail(label, "the base must not contain a Secret (secret-example.yaml is applied by hand)")
    deployment = kinds["Deployment"][0]
    where = f"{label} Deployment"
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    pod_labels = spec["template"]["metadata"]["labels"]
    if not selects(spec["selector"]["matchLabels"], pod_labels):
        fail(where, "selector does not match the pod template labels")
    if spec.get("replicas", 1) < 2:
        fail(where, "fewer than 2 replicas")

    security = pod.get("securityContext", {})
    if security.get("runAsNonRoot") is not True:
        fail(where, "pod securityContext.runAsNonRoot is not true")
    if security.get("runAsUser") != 10001:
        fail(where, "pod does not run as uid 10001 (the image's user)")
    if security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        fail(where, "seccompProfile is not RuntimeDefault")
    if pod.get("automountServiceAccountToken") is not False:
        fail(where, "automountServiceAccountToken is not false")
    if pod.get("enableServiceLinks") is not False:
        fail(where, "enableServiceLinks is not false (GBA_GRANTS_* service variables would be injected)")

    containers = pod["containers"]
    if len(containers) != 1:
        fail(where, "expected one container")
        return
    container = containers[0]
    csec = container.get("securityContext", {})
    if csec.get("readOnlyRootFilesystem") is not True:
        fail(where, "readOnlyRootFilesystem is not true")
    if csec.get("allowPrivilegeEscalation") is not False:
        fail(where, "allowPrivilegeEscalation is not false")
    if csec.get("capabilities", {}).get("drop") != ["ALL"]:
        fail(where, "capabilities do not drop ALL")
    for kind in ("requests", "limits"):
        if not {"cpu", "memory"} <= set(container.get("resources", {}).get(kind, {})):
            fail(where, f"resources.{kind} must set cpu and memory")

    ports = {p.get("name"): p for p in container.get("ports", [])}
    if ports.get("grpc", {}).get("containerPort") != PORT:
        fail(where, f"no container port named grpc on {PORT}")
    if ports.get("metrics", {}).get("containerPort") != METRICS_PORT:
        fail(where, f"no container port named metrics on {METRICS_PORT}")
    env = env_map(container)
    for variable, port in (("GBA_GRANTS_LISTEN", PORT), ("GBA_GRANTS_METRICS_LISTEN", METRICS_PORT)):
        listen = env.get(variable, {}).get("value", "")
        if not listen.endswith(f":{port}") or listen.startswith(("127.", "localhost", "[::1]")):
            fail(where, f"{variable} must listen on all interfaces, port {port} (is {listen!r})")
    annotations = spec["template"].get("metadata", {}).get("annotations", {})
    wanted = {"prometheus.io/scrape": "true", "prometheus.io/port": str(METRICS_PORT), "prometheus.io/path": "/metrics"}
    for key, value in wanted.items():
        if annotations.get(key) != value:
            fail(where, f"pod annotation {key} is {annotations.get(key)!r}, not {value!r}")
    database = env.get("GBA_GRANTS_DATABASE_URL", {})
    secret_ref = database.get("valueFrom", {}).get("secretKeyRef")
    if not secret_ref:
        fail(where, "GBA_GRANTS_DATABASE_URL is not read from a Secret")
    else:
        url = check_secret_example(secret_ref)
        if url:
            check_database_ca(url, container, pod, where)
    if tls is None:
        for probe in ("startupProbe", "readinessProbe"):
            grpc = container.get(probe, {}).get("grpc")
            if not grpc or grpc.get("port") != PORT:
                fail(where, f"{probe} is not a native gRPC probe on {PORT}")
        for variable in ("GBA_GRANTS_TLS_CERT", "GBA_GRANTS_TLS_KEY", "GBA_GRANTS_TLS_CLIENT_CA"):
            if variable in env:
                fail(where, f"{variable} is set in the base (TLS belongs in components/tls)")
    else:
        check_tls(container, pod, where, probe_path, mutual=tls == "mtls")
    if "livenessProbe" not in container:
        fail(where, "no livenessProbe")
    elif "grpc" in container["livenessProbe"] and tls:
        fail(where, "livenessProbe is a native gRPC probe, which cannot speak TLS")

    grace = int(env.get("GBA_GRANTS_SHUTDOWN_GRACE_SECONDS", {}).get("value", "30"))
    command = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    sleep_action = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {})
    if command[:1] in (["sleep"], ["/bin/sleep"]) and len(command) == 2:
        pre_stop = float(command[1])
    elif "seconds" in sleep_action:
        pre_stop = float(sleep_action["seconds"])
    else:
        fail(where, "preStop is not a sleep")
        pre_stop = 0.0
    termination = pod.get("terminationGracePeriodSeconds", 30)
    if not termination > pre_stop + grace:
        fail(
            where,
            f"terminationGracePeriodSeconds {termination} must exceed preStop {pre_stop:g} s"
            f" + shutdown grace {grace} s",
        )

    service_accounts = kinds["ServiceAccount"][0]
    if pod.get("serviceAccountName") != service_accounts["metadata"]["name"]:
        fail(where, "serviceAccountName does not name the ServiceAccount")
    if service_accounts.get("automountServiceAccountToken") is not False:
        fail(f"{label} ServiceAccount", "automountServiceAccountToken is not false")

    services = {s["metadata"]["name"]: s for s in kinds["Service"]}
    service = services.get(deployment["metadata"]["name"])
    if service is None:
        fail(f"{label} Service", f"no Service named {deployment['metadata']['name']} (the API)")
        return
    where = f"{label} Service {service['metadata']['name']}"
    if not selects(service["spec"]["selector"], pod_labels):
        fail(where, "selector does not match the pod labels")
    service_ports = service["spec"]["ports"]
    api_ports = [p for p in service_ports if p.get("port") == PORT and p.get("targetPort") in ("grpc", PORT)]
    if not api_ports:
        fail(where, f"no port {PORT} -> grpc")
    elif tls is None and api_ports[0].get("appProtocol") != "kubernetes.io/h2c":
        fail(where, f"port {PORT} does not have appProtocol kubernetes.io/h2c")
    elif tls and api_ports[0].get("appProtocol") in ("kubernetes.io/h2c", "http", "h2c"):
        fail(where, f"port {PORT} still announces cleartext ({api_ports[0].get('appProtocol')}) with TLS on")
    if any(p.get("targetPort") in ("metrics", METRICS_PORT) or p.get("port") == METRICS_PORT for p in service_ports):
        fail(where, "the API Service exposes the metrics port (it has its own Service)")
    metrics_services = [s for name, s in services.items() if name != service["metadata"]["name"]]
    metrics_service = metrics_services[0]
    check_metrics_service(metrics_service, service, pod_labels, f"{label} Service {metrics_service['metadata']['name']}")

    pdb = kinds["PodDisruptionBudget"][0]
    where = f"{label} PodDisruptionBudget"
    if not selects(pdb["spec"]["selector"]["matchLabels"], pod_labels):
        fail(where, "selector does not match the pod labels")
    if pdb["spec"].get("minAvailable") != 1:
        fail(where, "minAvailable is not 1")

    hpa = kinds["HorizontalPodAutoscaler"][0]
    where = f"{label} HorizontalPodAutoscaler"
    target = hpa["spec"]["scaleTargetRef"]
    if (target.get("kind"), target.get("name")) != ("Deployment", deployment["metadata"]["name"]):
        fail(where, "scaleTargetRef does not name the Deployment")
    if hpa["spec"].get("minReplicas", 1) <= pdb["spec"].get("minAvailable", 0):
        fail(where, "minReplicas must exceed the PDB's minAvailable, or node drains block")
    if spec.get("replicas") != hpa["spec"].get("minReplicas"):
        fail(where, "Deployment replicas should equal minReplicas")
    if not any(m.get("resource", {}).get("name") == "cpu" for m in hpa["spec"].get("metrics", [])):
        fail(where, "no CPU metric")


def check_metrics_service(metrics: dict, api: dict, pod_labels: dict, where: str) -> None:
    spec = metrics["spec"]
    if not selects(spec.get("selector", {}), pod_labels):
        fail(where, "selector does not match the pod labels")
    if not any(p.get("port") == METRICS_PORT and p.get("targetPort") in ("metrics", METRICS_PORT) for p in spec["ports"]):
        fail(where, f"no port {METRICS_PORT} -> metrics")
    if metrics["metadata"].get("labels", {}) == api["metadata"].get("labels", {}):
        fail(where, "has the API Service's labels: a ServiceMonitor could not tell them apart")


def check_servicemonitor(docs: list[dict]) -> None:
    """servicemonitor-example.yaml against the metrics Service of the base."""
    where = "kubernetes/servicemonitor-example.yaml"
    monitors = load_all(KUBE / "servicemonitor-example.yaml")
    if len(monitors) != 1 or monitors[0].get("kind") != "ServiceMonitor":
        fail(where, "expected one ServiceMonitor")
        return
    monitor = monitors[0]
    if monitor.get("apiVersion") != "monitoring.coreos.com/v1":
        fail(where, "apiVersion is not monitoring.coreos.com/v1")
    services = [d for d in docs if d.get("kind") == "Service"]
    selector = monitor.get("spec", {}).get("selector", {}).get("matchLabels", {})
    chosen = [s for s in services if selects(selector, s["metadata"].get("labels", {}))]
    if len(chosen) != 1:
        fail(where, f"selects {len(chosen)} Services of the base, not just the metrics Service")
        return
    port_names = {p.get("name") for p in chosen[0]["spec"]["ports"]}
    for endpoint in monitor["spec"].get("endpoints", []):
        if endpoint.get("port") not in port_names:
            fail(where, f"endpoint port {endpoint.get('port')!r} is not a port of {chosen[0]['metadata']['name']}")
        if endpoint.get("path", "/metrics") != "/metrics":
            fail(where, "endpoint path is not /metrics")
    if not monitor["spec"].get("endpoints"):
        fail(where, "no endpoints")


def check_tls(container: dict, pod: dict, where: str, probe_path: str | None, mutual: bool) -> None:
    """A TLS overlay: the Secret mounted, the env pointing into it, probes
    that speak TLS (and present a client certificate under mutual TLS)."""
    env = env_map(container)
    mounts = {m["mountPath"].rstrip("/"): m for m in container.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}

    def in_secret(path: str, what: str) -> bool:
        directory, _, filename = path.rpartition("/")
        mount = mounts.get(directory)
        if not mount:
            fail(where, f"{what} {path} is not in a mounted volume")
            return False
        if mount.get("readOnly") is not True:
            fail(where, f"the volume mounted at {directory} is not readOnly")
        secret = volumes.get(mount["name"], {}).get("secret")
        if not secret:
            fail(where, f"{what} {path}: volume {mount['name']} is not a Secret")
            return False
        if secret.get("secretName") != TLS_SECRET:
            fail(where, f"{what} {path}: the Secret is {secret.get('secretName')!r}, not {TLS_SECRET}")
        keys = {i["path"]: i["key"] for i in secret.get("items", [])} or {k: k for k in TLS_SECRET_KEYS}
        if keys.get(filename) not in TLS_SECRET_KEYS:
            fail(where, f"{what} {path} is not one of the Secret's keys {sorted(TLS_SECRET_KEYS)}")
        mode = secret.get("defaultMode", 0o644)
        group = pod.get("securityContext", {}).get("fsGroup")
        if not (mode & 0o004 or (mode & 0o040 and group == RUNTIME_GID)):
            fail(where, f"{what} {path}: mode {mode:#o} without fsGroup {RUNTIME_GID} is unreadable for uid 10001")
        return True

    variables = ["GBA_GRANTS_TLS_CERT", "GBA_GRANTS_TLS_KEY"] + (["GBA_GRANTS_TLS_CLIENT_CA"] if mutual else [])
    for variable in variables:
        value = env.get(variable, {}).get("value")
        if not value:
            fail(where, f"{variable} is not set")
        else:
            in_secret(value, variable)
    if not mutual and "GBA_GRANTS_TLS_CLIENT_CA" in env:
        fail(where, "GBA_GRANTS_TLS_CLIENT_CA is set without components/mtls")
    for probe in ("startupProbe", "readinessProbe"):
        spec = container.get(probe, {})
        if "grpc" in spec:
            fail(where, f"{probe} is a native gRPC probe, which cannot speak TLS")
        command = spec.get("exec", {}).get("command", [])
        if not command or not command[0].endswith("grpc_health_probe"):
            fail(where, f"{probe} does not exec grpc_health_probe")
            continue
        if probe_path and command[0] != probe_path:
            fail(where, f"{probe} runs {command[0]}, where the Dockerfile installs {probe_path}")
        if f"-addr=127.0.0.1:{PORT}" not in command and f"-addr=localhost:{PORT}" not in command:
            fail(where, f"{probe} does not dial 127.0.0.1:{PORT}")
        if "-tls" not in command:
            fail(where, f"{probe} does not pass -tls")
        flags = dict(str(arg).split("=", 1) for arg in command[1:] if "=" in str(arg))
        for flag in ("-tls-client-cert", "-tls-client-key"):
            if mutual and flag not in flags:
                fail(where, f"{probe} passes no {flag} (mutual TLS refuses it)")
            elif flag in flags:
                in_secret(flags[flag], f"{probe} {flag}")
        if not spec.get("timeoutSeconds", 1) >= 2:
            fail(where, f"{probe} timeoutSeconds leaves no time for a TLS handshake")


# ------------------------------------------------------------- rendering


class RenderError(Exception):
    pass


def json_patch(doc: dict, operations: list, where: str) -> None:
    """RFC 6902 add, remove, replace and test, as kustomize applies them."""
    for operation in operations:
        op, path = operation.get("op"), operation.get("path", "")
        if op in ("add", "replace", "test") and "value" not in operation:
            raise RenderError(f"{where}: {op} {path} has no value")
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in path.split("/")[1:]]
        try:
            parent = doc
            for token in tokens[:-1]:
                parent = parent[int(token)] if isinstance(parent, list) else parent[token]
            last = tokens[-1]
            value = copy.deepcopy(operation.get("value"))
            if isinstance(parent, list):
                index = len(parent) if last == "-" else int(last)
                if op == "add":
                    if index > len(parent):
                        raise IndexError(index)
                    parent.insert(index, value)
                elif op == "remove":
                    del parent[index]
                elif op == "replace":
                    parent[index] = value
                elif op == "test":
                    if parent[index] != value:
                        raise RenderError(f"{where}: test {path} failed: {parent[index]!r} != {value!r}")
                else:
                    raise RenderError(f"{where}: op {op!r} is not supported here")
            else:
                if op == "add":
                    parent[last] = value
                elif op in ("remove", "replace", "test") and last not in parent:
                    raise KeyError(last)
                elif op == "remove":
                    del parent[last]
                elif op == "replace":
                    parent[last] = value
                elif op == "test":
                    if parent[last] != value:
                        raise RenderError(f"{where}: test {path} failed: {parent[last]!r} != {value!r}")
                else:
                    raise RenderError(f"{where}: op {op!r} is not supported here")
        except (KeyError, IndexError, ValueError, TypeError) as e:
            raise RenderError(f"{where}: {op} {path}: no such location ({e!r})") from None


def transform(kustomization: dict, directory: Path, docs: list[dict]) -> None:
    """The transformers of one kustomization or component, in kustomize's order."""
    where = str((directory / "kustomization.yaml").relative_to(DEPLOY))
    supported = {"apiVersion", "kind", "resources", "components", "patches", "labels", "namespace", "images"}
    unsupported = set(kustomization) - supported
    if unsupported:
        raise RenderError(f"{where}: validate.py cannot render {sorted(unsupported)}")
    for patch in kustomization.get("patches", []):
        target = patch.get("target", {})
        if "path" not in patch or set(target) - {"kind", "name"} or not target:
            raise RenderError(f"{where}: only patches with a path and a kind/name target are rendered here")
        operations = load_all(directory / patch["path"])
        if len(operations) != 1 or not isinstance(operations[0], list):
            raise RenderError(f"{where}: {patch['path']} is not a JSON patch (a list of operations)")
        matched = [
            d
            for d in docs
            if d.get("kind") == target.get("kind", d.get("kind"))
            and d["metadata"]["name"] == target.get("name", d["metadata"]["name"])
        ]
        if not matched:
            raise RenderError(f"{where}: patch {patch['path']} matches no resource")
        for doc in matched:
            json_patch(doc, operations[0], f"{where} {patch['path']}")
    if "namespace" in kustomization:
        for doc in docs:
            if doc.get("kind") != "Namespace":
                doc["metadata"]["namespace"] = kustomization["namespace"]
    for entry in kustomization.get("labels", []):
        if entry.get("includeSelectors") or entry.get("includeTemplates"):
            raise RenderError(f"{where}: labels with includeSelectors/includeTemplates are not rendered here")
        for doc in docs:
            doc["metadata"].setdefault("labels", {}).update(entry.get("pairs", {}))
    for image in kustomization.get("images", []):
        for doc in docs:
            pod = doc.get("spec", {}).get("template", {}).get("spec", {})
            for container in pod.get("containers", []) + pod.get("initContainers", []):
                name = re.split(r"[@:]", container.get("image", ""), maxsplit=1)[0]
                if name != image["name"]:
                    continue
                new = image.get("newName", name)
                if "digest" in image:
                    new += "@" + image["digest"]
                elif "newTag" in image:
                    new += ":" + str(image["newTag"])
                else:
                    new = container["image"].replace(name, new, 1)
                container["image"] = new


def render_kustomization(kustomization: dict, directory: Path) -> list[dict]:
    docs: list[dict] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            docs.extend(render_kustomization(load_all(path / "kustomization.yaml")[0], path))
        else:
            docs.extend(load_all(path))
    for entry in kustomization.get("components", []):
        path = (directory / entry).resolve()
        component = load_all(path / "kustomization.yaml")[0]
        if component.get("kind") != "Component":
            raise RenderError(f"{path.relative_to(DEPLOY)}: kind is not Component")
        for resource in component.get("resources", []):
            docs.extend(load_all(path / resource))
        transform({k: v for k, v in component.items() if k != "resources"}, path, docs)
    transform({k: v for k, v in kustomization.items() if k not in ("resources", "components")}, directory, docs)
    return docs


def overlays() -> list[str]:
    return sorted(p.parent.name for p in OVERLAYS.glob("*/kustomization.yaml"))


def render_overlay(name: str) -> list[dict]:
    directory = OVERLAYS / name
    return render_kustomization(load_all(directory / "kustomization.yaml")[0], directory)


def overlay_components(name: str) -> list[str]:
    """Names of the kubernetes/components an overlay adds, in order."""
    directory = OVERLAYS / name
    kustomization = load_all(directory / "kustomization.yaml")[0]
    found = []
    for entry in kustomization.get("components", []):
        path = (directory / entry).resolve()
        if path.parent == (KUBE / "components").resolve():
            found.append(path.name)
    return found


def same_resources(mine: list[dict], theirs: list[dict]) -> list[str]:
    """Differences between two renderings, by kind and name."""

    def index(docs: list[dict]) -> dict:
        return {(d.get("kind"), d["metadata"]["name"]): d for d in docs}

    a, b = index(mine), index(theirs)
    problems = [f"{k[0]}/{k[1]} only in kustomize's rendering" for k in b.keys() - a.keys()]
    problems += [f"{k[0]}/{k[1]} missing from kustomize's rendering" for k in a.keys() - b.keys()]
    problems += [f"{k[0]}/{k[1]} differs" for k in a.keys() & b.keys() if a[k] != b[k]]
    return sorted(problems)


def check_overlays(provided: dict[str, Path], probe_path: str | None) -> None:
    """Every overlay renders and passes the checks of its TLS mode, and
    every component in kubernetes/components is used by one of them."""
    used = set()
    for name in overlays():
        label = f"overlays/{name}"
        components = overlay_components(name)
        used.update(components)
        unknown = set(components) - {"tls", "mtls"}
        if unknown:
            fail(label, f"validate.py has no checks for components {sorted(unknown)}")
            continue
        if components not in ([], ["tls"], ["tls", "mtls"]):
            fail(label, f"components {components}: mtls needs tls before it")
            continue
        mode = {0: None, 1: "tls", 2: "mtls"}[len(components)]
        try:
            docs = render_overlay(name)
        except RenderError as e:
            fail(label, str(e))
            continue
        check_kubernetes(docs, f"{label} (validate.py)", probe_path, mode)
        if name in provided:
            theirs = load_all(provided[name])
            check_kubernetes(theirs, f"{label} (kustomize)", probe_path, mode)
            for problem in same_resources(docs, theirs):
                fail(label, f"validate.py and kustomize render it differently: {problem}")
    for name in set(provided) - set(overlays()):
        fail(f"--overlay {name}", "no such overlay")
    for component in sorted(p.parent.name for p in (KUBE / "components").glob("*/kustomization.yaml")):
        if component not in used:
            fail(f"kubernetes/components/{component}", "no overlay in overlays/ uses it, so nothing validates it")


# ----------------------------------------------------------------- alerts


class Exported:
    """What the service exports: metric names, which are histograms, and
    each metric's label names (None where a recording site passes labels
    that are not literal, so they are not known here)."""

    def __init__(self, names: set[str], histograms: set[str], labels: dict[str, set[str] | None]) -> None:
        self.names = names
        self.histograms = histograms
        self.labels = labels

    def base(self, name: str) -> str:
        """A histogram's series name (_bucket, _count, _sum) -> the metric."""
        for suffix in ("_bucket", "_count", "_sum"):
            if name.endswith(suffix) and name[: -len(suffix)] in self.histograms:
                return name[: -len(suffix)]
        return name


def macro_arguments(text: str, start: int) -> list[str]:
    """The top-level, comma-separated arguments of the macro call whose
    opening parenthesis is at text[start]."""
    depth, current, arguments = 0, [], []
    for index in range(start, len(text)):
        char = text[index]
        if char in "([{":
            depth += 1
            if depth == 1:
                continue
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                arguments.append("".join(current).strip())
                return [a for a in arguments if a]
        elif char == "," and depth == 1:
            arguments.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    return []


def exported_metrics() -> Exported | None:
    """Names the service describes in services/exporter.rs (and the process
    metrics, where it installs metrics_process's collector), which of them
    are histograms, and the label names of every counter!/gauge!/histogram!
    under services/."""
    source = REPO / "services" / "exporter.rs"
    if not source.is_file():
        fail("services/exporter.rs", "not found: cannot check metric names")
        return None
    text = source.read_text(encoding="utf-8")
    described = r'describe_{}!\(\s*"([a-zA-Z_:][a-zA-Z0-9_:]*)"'
    names = set(re.findall(described.format("(?:counter|gauge|histogram)"), text))
    histograms = set(re.findall(described.format("histogram"), text))
    if not names:
        fail("services/exporter.rs", "no describe_*!(\"…\") found: cannot check metric names")
        return None
    labels: dict[str, set[str] | None] = {}
    collector = re.search(r'metrics_process::Collector::(?:default\(\)|new\(\s*"([^"]*)"\s*\))', text)
    if collector:
        for name in PROCESS_METRICS:
            names.add((collector.group(1) or "") + name)
            labels[(collector.group(1) or "") + name] = set()
    for path in sorted((REPO / "services").rglob("*.rs")):
        code = path.read_text(encoding="utf-8")
        for match in re.finditer(r"\b(?:counter|gauge|histogram)!\(", code):
            arguments = macro_arguments(code, match.end() - 1)
            name = re.fullmatch(r'"([a-zA-Z_:][a-zA-Z0-9_:]*)"', arguments[0]) if arguments else None
            if not name:
                continue
            keys = [re.match(r'"([a-zA-Z_][a-zA-Z0-9_]*)"\s*=>', a) for a in arguments[1:]]
            known = labels.setdefault(name.group(1), set())
            if known is None or not all(keys):
                labels[name.group(1)] = None
            else:
                known.update(k.group(1) for k in keys if k)
    return Exported(names, histograms, labels)


def metric_names_in(text: str) -> set[str]:
    prefixes = "|".join(METRIC_PREFIXES)
    return set(re.findall(rf"\b(?:{prefixes})[a-z0-9_]*[a-z0-9]", text))


def check_metric_names(where: str, text: str, exported: Exported, retired_ok: bool = False) -> set[str]:
    used = set()
    for name in metric_names_in(text):
        base = exported.base(name)
        retired = re.sub(r"_(bucket|count|sum)$", "", name) if name not in RETIRED_METRICS else name
        if retired in RETIRED_METRICS:
            if not retired_ok:
                fail(where, f"{name} is gone: the service exports {RETIRED_METRICS[retired]} instead")
            elif RETIRED_METRICS[retired] not in exported.names:
                fail(where, f"{name} is said to be replaced by {RETIRED_METRICS[retired]}, which is not exported")
            continue
        if base not in exported.names:
            fail(where, f"{name} is not a metric of services/exporter.rs (nor a process metric)")
        used.add(base)
    return used


def check_rule_labels(where: str, alert: str, expr: str, exported: Exported) -> None:
    """Label names in a rule's selectors must be the metric's own (or a
    scrape's), and those of its by/on/without/ignoring/group_* clauses one
    of the metrics' in the expression. Rules on metrics whose labels are
    not known here (kube-state-metrics', pool gauges) are skipped."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    allowed_anywhere = set(TARGET_LABELS)
    unknown = bool(re.search(r"\bkube_", bare))
    for match in re.finditer(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}", bare):
        name, matchers = match.group(1), match.group(2)
        base = exported.base(name)
        own = exported.labels.get(base)
        if base not in exported.names or own is None:
            unknown = True
            continue
        allowed = own | TARGET_LABELS | ({"le"} if name.endswith("_bucket") else set()) | {"__name__"}
        for label in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", matchers):
            if label not in allowed:
                fail(where, f"{alert}: {name} has no label {label!r} (its labels: {sorted(own)})")
    for name in metric_names_in(bare):
        base = exported.base(name)
        own = exported.labels.get(base)
        if own is None:
            unknown = True
        else:
            allowed_anywhere |= own | ({"le"} if name.endswith("_bucket") else set())
    if unknown:
        return
    clauses = r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)"
    for group in re.findall(clauses, bare):
        for label in re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", group):
            if label not in allowed_anywhere:
                fail(where, f"{alert}: no metric of the expression has the label {label!r} it groups or matches on")


def check_alerts(exported: Exported | None) -> None:
    where = "prometheus/alerts.yaml"
    path = DEPLOY / "prometheus" / "alerts.yaml"
    rules_file = load_all(path)[0]
    alerts = []
    for group in rules_file.get("groups", []):
        for rule in group.get("rules", []):
            name = rule.get("alert")
            if not name or not isinstance(rule.get("expr"), str):
                fail(where, f"rule {rule!r:.60} has no alert name or expr")
                continue
            alerts.append(name)
            if rule.get("labels", {}).get("severity") not in ("page", "warning"):
                fail(where, f"{name}: severity is not page or warning")
            if not rule.get("annotations", {}).get("summary"):
                fail(where, f"{name}: no summary annotation")
            if "for" in rule:
                try:
                    seconds(rule["for"])
                except ValueError as e:
                    fail(where, f"{name}: {e}")
            expr = rule["expr"]
            for opening, closing in ("()", "[]", "{}"):
                if expr.count(opening) != expr.count(closing):
                    fail(where, f"{name}: unbalanced {opening}{closing}")
            if exported:
                check_rule_labels(where, name, expr, exported)
    if not alerts:
        fail(where, "no alerting rules")
    if len(alerts) != len(set(alerts)):
        fail(where, "alert names are not unique")
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for name in alerts:
        if name not in readme:
            fail("README.md", f"does not mention the alert {name} of prometheus/alerts.yaml")
    # The guide shows the rules' expressions in ```promql blocks (one
    # expression per block, or one per line where a block lists several
    # one-liners): they must be the same, whitespace aside.
    def norm(text: str) -> str:
        return re.sub(r"\s+", " ", text).strip()

    shown = set()
    for block in re.findall(r"^```promql\n(.*?)^```", readme, re.S | re.M):
        shown.add(norm(block))
        shown.update(norm(line) for line in block.splitlines() if line.strip())
    exprs = {rule.get("alert"): norm(rule.get("expr", "")) for g in rules_file.get("groups", []) for rule in g.get("rules", [])}
    for name, expr in exprs.items():
        if expr not in shown:
            fail("README.md", f"shows no promql block with the expression of {name} as in prometheus/alerts.yaml")
    blocks = re.findall(r"^```promql\n(.*?)^```", readme, re.S | re.M)
    for block in blocks:
        if norm(block) not in exprs.values() and not all(
            norm(line) in exprs.values() for line in block.splitlines() if line.strip()
        ):
            fail("README.md", f"promql block {norm(block)[:60]!r}… is no rule of prometheus/alerts.yaml")
    if exported:
        used = check_metric_names(where, path.read_text(encoding="utf-8"), exported)
        check_metric_names("README.md", readme, exported, retired_ok=True)
        wanted = {
            "gba_grants_calls_total",
            "rpc_server_call_duration_seconds",
            "gba_grants_tailer_lag_events",
            "gba_grants_watchers_too_slow_total",
            "gba_grants_db_connections",
            "gba_grants_db_connections_idle",
            "gba_grants_db_connections_max",
            "gba_grants_build_info",
        }
        for name in sorted(wanted - used):
            fail(where, f"no rule uses {name}")
        # The guide's metrics table: every exported metric, by its full name.
        for name in sorted(exported.names):
            if not re.search(rf"`{re.escape(name)}[`{{]", readme):
                fail("README.md", f"does not document the metric {name} (as `{name}` or `{name}{{…}}`)")


def check_secret_example(secret_ref: dict) -> str | None:
    """Returns the example's database URL."""
    where = "kubernetes/secret-example.yaml"
    secret = load_all(KUBE / "secret-example.yaml")[0]
    if secret.get("kind") != "Secret":
        fail(where, "not a Secret")
        return None
    if secret["metadata"]["name"] != secret_ref.get("name"):
        fail(where, f"name differs from the Deployment's secretKeyRef {secret_ref.get('name')!r}")
    data = {**secret.get("stringData", {}), **secret.get("data", {})}
    if secret_ref.get("key") not in data:
        fail(where, f"has no key {secret_ref.get('key')!r}")
    url = secret.get("stringData", {}).get(secret_ref.get("key"), "")
    if not url.startswith(("postgres://", "postgresql://")):
        fail(where, "the example URL is not a PostgreSQL URL")
    if "CHANGE-ME" not in url:
        fail(where, "the example must carry a CHANGE-ME placeholder, not a password")
    return url


def url_query(url: str) -> dict[str, str]:
    """The query parameters of a database URL (the last of each name)."""
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def check_database_ca(url: str, container: dict, pod: dict, where: str) -> None:
    """The example URL verifies PostgreSQL's certificate (verify-full)
    against a CA file the pod mounts read-only, readable by uid 10001,
    from the ConfigMap or Secret DB_CA."""
    query = url_query(url)
    example = "kubernetes/secret-example.yaml"
    if query.get("sslmode") != "verify-full":
        fail(example, f"the example URL has sslmode={query.get('sslmode', '')!r}, not verify-full")
    root = query.get("sslrootcert", "")
    if not root.startswith("/"):
        fail(example, f"the example URL's sslrootcert {root!r} is not an absolute path")
        return
    directory, _, filename = root.rpartition("/")
    mounts = {m["mountPath"].rstrip("/"): m for m in container.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mount = mounts.get(directory)
    if not mount:
        fail(where, f"sslrootcert {root} of the example URL is not in a mounted volume")
        return
    if mount.get("readOnly") is not True:
        fail(where, f"the volume mounted at {directory} (the database CA) is not readOnly")
    if mount.get("subPath"):
        fail(where, f"the database CA at {directory} is mounted with subPath: updates would never reach it")
    volume = volumes.get(mount["name"], {})
    source = volume.get("configMap") or volume.get("secret")
    if not source:
        fail(where, f"volume {mount['name']} (the database CA) is neither a ConfigMap nor a Secret")
        return
    name = source.get("name") or source.get("secretName")
    if name != DB_CA:
        fail(where, f"the database CA comes from {name!r}, not {DB_CA} (the name the guide uses)")
    keys = {i["path"]: i["key"] for i in source.get("items", [])} or {DB_CA_KEY: DB_CA_KEY}
    if keys.get(filename) != DB_CA_KEY:
        fail(where, f"sslrootcert {root} is not key {DB_CA_KEY} of {DB_CA}")
    mode = source.get("defaultMode", 0o644)
    group = pod.get("securityContext", {}).get("fsGroup")
    if not (mode & 0o004 or (mode & 0o040 and group == RUNTIME_GID)):
        fail(where, f"the database CA: mode {mode:#o} without fsGroup {RUNTIME_GID} is unreadable for uid 10001")


# ------------------------------------------------------------------ compose


def check_compose(dockerfile_probe: str | None) -> None:
    where = "compose.yaml"
    compose = load_all(DEPLOY / "compose.yaml")[0]
    services = compose.get("services", {})
    postgres = services.get("postgres")
    if not postgres:
        fail(where, "no postgres service")
        return
    if not re.match(r"^(docker\.io/)?(library/)?postgres:16([.-]|$)", str(postgres.get("image", ""))):
        fail(where, "postgres is not a PostgreSQL 16 image")
    if "pg_isready" not in str(postgres.get("healthcheck", {}).get("test", "")):
        fail(where, "postgres healthcheck does not use pg_isready")
    secrets = compose.get("secrets", {}) or {}
    check_compose_postgres_tls(postgres, secrets)

    replicas = {name: s for name, s in services.items() if name != "postgres"}
    if len(replicas) != 2:
        fail(where, f"expected 2 gba-grants replicas, found {len(replicas)}")
    host_ports: set[str] = set()
    metrics_host_ports: set[str] = set()
    for name, service in replicas.items():
        w = f"{where} {name}"
        env = service.get("environment", {})
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        url = str(env.get("GBA_GRANTS_DATABASE_URL", ""))
        if not re.match(r"^postgres(ql)?://[^@]+@postgres:5432/", url):
            fail(w, "GBA_GRANTS_DATABASE_URL does not point at the postgres service")
        check_compose_database_ca(w, url, service, secrets)
        if not str(env.get("GBA_GRANTS_LISTEN", "")).endswith(f":{PORT}"):
            fail(w, f"GBA_GRANTS_LISTEN is not on port {PORT}")
        metrics_listen = str(env.get("GBA_GRANTS_METRICS_LISTEN", ""))
        if not metrics_listen.endswith(f":{METRICS_PORT}") or metrics_listen.startswith("127."):
            fail(w, f"GBA_GRANTS_METRICS_LISTEN is not 0.0.0.0:{METRICS_PORT} (is {metrics_listen!r})")
        if env.get("GBA_GRANTS_LOG_FORMAT") != "json":
            fail(w, "logs are not json")
        if service.get("depends_on", {}).get("postgres", {}).get("condition") != "service_healthy":
            fail(w, "does not wait for postgres to be healthy")
        test = service.get("healthcheck", {}).get("test", [])
        test_text = " ".join(test) if isinstance(test, list) else str(test)
        if "grpc_health_probe" not in test_text:
            fail(w, "healthcheck does not check grpc.health.v1")
        elif dockerfile_probe and dockerfile_probe not in test_text:
            fail(w, f"healthcheck does not run {dockerfile_probe}, where the Dockerfile installs the probe")
        grace = float(env.get("GBA_GRANTS_SHUTDOWN_GRACE_SECONDS", 30))
        stop = seconds(service.get("stop_grace_period", "10s"))
        if not stop > grace:
            fail(w, f"stop_grace_period {stop:g} s must exceed the shutdown grace {grace:g} s")
        published = {}
        for port in service.get("ports", []):
            text = str(port)
            parts = text.split(":")
            if parts[-1] not in (str(PORT), str(METRICS_PORT)):
                fail(w, f"port {text} publishes neither container port {PORT} nor {METRICS_PORT}")
                continue
            if "127.0.0.1" not in ":".join(parts[:-2]):
                fail(w, f"port {text} is not published on 127.0.0.1 by default")
            published.setdefault(int(parts[-1]), []).append(parts[-2] if len(parts) >= 2 else "")
        for container_port, found in ((PORT, host_ports), (METRICS_PORT, metrics_host_ports)):
            if len(published.get(container_port, [])) != 1:
                fail(w, f"publishes container port {container_port} {len(published.get(container_port, []))} times")
            found.update(published.get(container_port, []))
    if host_ports != {"50051", "50052"}:
        fail(where, f"replicas should publish host ports 50051 and 50052 (found {sorted(host_ports)})")
    if metrics_host_ports != {"9464", "9465"}:
        fail(where, f"replicas should publish metrics on host ports 9464 and 9465 (found {sorted(metrics_host_ports)})")


def service_secrets(service: dict) -> dict[str, str]:
    """A compose service's secrets: path in the container -> secret name."""
    found = {}
    for entry in service.get("secrets", []) or []:
        if isinstance(entry, str):
            found[f"/run/secrets/{entry}"] = entry
        else:
            target = str(entry.get("target", entry.get("source", "")))
            found[target if target.startswith("/") else f"/run/secrets/{target}"] = entry.get("source", "")
    return found


def check_secret_file(where: str, name: str, secrets: dict) -> str | None:
    """A top-level secret made from a file in a git-ignored directory of
    deploy/; returns the file's path relative to deploy/."""
    declared = secrets.get(name)
    if not isinstance(declared, dict) or "file" not in declared:
        fail(where, f"secret {name} is not a top-level secret with a file")
        return None
    relative = os.path.normpath(str(declared["file"]))
    top = relative.split(os.sep)[0]
    ignored = {line.strip() for line in (DEPLOY / ".gitignore").read_text(encoding="utf-8").splitlines()}
    if relative.startswith("..") or not ({f"/{top}/", f"{top}/", f"/{top}"} & ignored):
        fail(where, f"secret {name} ({declared['file']}) is not in a directory that deploy/.gitignore ignores")
    return relative


def check_compose_postgres_tls(postgres: dict, secrets: dict) -> None:
    """The bundled PostgreSQL serves TLS with a certificate and key given
    as secrets (git-ignored files)."""
    where = "compose.yaml postgres"
    command = postgres.get("command", [])
    words = command if isinstance(command, list) else str(command).split()
    settings = dict(str(w).split("=", 1) for w in words if "=" in str(w))
    if settings.get("ssl") != "on":
        fail(where, "PostgreSQL is not started with -c ssl=on")
    for setting in ("ssl_cert_file", "ssl_key_file"):
        if not settings.get(setting):
            fail(where, f"PostgreSQL is not started with -c {setting}=…")
    for name in service_secrets(postgres).values():
        check_secret_file(where, name, secrets)


def check_compose_database_ca(where: str, url: str, service: dict, secrets: dict) -> None:
    """A replica verifies PostgreSQL's certificate against a CA file it
    is given (a secret, or a read-only mount), and gets no private key."""
    query = url_query(url)
    if query.get("sslmode") != "verify-full":
        fail(where, f"GBA_GRANTS_DATABASE_URL has sslmode={query.get('sslmode', '')!r}, not verify-full")
    root = query.get("sslrootcert", "")
    given = service_secrets(service)
    mounts = {}
    for volume in service.get("volumes", []) or []:
        parts = str(volume).split(":")
        if len(parts) >= 2:
            mounts[parts[1].rstrip("/")] = parts[2:] == ["ro"]
    if root in given:
        check_secret_file(where, given[root], secrets)
    elif root in mounts or root.rpartition("/")[0] in mounts:
        if not mounts.get(root, mounts.get(root.rpartition("/")[0])):
            fail(where, f"sslrootcert {root} is mounted without :ro")
    else:
        fail(where, f"sslrootcert {root!r} is neither a secret nor in a mounted volume of the replica")
    for path, name in given.items():
        declared = secrets.get(name, {})
        if isinstance(declared, dict) and str(declared.get("file", "")).endswith(".key"):
            fail(where, f"the replica gets the private key {declared['file']} (secret {name}) at {path}")


def check_compose_tls(dockerfile_probe: str | None) -> None:
    """compose.tls.yaml: an override for both replicas that mounts the PEM
    files read-only where its environment points, and probes with -tls."""
    where = "compose.tls.yaml"
    path = DEPLOY / "compose.tls.yaml"
    if not path.exists():
        return
    base = load_all(DEPLOY / "compose.yaml")[0].get("services", {})
    replicas = {name for name in base if name != "postgres"}
    services = load_all(path)[0].get("services", {})
    if set(services) != replicas:
        fail(where, f"overrides {sorted(services)}, not the replicas {sorted(replicas)}")
    for name, service in services.items():
        w = f"{where} {name}"
        mounts = {}
        for volume in service.get("volumes", []):
            parts = str(volume).split(":")
            if len(parts) >= 2:
                mounts[parts[1].rstrip("/")] = parts[2:] == ["ro"]
        env = service.get("environment", {})
        for variable in ("GBA_GRANTS_TLS_CERT", "GBA_GRANTS_TLS_KEY"):
            value = str(env.get(variable, ""))
            directory = value.rpartition("/")[0]
            if not value:
                fail(w, f"{variable} is not set")
            elif directory not in mounts:
                fail(w, f"{variable} {value} is not in a mounted volume")
            elif not mounts[directory]:
                fail(w, f"the volume on {directory} is not mounted read-only (:ro)")
        test = service.get("healthcheck", {}).get("test", [])
        if "-tls" not in test:
            fail(w, "healthcheck does not pass -tls (a plaintext check fails against TLS)")
        elif dockerfile_probe and dockerfile_probe not in test:
            fail(w, f"healthcheck does not run {dockerfile_probe}")


# --------------------------------------------------------------- dockerfile


def check_dockerfile() -> str | None:
    """Returns the path where the image installs grpc_health_probe."""
    where = "Dockerfile"
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    manifest = tomllib.loads((REPO / "Cargo.toml").read_text(encoding="utf-8"))
    paths = []
    if "lib" in manifest:
        paths.append(manifest["lib"].get("path", "src/lib.rs"))
    for section in ("bin", "bench", "test", "example"):
        paths.extend(t["path"] for t in manifest.get(section, []) if "path" in t)
    if manifest.get("package", {}).get("build", "build.rs") and (REPO / "build.rs").exists():
        paths.append("build.rs")
    for path in paths:
        if not (REPO / path).exists():
            fail("Cargo.toml", f"target path {path} does not exist")
        if f"> {path}" not in text and f": > {path}" not in text:
            fail(where, f"the dependency stage does not stub {path} (named in Cargo.toml)")
    stages = re.split(r"^(?=FROM )", text, flags=re.M)[1:]
    copies = []
    for line in re.findall(r"^COPY (.+)$", text, re.M):
        tokens = line.split()
        if any(t.startswith("--from") for t in tokens):
            continue
        copies.extend(t for t in [t for t in tokens if not t.startswith("--")][:-1])
    for copied in copies:
        if not (REPO / copied).exists():
            fail(where, f"copies {copied}, which the repository does not have")
    check_embedded_files(copies)
    deps = next((s for s in stages if "cargo build" in s), "")
    build = next((s for s in stages if re.search(r"^FROM \S+ AS build$", s, re.M)), "")
    if "GBA_GRANTS_GIT_COMMIT" in deps:
        fail(where, "the dependency stage uses GBA_GRANTS_GIT_COMMIT: every commit would rebuild the dependencies")
    declared = re.search(r"^ARG GBA_GRANTS_GIT_COMMIT\b", build, re.M)
    built = re.search(r"^RUN cargo build", build, re.M)
    if not declared or not built or declared.start() > built.start():
        fail(where, "the build stage does not declare ARG GBA_GRANTS_GIT_COMMIT before it runs cargo build")
    exposed = {p for line in re.findall(r"^EXPOSE (.+)$", text, re.M) for p in line.split()}
    for port in (PORT, METRICS_PORT):
        if str(port) not in exposed and f"{port}/tcp" not in exposed:
            fail(where, f"does not EXPOSE {port}")
    if not re.search(rf"GBA_GRANTS_METRICS_LISTEN=0\.0\.0\.0:{METRICS_PORT}\b", text):
        fail(where, f"the image does not set GBA_GRANTS_METRICS_LISTEN=0.0.0.0:{METRICS_PORT}")
    if not re.search(r"^USER 10001(:10001)?$", text, re.M):
        fail(where, "the final stage does not run as uid 10001")
    final_from = [line for line in text.splitlines() if line.startswith("FROM ")][-1]
    if "RUNTIME_IMAGE" not in final_from and "debian:bookworm-slim" not in final_from:
        fail(where, "the final stage is not debian:bookworm-slim")
    if "ARG RUNTIME_IMAGE=debian:bookworm-slim" not in text:
        fail(where, "RUNTIME_IMAGE is not debian:bookworm-slim")
    match = re.search(r"^COPY --from=probe \S+ (\S+)$", text, re.M)
    if not match:
        fail(where, "grpc_health_probe is not copied into the image")
        return None
    if not re.search(r"sha256sum -c", text):
        fail(where, "grpc_health_probe is not checksum-verified")
    for copied in copies:
        if not in_context(copied):
            fail("Dockerfile.dockerignore", f"{copied} is excluded from the build context")
    return match.group(1)


def in_context(path: str) -> bool:
    """Whether deploy/Dockerfile.dockerignore lets `path` into the context
    (the "*" plus "!exception" style this file uses)."""
    ignore = DEPLOY / "Dockerfile.dockerignore"
    if not ignore.exists():
        return True
    rules = [r.strip() for r in ignore.read_text(encoding="utf-8").splitlines() if r.strip() and not r.startswith("#")]
    if "*" not in rules:
        return True
    path = path.rstrip("/")
    return any(r.startswith("!") and (path + "/").startswith(r[1:].rstrip("/") + "/") for r in rules)


def check_embedded_files(copies: list[str]) -> None:
    """Files the crate embeds at compile time (include_bytes!/include_str!
    with a literal path) must be copied into the build and be in the
    context: the dashboard's web/dist is."""
    sources = [REPO / "build.rs", *sorted((REPO / "services").rglob("*.rs"))]
    pattern = re.compile(r'include_(?:bytes|str)!\(\s*"([^"]+)"\s*\)')
    for source in sources:
        if not source.is_file():
            continue
        for relative in pattern.findall(source.read_text(encoding="utf-8")):
            target = Path(os.path.normpath(source.parent / relative))
            try:
                path = target.relative_to(REPO).as_posix()
            except ValueError:
                fail(str(source.relative_to(REPO)), f"embeds {relative}, outside the repository")
                continue
            if not any((path + "/").startswith(c.rstrip("/") + "/") for c in copies):
                fail("Dockerfile", f"{source.relative_to(REPO)} embeds {path}, which no COPY brings into the build")
            elif not in_context(path):
                fail("Dockerfile.dockerignore", f"{path} (embedded by {source.relative_to(REPO)}) is not in the context")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rendered", type=Path, help="output of `kustomize build` to check as well")
    parser.add_argument(
        "--overlay",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="kustomize's rendering of overlays/NAME, to check and compare with validate.py's",
    )
    parser.add_argument("--render", choices=overlays(), help="print overlays/NAME as validate.py renders it")
    args = parser.parse_args()

    if args.render:
        try:
            docs = render_overlay(args.render)
        except RenderError as e:
            print(f"FAIL {e}", file=sys.stderr)
            return 1
        yaml.safe_dump_all(docs, sys.stdout, sort_keys=False)
        return 0
    provided = {}
    for entry in args.overlay:
        name, _, file = entry.partition("=")
        if not name or not file:
            parser.error(f"--overlay {entry!r}: expected NAME=FILE")
        provided[name] = Path(file)

    probe = check_dockerfile()
    check_compose(probe)
    check_compose_tls(probe)
    docs = check_kustomization()
    if not errors:
        check_kubernetes(docs, "kubernetes/ (files)", probe)
    if not errors:
        check_servicemonitor(docs)
    if args.rendered and not errors:
        check_kubernetes(load_all(args.rendered), "kubernetes/ (rendered)", probe)
    if not errors:
        check_overlays(provided, probe)
    check_alerts(exported_metrics())
    for error in errors:
        print(f"FAIL {error}")
    if errors:
        return 1
    print(
        "ok: kustomization, manifests, TLS overlays, ServiceMonitor example, compose files, Dockerfile"
        " and alerting rules agree"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
