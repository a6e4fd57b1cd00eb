#!/usr/bin/env bash
# Installs the offline checks' tools into a venv under .local/k8s-venv (PyPI only):
# schema validation, policy check, Dockerfile lint, PromQL parser. Idempotent: a venv whose
# requirements file matches is kept.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.local/k8s-venv"
req="$root/k8s/tests/requirements.txt"
stamp="$venv/.requirements"
if [[ -x "$venv/bin/python" ]] && cmp -s "$req" "$stamp"; then
  exit 0
fi
command -v kubectl >/dev/null || { echo "install-tools: kubectl (for 'kubectl kustomize') is missing" >&2; exit 1; }
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
cp "$req" "$stamp"
