"""Consistency checks across deploy/ that no schema can see.

Run by deploy/validate.sh inside its virtual environment (PyYAML, and
tomllib or tomli). Usage: python3 validate.py [--rendered FILE]

Checks that the kustomize base lists existing files (and not the example
Secret), that the Deployment, Service, PDB, HPA, ServiceAccount and Secret
agree on names, labels and ports, that shutdown timings fit together, that
compose.yaml wires two replicas to a healthy PostgreSQL, and that the
Dockerfile's dependency stubs cover every target path in Cargo.toml.
Exits 1 with one line per problem.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

DEPLOY = Path(__file__).resolve().parent
REPO = DEPLOY.parent
KUBE = DEPLOY / "kubernetes"
PORT = 50051
# Files in kubernetes/ that are deliberately not in the base's resources.
OPTIONAL_MANIFESTS = {"secret-example.yaml", "namespace.yaml"}

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
    docs: list[dict] = []
    for entry in resources:
        path = KUBE / entry
        if not path.is_file():
            fail(where, f"resource {entry} does not exist")
            continue
        if entry in {"secret-example.yaml"}:
            fail(where, "secret-example.yaml must not be a resource of the base")
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


def check_kubernetes(docs: list[dict], label: str) -> None:
    kinds = by_kind(docs)
    for kind in ("Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "ServiceAccount"):
        if len(kinds.get(kind, [])) != 1:
            fail(label, f"expected one {kind}, found {len(kinds.get(kind, []))}")
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
    env = env_map(container)
    listen = env.get("GBA_GRANTS_LISTEN", {}).get("value", "")
    if not listen.endswith(f":{PORT}") or listen.startswith("127."):
        fail(where, f"GBA_GRANTS_LISTEN must listen on all interfaces, port {PORT} (is {listen!r})")
    database = env.get("GBA_GRANTS_DATABASE_URL", {})
    secret_ref = database.get("valueFrom", {}).get("secretKeyRef")
    if not secret_ref:
        fail(where, "GBA_GRANTS_DATABASE_URL is not read from a Secret")
    else:
        check_secret_example(secret_ref)
    for probe in ("startupProbe", "readinessProbe"):
        grpc = container.get(probe, {}).get("grpc")
        if not grpc or grpc.get("port") != PORT:
            fail(where, f"{probe} is not a native gRPC probe on {PORT}")
    if "livenessProbe" not in container:
        fail(where, "no livenessProbe")

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

    service = kinds["Service"][0]
    where = f"{label} Service"
    if not selects(service["spec"]["selector"], pod_labels):
        fail(where, "selector does not match the pod labels")
    service_ports = service["spec"]["ports"]
    if not any(
        p.get("port") == PORT and p.get("targetPort") in ("grpc", PORT) and p.get("appProtocol") == "kubernetes.io/h2c"
        for p in service_ports
    ):
        fail(where, f"no port {PORT} -> grpc with appProtocol kubernetes.io/h2c")

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


def check_secret_example(secret_ref: dict) -> None:
    where = "kubernetes/secret-example.yaml"
    secret = load_all(KUBE / "secret-example.yaml")[0]
    if secret.get("kind") != "Secret":
        fail(where, "not a Secret")
        return
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

    replicas = {name: s for name, s in services.items() if name != "postgres"}
    if len(replicas) != 2:
        fail(where, f"expected 2 gba-grants replicas, found {len(replicas)}")
    host_ports = set()
    for name, service in replicas.items():
        w = f"{where} {name}"
        env = service.get("environment", {})
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        url = str(env.get("GBA_GRANTS_DATABASE_URL", ""))
        if not re.match(r"^postgres(ql)?://[^@]+@postgres:5432/", url):
            fail(w, "GBA_GRANTS_DATABASE_URL does not point at the postgres service")
        if not str(env.get("GBA_GRANTS_LISTEN", "")).endswith(f":{PORT}"):
            fail(w, f"GBA_GRANTS_LISTEN is not on port {PORT}")
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
        for port in service.get("ports", []):
            text = str(port)
            parts = text.split(":")
            if parts[-1] != str(PORT):
                fail(w, f"port {text} does not publish container port {PORT}")
            host_ports.add(parts[-2] if len(parts) >= 2 else "")
    if host_ports != {"50051", "50052"}:
        fail(where, f"replicas should publish host ports 50051 and 50052 (found {sorted(host_ports)})")


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
    for copied in ("Cargo.toml", "Cargo.lock", "build.rs", "proto", "services"):
        if not (REPO / copied).exists():
            fail(where, f"copies {copied}, which the repository does not have")
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
    ignore = DEPLOY / "Dockerfile.dockerignore"
    if ignore.exists():
        rules = [r.strip() for r in ignore.read_text(encoding="utf-8").splitlines()]
        for copied in ("Cargo.toml", "Cargo.lock", "build.rs", "proto/", "services/"):
            if "*" in rules and f"!{copied}" not in rules:
                fail("Dockerfile.dockerignore", f"{copied} is excluded from the build context")
    return match.group(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rendered", type=Path, help="output of `kustomize build` to check as well")
    args = parser.parse_args()

    probe = check_dockerfile()
    check_compose(probe)
    docs = check_kustomization()
    if not errors:
        check_kubernetes(docs, "kubernetes/ (files)")
    if args.rendered and not errors:
        check_kubernetes(load_all(args.rendered), "kubernetes/ (rendered)")
    for error in errors:
        print(f"FAIL {error}")
    if errors:
        return 1
    print("ok: kustomization, manifests, compose.yaml and Dockerfile agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
