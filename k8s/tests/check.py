#!/usr/bin/env python3
"""`make test-k8s`: offline checks of the Kubernetes deployment (k8s/) and the images (deploy/).

Each check renders or reads what a user would apply and compares it with the code:

  render          every overlay and cluster kustomization renders with `kubectl kustomize`
  schema          every object validates against the Kubernetes 1.30 and newest schemas (strict),
                  custom resources against the schemas vendored in k8s/schemas/
  policy          checkov over the rendered objects (exceptions: k8s/tests/checkov.yaml)
  pod-security    Pod Security `restricted` and the platform's own rules on every pod template
  dockerfile      hadolint; bases pinned by digest; numeric USER; one binary per image
  rules           PromQL of every alert and dashboard parses; runbook anchors; metrics exist in code
  dashboards      the committed dashboards are what generate.py writes
  config          every env var a pod sets is a config key its binary reads; required keys set
  routes-ports    probe/scrape paths are served; listen ports, Service and probe ports agree
  secrets         every Secret reference exists in the namespace (or is in the README contract)
  network         NetworkPolicies allow exactly README "Network flows"; configured calls allowed
  capacity        PostgreSQL connection budget: pools × max replicas within max_connections
  readme          every kustomization the README applies renders; its authctl commands exist
  selftest        each coherence check catches a typical mistake (mutations)

Prints one line per check and `k8s: N passed, N failed` last; exits 1 on any failure.
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import traceback

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import rust_source  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
VENV_BIN = pathlib.Path(sys.executable).parent
NAMESPACE = "platform"
OVERLAYS = {"dev": "k8s/overlays/dev", "prod": "k8s/overlays/prod", "prod-ingress": "k8s/overlays/prod-ingress"}
CLUSTER = {"cluster-gateway-api": "k8s/cluster/gateway-api", "cluster-ingress": "k8s/cluster/ingress"}
PLAIN_FILES = ["k8s/operator/authctl-job.yaml"]
KUBERNETES_VERSIONS = ["1.30.0", "1.37.0"]
POD_KINDS = {"Deployment", "StatefulSet", "Job", "DaemonSet"}

rendered: dict[str, list[dict]] = {}
notes: list[str] = []


# ---------------------------------------------------------------------------------------------
# helpers


def kustomize(path: str) -> list[dict]:
    out = subprocess.run(["kubectl", "kustomize", str(ROOT / path)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {path}: {out.stderr.strip()}")
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def pod_spec(obj: dict) -> dict | None:
    if obj["kind"] in POD_KINDS:
        return obj["spec"]["template"]["spec"]
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def pod_labels(obj: dict) -> dict:
    return obj["spec"]["template"]["metadata"].get("labels", {})


def containers(spec: dict) -> list[tuple[str, dict]]:
    return [("init", c) for c in spec.get("initContainers", [])] + [("main", c) for c in spec.get("containers", [])]


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def find(docs: list[dict], kind: str, name: str) -> dict | None:
    for d in docs:
        if d["kind"] == kind and d["metadata"]["name"] == name:
            return d
    return None


def images_table() -> dict[str, dict]:
    rows = {}
    for line in (ROOT / "deploy/images.tsv").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        image, service_dir, package, binary, target, prefix = line.split("\t")
        rows[image] = dict(service_dir=service_dir, package=package, binary=binary, target=target, prefix=prefix)
    return rows


def image_name(image: str) -> str:
    name = image.split("@")[0]
    return name.rsplit(":", 1)[0] if ":" in name.split("/")[-1] else name


_services: dict[tuple[str, str], rust_source.Service | None] = {}
_workspace: rust_source.Workspace | None = None


def service_for(image: str) -> tuple[dict | None, rust_source.Service | None]:
    """The images.tsv row of a platform image and its source (None when not on this branch)."""
    global _workspace
    row = images_table().get(image_name(image))
    if row is None:
        return None, None
    key = (row["service_dir"], row["binary"])
    if key not in _services:
        d = ROOT / row["service_dir"]
        if not (d / "Cargo.toml").exists() or not any(d.glob("src/**/*.rs")):
            _services[key] = None
        else:
            _workspace = _workspace or rust_source.Workspace(ROOT)
            _services[key] = rust_source.Service(_workspace, d, row["binary"])
    return row, _services[key]


def env_of(container: dict, docs: list[dict]) -> dict[str, tuple[str, object]]:
    """name → (source, value): ("value", str) | ("secret", (name, key)) | ("configmap", str) | ("other", None)."""
    env: dict[str, tuple[str, object]] = {}
    for src in container.get("envFrom", []):
        if "configMapRef" in src:
            cm = find(docs, "ConfigMap", src["configMapRef"]["name"])
            for k, v in (cm or {}).get("data", {}).items():
                env[k] = ("configmap", v)
        elif "secretRef" in src:
            env["<secretRef " + src["secretRef"]["name"] + ">"] = ("other", None)
    for e in container.get("env", []):
        if "value" in e:
            env[e["name"]] = ("value", e["value"])
        elif "secretKeyRef" in e.get("valueFrom", {}):
            r = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = ("secret", (r["name"], r["key"]))
        else:
            env[e["name"]] = ("other", None)
    return env


def secret_value(docs: list[dict], name: str, key: str) -> str | None:
    s = find(docs, "Secret", name)
    if not s:
        return None
    if key in s.get("stringData", {}):
        return s["stringData"][key]
    if key in s.get("data", {}):
        return base64.b64decode(s["data"][key]).decode()
    return None


def readme() -> str:
    return (K8S / "README.md").read_text()


def readme_table(heading: str) -> list[list[str]]:
    """Rows (cells stripped of backticks) of the first table under `## heading`."""
    text = readme()
    m = re.search(r"^## " + re.escape(heading) + r"\s*$", text, re.M)
    if not m:
        raise AssertionError(f'k8s/README.md has no "## {heading}" section')
    rows = []
    started = False
    for line in text[m.end() :].splitlines():
        if line.startswith("## "):
            break
        if line.startswith("|"):
            cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
            if not started:
                started = True  # header
                continue
            if set("".join(cells)) <= set("-: "):
                continue
            rows.append(cells)
        elif started and rows:
            break
    return rows


def overlay_tags(cell: str, overlay: str) -> bool:
    tags = {t.strip() for t in cell.split(",")}
    return "all" in tags or overlay in tags or (overlay.startswith("prod") and "prod" in tags)


# ---------------------------------------------------------------------------------------------
# checks


def check_render() -> list[str]:
    errors = []
    for name, path in {**OVERLAYS, **CLUSTER}.items():
        try:
            rendered[name] = kustomize(path)
        except RuntimeError as e:
            errors.append(str(e))
    for f in PLAIN_FILES:
        rendered[f] = [d for d in yaml.safe_load_all((ROOT / f).read_text()) if d]
    for name in OVERLAYS:
        for d in rendered.get(name, []):
            ns = d["metadata"].get("namespace")
            if d["kind"] not in ("Namespace",) and ns != NAMESPACE:
                errors.append(f"{name}: {d['kind']}/{d['metadata']['name']} is in namespace {ns!r}, not {NAMESPACE!r}")
    return errors


def check_schema() -> list[str]:
    import jsonschema
    import kubernetes_validate

    schemas = {}
    for f in (K8S / "schemas").glob("*.json"):
        kind, rest = f.stem.split("-", 1)
        group, version = rest.rsplit("-", 1)
        schemas[(group, version, kind)] = json.loads(f.read_text())
    errors = []
    for name, docs in rendered.items():
        for d in docs:
            ident = f"{name}: {d['kind']}/{d['metadata'].get('name', d['metadata'].get('generateName'))}"
            group, _, version = d["apiVersion"].rpartition("/")
            custom = schemas.get((group, version, d["kind"].lower()))
            if custom is not None:
                for e in jsonschema.Draft7Validator(custom).iter_errors(d):
                    errors.append(f"{ident}: {'/'.join(map(str, e.path))}: {e.message}")
                continue
            if "." in group and not group.endswith("k8s.io"):
                errors.append(f"{ident}: custom resource {d['apiVersion']} without a schema in k8s/schemas/")
                continue
            for v in KUBERNETES_VERSIONS:
                try:
                    kubernetes_validate.validate(d, v, strict=True)
                except kubernetes_validate.ValidationError as e:
                    errors.append(f"{ident} (Kubernetes {v}): {'/'.join(map(str, e.path))}: {e.message}")
                except kubernetes_validate.SchemaNotFoundError:
                    errors.append(f"{ident}: no Kubernetes {v} schema for {d['apiVersion']} {d['kind']}")
    return errors


def check_policy() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        for name, docs in rendered.items():
            (pathlib.Path(tmp) / (name.replace("/", "_") + ".yaml")).write_text(yaml.safe_dump_all(docs))
        env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false", LOG_LEVEL="ERROR")
        out = subprocess.run(
            [str(VENV_BIN / "checkov"), "--config-file", str(K8S / "tests/checkov.yaml"), "-d", tmp, "-o", "json"],
            capture_output=True, text=True, env=env,
        )
    try:
        report = json.loads(out.stdout)
    except json.JSONDecodeError:
        return [f"checkov did not report (exit {out.returncode}): {out.stderr.strip()[-500:]}"]
    reports = report if isinstance(report, list) else [report]
    errors = []
    passed = 0
    for r in reports:
        passed += r.get("summary", {}).get("passed", 0)
        for c in r.get("results", {}).get("failed_checks", []):
            errors.append(f"{c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']})")
    if passed == 0 and not errors:
        errors.append("checkov ran no check")
    notes.append(f"policy: checkov {passed} checks passed")
    return errors


def check_pod_security() -> list[str]:
    errors = []
    for name, docs in rendered.items():
        if name in CLUSTER:
            continue
        hpa_targets = {h["spec"]["scaleTargetRef"]["name"]: h for h in by_kind(docs, "HorizontalPodAutoscaler")}
        accounts = {s["metadata"]["name"]: s for s in by_kind(docs, "ServiceAccount")}
        ns = find(docs, "Namespace", NAMESPACE)
        if name in OVERLAYS:
            labels = (ns or {}).get("metadata", {}).get("labels", {})
            if labels.get("pod-security.kubernetes.io/enforce") != "restricted":
                errors.append(f"{name}: namespace {NAMESPACE} does not enforce Pod Security restricted")
        for obj in docs:
            spec = pod_spec(obj)
            if spec is None:
                continue
            ident = f"{name}: {obj['kind']}/{obj['metadata'].get('name', obj['metadata'].get('generateName'))}"
            psc = spec.get("securityContext", {})
            if psc.get("runAsNonRoot") is not True:
                errors.append(f"{ident}: pod runAsNonRoot is not true")
            if not isinstance(psc.get("runAsUser"), int) or psc["runAsUser"] == 0:
                errors.append(f"{ident}: pod runAsUser must be a non-zero number (kubelet cannot verify a user name)")
            if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
                errors.append(f"{ident}: pod seccompProfile is not RuntimeDefault")
            if spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC"):
                errors.append(f"{ident}: host namespaces")
            for v in spec.get("volumes", []):
                if "hostPath" in v:
                    errors.append(f"{ident}: hostPath volume {v['name']}")
            sa = spec.get("serviceAccountName")
            if not sa or sa == "default":
                errors.append(f"{ident}: no ServiceAccount of its own")
            elif sa not in accounts:
                errors.append(f"{ident}: ServiceAccount {sa} is not rendered with it")
            elif accounts[sa].get("automountServiceAccountToken") is not False or spec.get("automountServiceAccountToken") is not False:
                errors.append(f"{ident}: the API token is mounted (automountServiceAccountToken must be false)")
            for role, c in containers(spec):
                cid = f"{ident} container {c['name']}"
                sc = c.get("securityContext", {})
                if sc.get("allowPrivilegeEscalation") is not False:
                    errors.append(f"{cid}: allowPrivilegeEscalation is not false")
                if sc.get("readOnlyRootFilesystem") is not True:
                    errors.append(f"{cid}: root filesystem is writable")
                if sc.get("capabilities", {}).get("drop") != ["ALL"] or sc.get("capabilities", {}).get("add"):
                    errors.append(f"{cid}: capabilities must drop ALL and add none")
                if sc.get("privileged"):
                    errors.append(f"{cid}: privileged")
                if sc.get("runAsUser", psc.get("runAsUser")) in (None, 0):
                    errors.append(f"{cid}: runs as root")
                res = c.get("resources", {})
                for kind in ("requests", "limits"):
                    for r in ("cpu", "memory"):
                        if r not in res.get(kind, {}):
                            errors.append(f"{cid}: no {r} {kind[:-1]}")
                # Probes for every container that serves (a queue worker without ports has none to offer).
                if role == "main" and obj["kind"] in ("Deployment", "StatefulSet") and c.get("ports") and "startupProbe" not in c:
                    errors.append(f"{cid}: no startupProbe")
                if role == "main" and obj["kind"] in ("Deployment", "StatefulSet") and c.get("ports") and "readinessProbe" not in c:
                    errors.append(f"{cid}: no readinessProbe")
                # Actix/HTTP workers beyond the CPU limit only queue behind the CFS quota.
                for k, (src, v) in env_of(c, docs).items() if role == "main" else ():
                    if (k.endswith("WORKERS") or k.endswith("CONCURRENCY")) and src in ("value", "configmap") and str(v).isdigit():
                        limit = cpu_cores(res.get("limits", {}).get("cpu", "0"))
                        if int(v) == 0 or int(v) > max(1, round(limit)):
                            errors.append(f"{cid}: {k}={v} does not match the CPU limit {res.get('limits', {}).get('cpu')}")
            if obj["kind"] == "Deployment":
                n = obj["metadata"]["name"]
                if n in hpa_targets and "replicas" in obj["spec"]:
                    errors.append(f"{ident}: sets replicas although HorizontalPodAutoscaler {n} owns the count")
                if n in hpa_targets and not spec.get("topologySpreadConstraints"):
                    errors.append(f"{ident}: no topologySpreadConstraints")
        for n, h in hpa_targets.items():
            if not find(docs, "Deployment", n):
                errors.append(f"{name}: HorizontalPodAutoscaler {n} targets no Deployment")
            if h["spec"]["minReplicas"] > h["spec"]["maxReplicas"]:
                errors.append(f"{name}: HorizontalPodAutoscaler {n}: minReplicas > maxReplicas")
        for pdb in by_kind(docs, "PodDisruptionBudget"):
            sel = pdb["spec"]["selector"]
            if not any(selects(sel, pod_labels(o)) for o in docs if pod_spec(o) is not None and "template" in o["spec"]):
                errors.append(f"{name}: PodDisruptionBudget {pdb['metadata']['name']} selects no pod")
    return errors


def cpu_cores(v: str) -> float:
    v = str(v)
    return float(v[:-1]) / 1000 if v.endswith("m") else float(v)


def check_dockerfile() -> list[str]:
    dockerfile = ROOT / "deploy/Dockerfile"
    errors = []
    out = subprocess.run(
        [str(VENV_BIN / "hadolint"), "--config", str(K8S / "tests/.hadolint.yaml"), str(dockerfile)],
        capture_output=True, text=True,
    )
    if out.returncode != 0:
        errors.append("hadolint: " + (out.stdout + out.stderr).strip())
    text = dockerfile.read_text()
    args = dict(re.findall(r"(?m)^ARG (\w+)=(\S+)", text))
    stages = set(re.findall(r"(?mi)^FROM \S+ AS (\S+)", text))
    for base in re.findall(r"(?m)^FROM (\S+)", text):
        ref = args.get(base[2:-1], base) if base.startswith("${") else base
        if ref in stages:
            continue
        if not re.search(r"@sha256:[0-9a-f]{64}$", ref):
            errors.append(f"Dockerfile: base {ref} is not pinned by digest")
    users = re.findall(r"(?m)^USER (\S+)", text)
    if not users or any(u != "65532:65532" for u in users):
        errors.append(f"Dockerfile: USER must be the numeric 65532:65532 (found {users})")
    if re.search(r"find .*-executable|target/release/\*|COPY --from=build /out/ ", text):
        errors.append("Dockerfile: copies more than the named binary")
    ignore = [l.strip() for l in (ROOT / ".dockerignore").read_text().splitlines() if l.strip() and not l.startswith("#")]
    for needed in ("**/target", ".local", ".git"):
        if needed not in ignore:
            errors.append(f".dockerignore: {needed} is not excluded")
    # What cargo needs must stay in the context: workspace members and files compiled in.
    needed_paths = []
    members = re.search(r"members\s*=\s*\[([^\]]*)\]", (ROOT / "Cargo.toml").read_text()).group(1)
    for m in re.findall(r'"([^"]+)"', members):
        needed_paths += [p.relative_to(ROOT).as_posix() + "/Cargo.toml" for p in ROOT.glob(m) if (p / "Cargo.toml").exists()]
    for f in list(ROOT.glob("services/*/src/**/*.rs")) + list(ROOT.glob("crates/*/src/**/*.rs")) + list(ROOT.glob("proto/**/*.rs")):
        source = f.read_text()
        for inc in re.findall(r'include_(?:str|bytes)!\(\s*"([^"]+)"', source):
            target = (f.parent / inc).resolve()
            if target.is_relative_to(ROOT):
                needed_paths.append(target.relative_to(ROOT).as_posix())
        for m in re.finditer(r'embed_migrations!\(\s*(?:"([^"]+)")?\s*\)', source):
            crate = next(p for p in f.parents if (p / "Cargo.toml").exists())
            needed_paths.append((crate / (m.group(1) or "migrations")).relative_to(ROOT).as_posix())
    for path in needed_paths:
        if any(_docker_ignored(path, pat) for pat in ignore if not pat.startswith("!")):
            errors.append(f".dockerignore excludes {path}, which the build needs")
    targets = set(re.findall(r"(?mi)^FROM \S+ AS (\S+)", text))
    import tomllib

    for image, row in images_table().items():
        if row["target"] not in targets:
            errors.append(f"images.tsv: {image} builds target {row['target']}, which the Dockerfile lacks")
        manifest = ROOT / row["service_dir"] / "Cargo.toml"
        if not manifest.exists():
            errors.append(f"images.tsv: {image}: no package in {row['service_dir']}")
            continue
        cargo = tomllib.loads(manifest.read_text())
        bins = {b["name"] for b in cargo.get("bin", [])}
        if (ROOT / row["service_dir"] / "src/main.rs").exists():
            bins.add(cargo["package"]["name"])
        if cargo["package"]["name"] != row["package"]:
            errors.append(f"images.tsv: {image}: package {row['package']} is {cargo['package']['name']} in {manifest.relative_to(ROOT)}")
        if row["binary"] not in bins:
            errors.append(f"images.tsv: {image}: {row['package']} has no binary {row['binary']} ({sorted(bins)})")
    return errors


def _docker_ignored(path: str, pattern: str) -> bool:
    """Docker's matching, enough for these patterns: a pattern matches the path or a parent of it."""
    import fnmatch

    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    if pattern.startswith("**/"):
        return any(fnmatch.fnmatch(p, pattern[3:]) for p in parts)
    return any(fnmatch.fnmatch(p, pattern) for p in prefixes)


def _promql_metrics(expr: str) -> set[str]:
    import promql_parser

    names: set[str] = set()

    def walk(node):
        t = type(node).__name__
        if t == "VectorSelector":
            if node.name:
                names.add(node.name)
            for m in getattr(node.matchers, "matchers", []) or []:
                if m.name == "__name__":
                    names.add(m.value)
        for attr in ("expr", "lhs", "rhs", "vector_selector", "param"):
            child = getattr(node, attr, None)
            if child is not None and hasattr(child, "__class__") and type(child).__module__.startswith("promql"):
                walk(child)
        for child in getattr(node, "args", None) or []:
            walk(child)

    walk(promql_parser.parse(expr))
    return names


def code_text() -> str:
    return "\n".join(f.read_text() for f in list(ROOT.glob("services/*/src/**/*.rs")) + list(ROOT.glob("crates/*/src/**/*.rs")))


EXTERNAL_METRICS = re.compile(r"^(up|container_.*|kube_.*|process_.*|node_.*|certmanager_.*)$")  # Prometheus, cAdvisor, kube-state-metrics, cert-manager


_rule_texts_override: list[str] | None = None


def rule_texts() -> list[str]:
    if _rule_texts_override is not None:
        return _rule_texts_override
    return [f.read_text() for f in sorted(K8S.glob("components/**/rules.yaml"))]


def _mutated_rules(replace: str, by: str, expect: str) -> str | None:
    global _rule_texts_override
    texts = rule_texts()
    if not any(replace in t for t in texts):
        return f"selftest: {replace!r} is not in the rules any more"
    _rule_texts_override = [t.replace(replace, by, 1) for t in texts]
    saved_notes = list(notes)
    try:
        errors = check_rules()
    finally:
        _rule_texts_override = None
        notes[:] = saved_notes
    if not any(expect in e for e in errors):
        return f"check_rules missed a mutation (expected {expect!r}, got {errors[:3]})"
    return None


def check_rules() -> list[str]:
    import promql_parser

    errors = []
    code = code_text()
    runbook = (K8S / "RUNBOOK.md").read_text()
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"(?m)^#+ (.+)$", runbook)}
    alerts = set()
    pending_seen = []
    for text in rule_texts():
        for doc in yaml.safe_load_all(text):
            if not doc or doc["kind"] != "PrometheusRule":
                continue
            for group in doc["spec"]["groups"]:
                for rule in group["rules"]:
                    name = rule.get("alert") or rule.get("record")
                    try:
                        promql_parser.parse(rule["expr"])
                    except Exception as e:  # the parser raises its own error types
                        errors.append(f"{name}: expr does not parse: {e}")
                        continue
                    if "alert" not in rule:
                        continue
                    alerts.add(name)
                    ann = rule.get("annotations", {})
                    url = ann.get("runbook_url", "")
                    if not url.startswith("k8s/RUNBOOK.md#") or url.split("#", 1)[1] not in anchors:
                        errors.append(f"{name}: runbook_url {url!r} names no section of k8s/RUNBOOK.md")
                    if url.split("#", 1)[-1] != name.lower():
                        errors.append(f"{name}: runbook anchor should be #{name.lower()}")
                    if rule.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
                        errors.append(f"{name}: severity label missing")
                    pending = ann.get("pending_metrics", "")
                    for metric in _promql_metrics(rule["expr"]):
                        # As registered: prometheus-client appends `_total` to counters and the
                        # unit (`_seconds`) to histograms; histograms add _bucket/_sum/_count.
                        base = re.sub(r"_(bucket|sum|count)$", "", metric)
                        names = {base, re.sub(r"_total$", "", base), re.sub(r"_(seconds|bytes)$", "", base)}
                        if EXTERNAL_METRICS.match(metric):
                            continue
                        if metric in pending:
                            pending_seen.append(f"{name}: {metric}")
                            if any(re.search('"' + re.escape(n) + r'["{\s]', code) for n in names):
                                errors.append(f"{name}: {metric} is emitted by the code now: drop it from pending_metrics")
                            continue
                        # Registered names are string literals ("name", or "name{…" in hand-written text).
                        if not any(re.search('"' + re.escape(n) + r'["{\s]', code) for n in names):
                            errors.append(f"{name}: metric {metric} is not emitted by any service (and not declared pending_metrics)")
    scrape = yaml.safe_load((K8S / "monitoring/prometheus-scrape.yaml").read_text())
    keeps = [r for job in scrape["scrape_configs"] for r in job.get("relabel_configs", []) if r.get("action") == "keep"]
    if not any("__meta_kubernetes_pod_annotation_prometheus_io_scrape" in r["source_labels"] for r in keeps):
        errors.append("monitoring/prometheus-scrape.yaml does not select pods by prometheus.io/scrape")
    sections = {h.strip() for h in re.findall(r"(?m)^## (.+)$", runbook)}
    for s in sections - alerts:
        errors.append(f"RUNBOOK.md section {s!r} has no alert")
    if pending_seen:
        notes.append("rules: metrics pending in other branches: " + "; ".join(pending_seen))
    # Dashboards: every query parses.
    for f in sorted(K8S.glob("components/monitoring/dashboards/*.json")):
        dash = json.loads(f.read_text())
        for p in dash["panels"]:
            for t in p.get("targets", []):
                try:
                    promql_parser.parse(t["expr"])
                except Exception as e:
                    errors.append(f"{f.name} panel {p['title']!r}: {e}")
    return errors


def check_dashboards() -> list[str]:
    sys.path.insert(0, str(K8S / "components/monitoring/dashboards"))
    import generate

    errors = []
    expected = generate.render()
    kustomization = (K8S / "components/monitoring/kustomization.yaml").read_text()
    for name, text in expected.items():
        f = K8S / "components/monitoring/dashboards" / name
        if not f.exists() or f.read_text() != text:
            errors.append(f"dashboards/{name} differs from generate.py's output (run it)")
        if f"dashboards/{name}" not in kustomization:
            errors.append(f"dashboards/{name} is not in the monitoring kustomization")
    deployables = {image_name(c["image"]) for d in rendered["prod"] for _, c in containers(pod_spec(d) or {})}
    for image, row in images_table().items():
        svc = row["service_dir"].split("/")[-1].replace("auth", "auth")
        if image in deployables and row["prefix"] != "-":
            name = {"services/auth": "auth", "services/ratelimit": "ratelimit"}.get(row["service_dir"], svc)
            if f"{name}.json" not in expected:
                errors.append(f"no dashboard for {name}")
    return errors


def _platform_containers(docs):
    for obj in docs:
        spec = pod_spec(obj)
        if spec is None:
            continue
        for role, c in containers(spec):
            row, src = service_for(c["image"])
            if row is not None:
                yield obj, role, c, row, src


def check_config() -> list[str]:
    errors = []
    skipped = set()
    for overlay in OVERLAYS:
        docs = rendered[overlay]
        for obj, role, c, row, src in _platform_containers(docs):
            ident = f"{overlay}: {obj['kind']}/{obj['metadata'].get('name', obj['metadata'].get('generateName'))} {c['name']}"
            if src is None:
                skipped.add(row["service_dir"])
                continue
            args = c.get("args", [])
            first = next((a for a in args if not a.startswith("-")), None)
            if first is not None and row["prefix"] != "-" and first not in src.subcommands():
                errors.append(f"{ident}: `{first}` is not a subcommand of {row['binary']} ({sorted(src.subcommands())})")
            env = env_of(c, docs)
            read_directly = src.env_names_read()
            prefix = row["prefix"]
            keys = src.config_keys() if prefix != "-" else []
            for k, (source, value) in env.items():
                if k.startswith("<"):
                    errors.append(f"{ident}: {k}: whole-Secret envFrom hides which keys are set")
                    continue
                if prefix != "-" and k.startswith(prefix + "__"):
                    path = tuple(k[len(prefix) + 2 :].lower().split("__"))
                    if not any(_matches(path, key.path) for key in keys):
                        errors.append(f"{ident}: {k} is no configuration key of {row['binary']}")
                elif k not in read_directly:
                    errors.append(f"{ident}: {k} is read by no code of {row['binary']}")
            set_paths = {tuple(k[len(prefix) + 2 :].lower().split("__")): v for k, v in env.items() if k.startswith(prefix + "__")}
            for key in keys:
                if "*" in key.path or key.optional:
                    continue
                is_set = any(_matches(p, key.path) for p in set_paths)
                loopback = key.default is not None and re.search(r"127\.0\.0\.1|localhost", key.default)
                secret = key.ty.split("::")[-1].split("<")[0] in ("Secret", "SecretUrl", "SecretString")
                name = prefix + "__" + "__".join(key.path).upper()
                if loopback and not is_set:
                    errors.append(f"{ident}: {name} must be set (its default {key.default} is a loopback address)")
                if secret:
                    v = next((v for p, v in set_paths.items() if _matches(p, key.path)), None)
                    if v is None:
                        errors.append(f"{ident}: secret {name} is not set (the compiled-in development value would be used)")
                    elif v[0] != "secret":
                        errors.append(f"{ident}: secret {name} comes from a {v[0]}, not a Secret")
            # The grace period covers the preStop pause plus the service's own drain.
            if role == "main" and prefix != "-":
                drain = None
                for key in keys:
                    if key.path[-1].startswith("shutdown_timeout"):
                        name = prefix + "__" + "__".join(key.path).upper()
                        v = env.get(name)
                        drain = int(v[1]) if v and v[0] in ("value", "configmap") else int(key.default.replace("_", "")) if key.default and key.default.replace("_", "").isdigit() else None
                if drain is not None:
                    spec = pod_spec(obj)
                    pre = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
                    grace = spec.get("terminationGracePeriodSeconds", 30)
                    if pre + drain >= grace:
                        errors.append(f"{ident}: preStop {pre}s + shutdown timeout {drain}s do not fit terminationGracePeriodSeconds {grace}")
    for s in sorted(skipped):
        notes.append(f"config: {s} has no source on this branch: its pods' keys are not checked")
    return errors


def _matches(path: tuple, pattern: tuple) -> bool:
    return len(path) == len(pattern) and all(p == q or q == "*" for p, q in zip(path, pattern))


def _listen_ports(env) -> dict[str, int]:
    ports = {}
    for k, (src, v) in env.items():
        if "LISTEN" in k.split("__")[-1] and src in ("value", "configmap"):
            m = re.search(r":(\d+)$", str(v))
            if m:
                ports[k] = int(m.group(1))
    return ports


def check_routes_ports() -> list[str]:
    errors = []
    for overlay in OVERLAYS:
        docs = rendered[overlay]
        services = by_kind(docs, "Service")
        for obj, role, c, row, src in _platform_containers(docs):
            if role != "main":
                continue
            ident = f"{overlay}: {obj['kind']}/{obj['metadata'].get('name', obj['metadata'].get('generateName'))}"
            ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
            env = env_of(c, docs)
            listen = _listen_ports(env)
            if row["prefix"] != "-":
                for k, port in listen.items():
                    if port not in ports.values():
                        errors.append(f"{ident}: {k} listens on {port}, which is no containerPort ({ports})")
                for pname, port in ports.items():
                    if port not in listen.values():
                        errors.append(f"{ident}: containerPort {pname}={port} is bound by no *LISTEN variable")
            literals = src.string_literals() if src else None
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                http = c.get(probe, {}).get("httpGet")
                if not http:
                    continue
                if http["port"] not in ports and http["port"] not in ports.values():
                    errors.append(f"{ident}: {probe} port {http['port']} is no container port")
                if literals is not None and http["path"] not in literals:
                    errors.append(f"{ident}: {probe} path {http['path']} is served by no route of {row['binary']}")
            ann = obj["spec"]["template"]["metadata"].get("annotations", {})
            if ann.get("prometheus.io/scrape") == "true":
                if int(ann.get("prometheus.io/port", 0)) not in ports.values():
                    errors.append(f"{ident}: prometheus.io/port {ann.get('prometheus.io/port')} is no container port")
                if literals is not None and ann.get("prometheus.io/path") not in literals:
                    errors.append(f"{ident}: scrape path {ann.get('prometheus.io/path')} is served by no route of {row['binary']}")
        # Services: selectors select pods that have the target ports.
        for s in services:
            pods = [o for o in docs if pod_spec(o) is not None and o["kind"] != "Job" and selects({"matchLabels": s["spec"].get("selector", {})}, pod_labels(o))]
            if not pods:
                errors.append(f"{overlay}: Service {s['metadata']['name']} selects no pod")
                continue
            for p in s["spec"]["ports"]:
                tp = p.get("targetPort", p["port"])
                for o in pods:
                    cports = [cp for _, c in containers(pod_spec(o)) for cp in c.get("ports", [])]
                    if not any(cp.get("name") == tp or cp["containerPort"] == tp for cp in cports):
                        errors.append(f"{overlay}: Service {s['metadata']['name']} port {p['name']} → {tp}, which {o['metadata']['name']} lacks")
        # ServiceMonitors: select a Service with the named port; the pods serve /metrics there.
        for sm in by_kind(docs, "ServiceMonitor"):
            targets = [s for s in services if selects(sm["spec"]["selector"], s["metadata"].get("labels", {}))]
            if not targets:
                errors.append(f"{overlay}: ServiceMonitor {sm['metadata']['name']} selects no Service")
            for ep in sm["spec"]["endpoints"]:
                for s in targets:
                    if ep["port"] not in {p["name"] for p in s["spec"]["ports"]}:
                        errors.append(f"{overlay}: ServiceMonitor {sm['metadata']['name']}: Service {s['metadata']['name']} has no port {ep['port']}")
                    for o in docs:
                        if pod_spec(o) is None or o["kind"] == "Job" or not selects({"matchLabels": s["spec"]["selector"]}, pod_labels(o)):
                            continue
                        for _, c in containers(pod_spec(o)):
                            row, src = service_for(c["image"])
                            if src is not None and ep.get("path", "/metrics") not in src.string_literals():
                                errors.append(f"{overlay}: ServiceMonitor {sm['metadata']['name']}: {row['binary']} serves no {ep.get('path', '/metrics')}")
        # Edge: routes point at the gateway's public port only.
        for r in by_kind(docs, "HTTPRoute"):
            for rule in r["spec"].get("rules", []):
                for b in rule.get("backendRefs", []):
                    if (b["name"], b.get("port")) != ("gateway", 8080):
                        errors.append(f"{overlay}: HTTPRoute {r['metadata']['name']} → {b['name']}:{b.get('port')}, not the gateway's public port")
        for ing in by_kind(docs, "Ingress"):
            for rule in ing["spec"]["rules"]:
                for p in rule["http"]["paths"]:
                    svc = p["backend"]["service"]
                    if svc["name"] != "gateway" or svc["port"].get("name", svc["port"].get("number")) not in ("http", 8080):
                        errors.append(f"{overlay}: Ingress {ing['metadata']['name']} → {svc}, not the gateway's public port")
        gw = find(docs, "Service", "gateway")
        if gw and [p["port"] for p in gw["spec"]["ports"]] != [8080]:
            errors.append(f"{overlay}: Service gateway exposes {gw['spec']['ports']}: only the public port 8080 belongs there")
        for s in services:
            if s["spec"].get("type") == "LoadBalancer" and s["spec"].get("externalTrafficPolicy") != "Local":
                errors.append(f"{overlay}: LoadBalancer Service {s['metadata']['name']} hides client addresses (externalTrafficPolicy)")
        hosts = set()
        for g in by_kind(docs, "Gateway"):
            for lst in g["spec"]["listeners"]:
                if lst["protocol"] == "HTTPS":
                    hosts.add(lst.get("hostname"))
                    for ref in lst["tls"]["certificateRefs"]:
                        if not any(cert["spec"]["secretName"] == ref["name"] and lst.get("hostname") in cert["spec"]["dnsNames"] for cert in by_kind(docs, "Certificate")):
                            errors.append(f"{overlay}: Gateway listener {lst['name']}: no Certificate for {lst.get('hostname')} in Secret {ref['name']}")
        for ing in by_kind(docs, "Ingress"):
            for t in ing["spec"].get("tls", []):
                hosts.update(t["hosts"])
                if not any(cert["spec"]["secretName"] == t["secretName"] and set(t["hosts"]) <= set(cert["spec"]["dnsNames"]) for cert in by_kind(docs, "Certificate")):
                    errors.append(f"{overlay}: Ingress TLS {t['hosts']}: no Certificate in Secret {t['secretName']}")
        if overlay.startswith("prod"):
            public = public_hosts()
            if hosts != public:
                errors.append(f"{overlay}: TLS hosts {sorted(h for h in hosts if h)} differ from the gateway's public hosts {sorted(public)}")
    return errors


def public_hosts() -> set[str]:
    """Production hosts of the gateway's default route table (`let admin = ["api.sumeru.systems", "admin.localhost"];`)."""
    text = (ROOT / "services/gateway/src/config.rs").read_text()
    hosts = set()
    for group in re.findall(r"let \w+ = \[([^\]]*)\];", text):
        hosts |= {h for h in re.findall(r'"([^"]+)"', group) if not h.endswith(".localhost")}
    return hosts


def gateway_routes() -> list[tuple[list[str], list[str]]]:
    """(hosts, paths) of each route of the gateway's default route table."""
    text = (ROOT / "services/gateway/src/config.rs").read_text()
    groups = {n: re.findall(r'"([^"]+)"', g) for n, g in re.findall(r"let (\w+) = \[([^\]]*)\];", text)}
    out = []
    for hosts, paths in re.findall(r'route\(\s*"[^"]+",\s*&(\w+),\s*&\[(.*?)\]', text, re.S):
        out.append((groups.get(hosts, []), re.findall(r'"([^"]+)"', paths)))
    return out


def selects(selector: dict, labels: dict) -> bool:
    for k, v in selector.get("matchLabels", {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions", []):
        have = labels.get(e["key"])
        op = e["operator"]
        if op == "In" and have not in e["values"]:
            return False
        if op == "NotIn" and have in e["values"]:
            return False
        if op == "Exists" and have is None:
            return False
        if op == "DoesNotExist" and have is not None:
            return False
    return True


def check_secrets() -> list[str]:
    errors = []
    contract = readme_table("Secrets")  # secret | key | used by | overlays
    for overlay in OVERLAYS:
        docs = rendered[overlay]
        produced = {(s["metadata"]["name"], k) for s in by_kind(docs, "Secret") for k in list(s.get("data", {})) + list(s.get("stringData", {}))}
        produced |= {(c["spec"]["secretName"], k) for c in by_kind(docs, "Certificate") for k in ("tls.crt", "tls.key")}
        external = {(r[0], r[1]) for r in contract if overlay_tags(r[3], overlay) and overlay != "dev"}
        referenced = set()
        for obj in docs:
            spec = pod_spec(obj)
            if spec is None:
                continue
            for _, c in containers(spec):
                for e in c.get("env", []):
                    r = e.get("valueFrom", {}).get("secretKeyRef")
                    if r:
                        referenced.add((r["name"], r["key"]))
            for v in spec.get("volumes", []):
                if "secret" in v:
                    referenced.add((v["secret"]["secretName"], "*"))
        for g in by_kind(docs, "Gateway"):
            for lst in g["spec"]["listeners"]:
                for ref in lst.get("tls", {}).get("certificateRefs", []):
                    referenced.add((ref["name"], "tls.crt"))
        for ing in by_kind(docs, "Ingress"):
            for t in ing["spec"].get("tls", []):
                referenced.add((t["secretName"], "tls.crt"))
        for name, key in sorted(referenced):
            ok = any(n == name and (key == "*" or k == key) for n, k in produced | external)
            if not ok:
                where = "rendered in the overlay" if overlay == "dev" else "rendered, nor in README \"Secrets\" for this overlay"
                errors.append(f"{overlay}: Secret {name} key {key} is referenced but not {where}")
        for name, key in sorted(external):
            if not any(n == name and (k == key or k == "*") for n, k in referenced):
                errors.append(f"{overlay}: README \"Secrets\" lists {name}/{key}, which nothing uses")
    return errors


def _flows_from_policies(docs: list[dict]) -> set[tuple[str, str, int]]:
    """(source, destination app, port) allowed by the NetworkPolicies; source: app, 'monitoring' or 'any'."""
    apps = {}
    for o in docs:
        spec = pod_spec(o)
        if spec is None:
            continue
        labels = pod_labels(o)
        apps[labels.get("app.kubernetes.io/name")] = (labels, spec)
    policies = by_kind(docs, "NetworkPolicy")
    flows = set()
    for dst, (labels, spec) in apps.items():
        selecting = [p for p in policies if selects(p["spec"]["podSelector"], labels) and "Ingress" in p["spec"].get("policyTypes", ["Ingress"])]
        if not selecting:
            flows.add(("any", dst, 0))  # no policy: everything open
            continue
        named = {cp["name"]: cp["containerPort"] for _, c in containers(spec) for cp in c.get("ports", []) if "name" in cp}
        for p in selecting:
            for rule in p["spec"].get("ingress", []):
                ports = [pp["port"] if isinstance(pp["port"], int) else named.get(pp["port"], pp["port"]) for pp in rule.get("ports", [])] or [0]
                sources = []
                if "from" not in rule:
                    sources = ["any"]
                for peer in rule.get("from", []):
                    if "namespaceSelector" in peer:
                        ns = peer["namespaceSelector"].get("matchLabels", {}).get("kubernetes.io/metadata.name", "any-namespace")
                        sources.append(ns if ns != NAMESPACE else "platform")
                    elif "podSelector" in peer:
                        sources += [a for a, (l, _) in apps.items() if selects(peer["podSelector"], l)]
                    elif "ipBlock" in peer:
                        sources.append("ip:" + peer["ipBlock"]["cidr"])
                for s in sources:
                    for port in ports:
                        flows.add((s, dst, port))
    return flows


def check_network() -> list[str]:
    errors = []
    table = readme_table("Network flows")  # from | to | port | overlays
    for overlay in OVERLAYS:
        docs = rendered[overlay] + rendered[PLAIN_FILES[0]]
        actual = _flows_from_policies(docs)
        documented = set()
        for row in table:
            if overlay_tags(row[3], overlay):
                for src in row[0].split(","):
                    for dst in row[1].split(","):
                        documented.add((src.strip(), dst.strip(), int(row[2])))
        for f in sorted(actual - documented):
            errors.append(f"{overlay}: NetworkPolicies allow {f[0]} → {f[1]}:{f[2]}, which README \"Network flows\" does not list")
        for f in sorted(documented - actual):
            errors.append(f"{overlay}: README \"Network flows\" lists {f[0]} → {f[1]}:{f[2]}, which the NetworkPolicies do not allow")
        # Every address a pod is configured with must be reachable under the policies.
        services = {s["metadata"]["name"]: s for s in by_kind(docs, "Service")}
        for obj in docs:
            spec = pod_spec(obj)
            if spec is None:
                continue
            src_app = pod_labels(obj).get("app.kubernetes.io/name")
            for _, c in containers(spec):
                for k, (kind, v) in env_of(c, docs).items():
                    if kind == "secret":
                        v = secret_value(docs, *v)
                    if not isinstance(v, str):
                        continue
                    m = re.match(r"^[a-z]+://(?:[^@/]*@)?([a-z0-9-]+)(?:\.[a-z0-9.-]+)?:(\d+)", v)
                    if not m or m.group(1) not in services:
                        continue
                    svc = services[m.group(1)]
                    port = next((p for p in svc["spec"]["ports"] if p["port"] == int(m.group(2))), None)
                    if port is None:
                        errors.append(f"{overlay}: {src_app} {k} → {m.group(1)}:{m.group(2)}: the Service has no such port")
                        continue
                    dst = svc["spec"]["selector"].get("app.kubernetes.io/name")
                    target = port.get("targetPort", port["port"])
                    dst_spec = next((pod_spec(o) for o in docs if pod_spec(o) is not None and pod_labels(o).get("app.kubernetes.io/name") == dst), None)
                    if isinstance(target, str) and dst_spec:
                        target = next((cp["containerPort"] for _, dc in containers(dst_spec) for cp in dc.get("ports", []) if cp.get("name") == target), target)
                    if not ({(src_app, dst, target), ("any", dst, target), ("platform", dst, target)} & actual):
                        errors.append(f"{overlay}: {src_app} is configured to call {dst}:{target} ({k}) but no NetworkPolicy allows it")
    return errors


def check_capacity() -> list[str]:
    errors = []
    documented = {}
    for row in readme_table("PostgreSQL connections"):  # service | pool | dev max | prod max | dev | prod
        if row[0] == "total":
            documented = {"dev": int(row[4]), "prod": int(row[5]), "prod-ingress": int(row[5])}
    for overlay in OVERLAYS:
        docs = rendered[overlay]
        hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in by_kind(docs, "HorizontalPodAutoscaler")}
        lines = []
        total = 0
        for obj in by_kind(docs, "Deployment"):
            spec = pod_spec(obj)
            for role, c in containers(spec):
                row, src = service_for(c["image"])
                if row is None or role != "main":
                    continue
                env = env_of(c, docs)
                if not any(k.endswith("DATABASE_URL") or k.endswith("DATABASE__URL") for k in env):
                    continue
                pool = None
                for k, (kind, v) in env.items():
                    if "POOL_SIZE" in k and kind in ("value", "configmap"):
                        pool = int(v)
                if pool is None and src is not None:
                    for key in src.config_keys():
                        if "pool_size" in key.path[-1] and key.default and key.default.isdigit():
                            pool = int(key.default)
                if pool is None:
                    pool = 16  # the services' usual default, when the source is not on this branch
                    notes.append(f"capacity: {overlay} {obj['metadata']['name']}: pool size unknown, counted as 16")
                replicas = hpas[obj["metadata"]["name"]]["spec"]["maxReplicas"] if obj["metadata"]["name"] in hpas else obj["spec"].get("replicas", 1)
                migrate = 1 if spec.get("initContainers") else 0
                total += replicas * (pool + migrate)
                lines.append(f"{obj['metadata']['name']} {replicas}×({pool}+{migrate})")
        if documented.get(overlay) != total:
            errors.append(f"{overlay}: README \"PostgreSQL connections\" says {documented.get(overlay)} connections in total, the manifests make {total}")
        if overlay == "dev":
            pg = find(docs, "StatefulSet", "postgres")
            args = " ".join(pod_spec(pg)["containers"][0].get("args", []))
            m = re.search(r"max_connections=(\d+)", args)
            max_conn = int(m.group(1)) if m else 100
            budget = max_conn - 3  # superuser_reserved_connections
            if total > budget:
                errors.append(f"dev: connections at the HPA maxima {total} > PostgreSQL's {budget} ({', '.join(lines)})")
            notes.append(f"capacity: dev {total} of {budget} PostgreSQL connections ({', '.join(lines)})")
        else:
            ini = (K8S / "components/pgbouncer/pgbouncer.ini").read_text()
            max_client = int(re.search(r"max_client_conn\s*=\s*(\d+)", ini).group(1))
            if total > max_client:
                errors.append(f"{overlay}: client connections at the HPA maxima {total} > PgBouncer max_client_conn {max_client}")
            notes.append(f"capacity: {overlay} {total} client connections to PgBouncer (max_client_conn {max_client})")
    return errors


def check_readme() -> list[str]:
    errors = []
    text = readme()
    blocks = re.findall(r"```(?:sh|bash|shell)?\n(.*?)```", text, re.S)
    commands = [line.strip() for b in blocks for line in b.replace("\\\n", " ").splitlines() if line.strip() and not line.strip().startswith("#")]
    known = {**OVERLAYS, **CLUSTER}
    for cmd in commands:
        for m in re.finditer(r"kubectl (?:apply|delete|diff|kustomize)(?: --server-side)? -k (\S+)", cmd):
            if m.group(1).rstrip("/") not in known.values():
                errors.append(f"README runs `kubectl … -k {m.group(1)}`, which the checks do not render")
        for m in re.finditer(r"kubectl (?:apply|create) -f (\S+)", cmd):
            if m.group(1) not in PLAIN_FILES:
                errors.append(f"README applies {m.group(1)}, which the checks do not validate")
    authctl = service_for("platform/authctl")[1]
    subs = authctl.subcommands() if authctl else set()
    for cmd in commands:
        for m in re.finditer(r"authctl (?:--json )?([a-z-]+) ([a-z-]+)", cmd):
            if m.group(1) not in subs or m.group(2) not in subs:
                errors.append(f"README: `authctl {m.group(1)} {m.group(2)}` is not an authctl command")
    # Objects and ports the commands name exist; first requests hit a route of the gateway.
    dev = rendered["dev"]
    kubectl = " ".join(c for c in commands if c.startswith("kubectl") or "$(kubectl" in c)
    for kind, name in re.findall(r"\b(svc|service|deploy|deployment|statefulset|gateway|secret)/([a-z0-9-]+)", kubectl):
        k = {"svc": "Service", "service": "Service", "deploy": "Deployment", "deployment": "Deployment", "statefulset": "StatefulSet", "gateway": "Gateway", "secret": "Secret"}[kind]
        docs = rendered["prod"] if k == "Gateway" else dev
        if not find(docs, k, name):
            errors.append(f"README names {kind}/{name}, which is not rendered")
    for name, local, remote in re.findall(r"port-forward svc/([a-z0-9-]+) (\d+):(\d+)", text):
        svc = find(dev, "Service", name)
        if svc and int(remote) not in [p["port"] for p in svc["spec"]["ports"]]:
            errors.append(f"README port-forwards svc/{name} port {remote}, which the Service lacks")
    for name in re.findall(r"get gateway ([a-z0-9-]+)", kubectl):
        if not find(rendered["prod"], "Gateway", name):
            errors.append(f"README reads Gateway {name}, which prod does not render")
    routes = gateway_routes()
    requests = [(h, p) for h, p in re.findall(r"https://([a-z0-9.-]+)(/[^\s\"']*)", " ".join(commands))]
    requests += [(h, p) for h, p in re.findall(r'-H "Host: ([a-z0-9.-]+)".*?http://127\.0\.0\.1:\d+(/[^\s"\']*)', " ".join(commands))]
    for host, path in requests:
        if not any(host in hosts and any(path == rp or (rp.endswith("/") and path.startswith(rp)) for rp in paths) for hosts, paths in routes):
            errors.append(f"README requests {host}{path}, which no gateway route serves")
    hosts = public_hosts()
    for h in re.findall(r"https://([a-z0-9.-]+)/", text):
        if h.endswith(tuple(hosts)) is False and h not in hosts and not h.startswith("acme"):
            errors.append(f"README calls https://{h}/, which is not a public host of the gateway")
    for h in hosts:
        if f"https://{h}/" not in text:
            errors.append(f"README has no first request to https://{h}/")
    return errors


def _mutated(check, mutate, expect: str) -> str | None:
    """Runs `check` on a mutated copy of the rendered objects; a problem when it does not report `expect`."""
    import copy

    global rendered
    saved, saved_notes = rendered, list(notes)
    rendered = copy.deepcopy(saved)
    try:
        mutate(rendered)
        errors = check()
    finally:
        rendered = saved
        notes[:] = saved_notes
    if not any(expect in e for e in errors):
        return f"{check.__name__} missed a mutation (expected {expect!r}, got {errors[:3]})"
    return None


def _container(docs, kind, name, container=None):
    obj = find(docs, kind, name)
    return next(c for _, c in containers(pod_spec(obj)) if container is None or c["name"] == container)


def _configmap_of(docs, deployment):
    ref = _container(docs, "Deployment", deployment, deployment)["envFrom"][0]["configMapRef"]["name"]
    return find(docs, "ConfigMap", ref)


def check_selftest() -> list[str]:
    """Each coherence check must catch a typical mistake (mutations of the rendered dev/prod objects)."""
    d = "dev"
    cases = [
        (check_config, lambda r: _container(r[d], "Deployment", "gateway", "gateway")["env"].append({"name": "GATEWAY__NO_SUCH_KEY", "value": "1"}), "GATEWAY__NO_SUCH_KEY is no configuration key"),
        (check_config, lambda r: _configmap_of(r[d], "gateway")["data"].pop("GATEWAY__UPSTREAMS__ADMIN_API"), "GATEWAY__UPSTREAMS__ADMIN_API must be set"),
        (check_config, lambda r: _container(r[d], "Deployment", "auth", "auth")["env"].__setitem__(
            next(i for i, e in enumerate(_container(r[d], "Deployment", "auth", "auth")["env"]) if e["name"] == "AUTH__OPERATOR_TOKEN"),
            {"name": "AUTH__OPERATOR_TOKEN", "value": "x"}), "comes from a value"),
        (check_config, lambda r: _container(r[d], "Deployment", "admin-api", "migrate").__setitem__("args", ["migrat"]), "`migrat` is not a subcommand"),
        (check_config, lambda r: pod_spec(find(r[d], "Deployment", "gateway")).__setitem__("terminationGracePeriodSeconds", 20), "do not fit terminationGracePeriodSeconds"),
        (check_routes_ports, lambda r: _container(r[d], "Deployment", "ratelimit", "ratelimit")["readinessProbe"]["httpGet"].__setitem__("path", "/ready"), "path /ready is served by no route"),
        (check_routes_ports, lambda r: _container(r[d], "Deployment", "partner-api", "partner-api")["ports"][0].__setitem__("containerPort", 9999), "listens on 8102, which is no containerPort"),
        (check_routes_ports, lambda r: find(r["prod"], "Service", "gateway")["spec"]["ports"].append({"name": "internal", "port": 9080, "targetPort": "internal"}), "only the public port"),
        (check_secrets, lambda r: _container(r[d], "Deployment", "auth", "auth")["env"][0]["valueFrom"]["secretKeyRef"].__setitem__("key", "nope"), "key nope is referenced"),
        (check_network, lambda r: find(r[d], "NetworkPolicy", "auth")["spec"]["ingress"][0]["from"].pop(1), "partner-api is configured to call auth:50051"),
        (check_network, lambda r: find(r[d], "NetworkPolicy", "admin-api")["spec"]["ingress"][0].pop("from"), "allow any → admin-api:8101"),
        (check_pod_security, lambda r: pod_spec(find(r[d], "Deployment", "gateway"))["securityContext"].pop("runAsUser"), "runAsUser must be a non-zero number"),
        (check_pod_security, lambda r: find(r[d], "Deployment", "gateway")["spec"].__setitem__("replicas", 2), "owns the count"),
        (check_pod_security, lambda r: _container(r[d], "Deployment", "admin-api", "migrate")["securityContext"]["capabilities"].__setitem__("drop", []), "drop ALL"),
        (check_policy, lambda r: _container(r[d], "Deployment", "gateway", "gateway")["securityContext"].__setitem__("privileged", True), "CKV_K8S_16"),
        (check_capacity, lambda r: _configmap_of(r[d], "auth")["data"].__setitem__("AUTH__DATABASE__POOL_SIZE", "100"), "connections at the HPA maxima"),
    ]
    problems = [p for p in (_mutated(*c) for c in cases) if p]
    rule_cases = [
        ("runbook_url: k8s/RUNBOOK.md#ratelimitfailopen", "runbook_url: k8s/RUNBOOK.md#nosuchsection", "names no section"),
        ('rate(gateway_ratelimit_failures_total{outcome="allowed"}[5m])', 'rate(gateway_ratelimit_failures_totl{outcome="allowed"}[5m])', "gateway_ratelimit_failures_totl is not emitted"),
        ("sum(rate(ratelimit_fallback_total[5m])) > 0", "sum(rate(ratelimit_fallback_total[5m]) > 0", "does not parse"),
    ]
    problems += [p for p in (_mutated_rules(*c) for c in rule_cases) if p]
    return problems


CHECKS = [
    ("render", check_render),
    ("schema", check_schema),
    ("policy", check_policy),
    ("pod-security", check_pod_security),
    ("dockerfile", check_dockerfile),
    ("rules", check_rules),
    ("dashboards", check_dashboards),
    ("config", check_config),
    ("routes-ports", check_routes_ports),
    ("secrets", check_secrets),
    ("network", check_network),
    ("capacity", check_capacity),
    ("readme", check_readme),
    ("selftest", check_selftest),
]


def main() -> int:
    if shutil.which("kubectl") is None:
        print("k8s checks need kubectl (kubectl kustomize)", file=sys.stderr)
        return 1
    only = set(sys.argv[1:])
    passed = failed = 0
    for name, fn in CHECKS:
        if only and name not in only and name != "render":
            continue
        try:
            errors = fn()
        except Exception:
            errors = ["crashed:\n" + traceback.format_exc()]
        errors = list(dict.fromkeys(errors))
        if errors:
            failed += 1
            print(f"FAIL {name}")
            for e in errors:
                print(f"     {e}")
        else:
            passed += 1
            print(f"ok   {name}")
    for n in notes:
        print(f"note {n}")
    print(f"k8s: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
