#!/usr/bin/env bash
# Validates deploy/ without a container engine or a cluster:
#   1. yamllint (deploy/.yamllint.yaml) over every YAML file in deploy/
#   2. hadolint (deploy/.hadolint.yaml) over deploy/Dockerfile
#   3. every Kubernetes manifest against the API schemas of each version in
#      KUBERNETES_VERSIONS (kubernetes-validate --strict: unknown fields fail),
#      except servicemonitor-example.yaml: a Prometheus Operator custom
#      resource, for which kubernetes-validate has no schema (it would only
#      warn and skip it); validate.py checks it against the metrics Service
#   4. the kustomize base rendered, when kustomize or kubectl is installed
#      (optional: the base uses no generators or patches, so its files are
#      what is applied; step 3 validates them one by one)
#   5. every overlay in overlays/ (tls: base + components/tls; mtls: base +
#      components/tls + components/mtls), rendered by kustomize or kubectl
#      where installed, else by validate.py's own subset of kustomize, and
#      validated like step 3
#   6. compose.yaml and compose.tls.yaml against the Compose Specification
#      schema (check-jsonschema), and `docker compose config` where a
#      Compose plugin is installed (optional; it needs no engine)
#   7. validate.py: names, labels, ports (API and metrics), probes, TLS
#      mounts, TLS to PostgreSQL (the database URLs' sslmode/sslrootcert
#      against the CA mount and compose's secrets, PostgreSQL's ssl
#      settings), shutdown timings, the Dockerfile's stubs and copies, and
#      the metric names (and the rules' label names) of
#      prometheus/alerts.yaml and README.md agree with each other,
#      Cargo.toml, services/ and the metrics-process collector
#
# Needs python3 with venv and network access to PyPI. The tools go into
# deploy/.venv (git-ignored; GBA_DEPLOY_VENV overrides), pinned in
# deploy/requirements-validate.txt. Exits non-zero on any failure.
#
#   bash deploy/validate.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

KUBERNETES_VERSIONS="${KUBERNETES_VERSIONS:-1.30.0 1.37.0}"
venv="${GBA_DEPLOY_VENV:-$here/.venv}"
started=$SECONDS

step() { printf '\n== %s\n' "$*"; }

step "tools (${venv})"
if ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
  rm -rf "$venv"
  if ! python3 -m venv "$venv" 2>/dev/null; then
    # Debian splits venv out of python3.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "validate: installing python3-venv"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      rm -rf "$venv"
      python3 -m venv "$venv"
    else
      echo "validate: python3 -m venv failed; install python3-venv" >&2
      exit 1
    fi
  fi
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r requirements-validate.txt
bin="$venv/bin"
echo "python $("$bin/python" -c 'import platform; print(platform.python_version())')," \
  "$("$bin/yamllint" --version)," \
  "kubernetes-validate $("$bin/kubernetes-validate" --version 2>&1 | awk '{print $NF}')," \
  "check-jsonschema $("$bin/check-jsonschema" --version | awk '{print $NF}')," \
  "hadolint $("$bin/hadolint" --version | awk '{print $NF}')"

yaml_files=()
while IFS= read -r -d '' f; do yaml_files+=("$f"); done < <(
  find . -path ./.venv -prune -o -type f \( -name '*.yaml' -o -name '*.yml' \) -print0 | sort -z
)

step "yamllint: ${#yaml_files[@]} files"
"$bin/yamllint" --strict -c .yamllint.yaml "${yaml_files[@]}"
echo "ok"

step "hadolint: Dockerfile"
"$bin/hadolint" --config .hadolint.yaml Dockerfile
echo "ok"

manifests=()
for f in kubernetes/*.yaml; do
  case "$(basename "$f")" in
    kustomization.yaml) ;;
    # A custom resource: no schema here (see the header); validate.py checks it.
    servicemonitor-example.yaml) ;;
    *) manifests+=("$f") ;;
  esac
done
for version in $KUBERNETES_VERSIONS; do
  step "kubernetes-validate --strict, Kubernetes ${version}: ${#manifests[@]} files"
  "$bin/kubernetes-validate" --strict --quiet -k "$version" "${manifests[@]}"
  echo "ok"
done

step "kustomize build kubernetes/ (optional)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rendered="$work/base.yaml"
rendered_arg=()
render=()
if command -v kustomize >/dev/null; then
  render=(kustomize build)
elif command -v kubectl >/dev/null; then
  render=(kubectl kustomize)
fi
if [ "${#render[@]}" -gt 0 ]; then
  "${render[@]}" kubernetes >"$rendered"
  for version in $KUBERNETES_VERSIONS; do
    "$bin/kubernetes-validate" --strict --quiet -k "$version" "$rendered"
  done
  rendered_arg=(--rendered "$rendered")
  echo "ok: $(grep -c '^kind:' "$rendered") resources rendered and validated"
else
  echo "skipped: neither kustomize nor kubectl is installed"
fi

overlay_args=()
for dir in overlays/*/; do
  name="$(basename "$dir")"
  out="$work/overlay-$name.yaml"
  if [ "${#render[@]}" -gt 0 ]; then
    "${render[@]}" "$dir" >"$out"
    overlay_args+=(--overlay "$name=$out")
    how="${render[*]}"
  else
    "$bin/python" validate.py --render "$name" >"$out"
    how="validate.py (no kustomize or kubectl)"
  fi
  step "overlays/${name}: rendered by ${how}"
  for version in $KUBERNETES_VERSIONS; do
    "$bin/kubernetes-validate" --strict --quiet -k "$version" "$out"
  done
  echo "ok: $(grep -c '^kind:' "$out") resources validated against Kubernetes ${KUBERNETES_VERSIONS// /, }"
done

step "compose.yaml, compose.tls.yaml: Compose Specification schema"
"$bin/check-jsonschema" --builtin-schema vendor.compose-spec compose.yaml compose.tls.yaml

step "docker compose config (optional)"
if docker compose version >/dev/null 2>&1; then
  docker compose -f compose.yaml config --quiet
  docker compose -f compose.yaml -f compose.tls.yaml config --quiet
  echo "ok"
else
  echo "skipped: no docker compose plugin"
fi

step "cross-file consistency (validate.py)"
"$bin/python" validate.py "${rendered_arg[@]}" "${overlay_args[@]}"

printf '\nvalidate: all checks passed in %d s\n' "$((SECONDS - started))"
