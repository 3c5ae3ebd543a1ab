#!/usr/bin/env python3
"""Checks one rendered kustomize overlay (called by scripts/k8s-check.sh).

1. Sorts the documents: core Kubernetes kinds go to a file for
   `kubernetes-validate --strict` (run by the caller); every document of a
   custom kind (CloudNativePG Cluster, ScheduledBackup, Pooler; Gateway API
   Gateway, GRPCRoute; Prometheus Operator PodMonitor, ServiceMonitor,
   PrometheusRule) is validated here with jsonschema against the
   openAPIV3Schema of its version in the CRD found in --schemas-dir
   (made strict: unknown fields are errors). A custom kind whose CRD is
   not there fails; without --schemas-dir these validations are skipped
   with a warning. Any kind that is neither core nor a known custom kind
   fails (no schema to check it against).
2. Checks the wiring the schemas cannot see: namespaces, peer addresses,
   images, references between objects, probes, replicas, network policies,
   the collector's pipeline.

Exit status 0 when everything holds, 1 otherwise (all problems are listed).
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

import jsonschema
import yaml

# apiVersion -> kinds validated by kubernetes-validate (bundled core schemas).
CORE = {
    "v1": {"Namespace", "ServiceAccount", "ConfigMap", "Service", "PersistentVolumeClaim"},
    "apps/v1": {"Deployment"},
    "policy/v1": {"PodDisruptionBudget"},
    "autoscaling/v2": {"HorizontalPodAutoscaler"},
    "networking.k8s.io/v1": {"NetworkPolicy"},
}
CNPG = ("postgresql.cnpg.io/v1", "Cluster")
# Custom kinds the manifests may use; their CRDs are read from --schemas-dir
# (../shared/k8s-schemas), never copied into the repository.
CUSTOM = {
    "postgresql.cnpg.io": {"Cluster", "ScheduledBackup", "Backup", "Pooler"},
    "gateway.networking.k8s.io": {"Gateway", "GRPCRoute"},
    "monitoring.coreos.com": {"PodMonitor", "ServiceMonitor", "PrometheusRule"},
}

SERVICES = {
    "inventory": (50051, "backorder.inventory.v1.InventoryService"),
    "order": (50052, "backorder.order.v1.OrderService"),
    "procurement": (50053, "backorder.procurement.v1.ProcurementService"),
    "notification": (50054, "backorder.notification.v1.NotificationService"),
}
# Who calls whom (the peers each service is configured with).
PEERS = {
    "inventory": {"order", "procurement"},
    "order": {"inventory", "procurement", "notification"},
    "procurement": {"order", "inventory"},
    "notification": set(),
}
# Services external callers reach through the gateway (prod): the storefront,
# the warehouse's and the suppliers' systems (README, "Security").
PUBLIC = {"order", "procurement", "notification"}
# The only namespaces a NetworkPolicy may admit, each to what it needs
# (target pod label, ports); everything else in the namespace comes from
# pod selectors.
CNPG_NS, GATEWAY_NS, MONITORING_NS = "cnpg-system", "gateway-system", "monitoring"
CNPG_METRICS_PORT = 9187
# Alerts the prod overlay must keep (k8s/README.md, "Monitoring").
REQUIRED_ALERTS = {
    "BackorderRpcErrorRate", "BackorderRpcLatencyP99", "BackorderOutboxLag",
    "BackorderOutboxParked", "BackorderNotServing", "BackorderPostgresReplicationLag",
    "BackorderPostgresVolumeFilling", "BackorderPostgresWalVolumeFillsIn6h",
    "BackorderPostgresWalArchiving", "BackorderPostgresBackupTooOld",
    "BackorderPostgresBackupFailed",
}
IMAGE_TAG = "0.1.0"
DRAIN_SECONDS = 35
# How long a peer may still send to a pod that is going: it re-resolves the
# headless name every 10 s and DNS answers may be cached up to 30 s. The
# pod's preStop sleep plus its drain must outlast that.
PEERS_MAY_STILL_CALL_SECONDS = 40
# Plaintext grpc.health.v1 for the kubelet, whose gRPC probes cannot speak TLS.
HEALTH_PORT = 8086


class Loader(yaml.SafeLoader):
    """YAML as Kubernetes reads it: an unquoted date stays a string."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}")

    def check(self, ok: bool, where: str, what: str) -> None:
        if not ok:
            self.add(where, what)


def strict_schema(schema: object) -> object:
    """The CRD schema with `additionalProperties: false` on every object that
    lists its properties: the API server would silently prune an unknown
    (misspelt) field; here it is an error."""
    schema = copy.deepcopy(schema)

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def load_crd_schemas(directory: Path) -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> openAPIV3Schema of every CRD YAML in the directory."""
    schemas: dict[tuple[str, str], dict] = {}
    for path in sorted(directory.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                schema = (version.get("schema") or {}).get("openAPIV3Schema")
                if schema and version.get("served", True):
                    schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


def validate_custom(problems: "Problems", docs: list[dict], schemas_dir: Path | None,
                    cluster_schema: Path | None) -> int:
    """Validates every custom-kind document against its CRD schema; returns
    how many were validated. The Cluster schema may also come alone as JSON
    (--cluster-schema)."""
    if schemas_dir is None and cluster_schema is None:
        if docs:
            kinds = sorted({d["kind"] for d in docs})
            print(f"  WARNING: CRD schema check of {len(docs)} document(s) ({', '.join(kinds)}) "
                  "skipped: no schemas directory", file=sys.stderr)
        return 0
    schemas = load_crd_schemas(schemas_dir) if schemas_dir is not None else {}
    if cluster_schema is not None:
        schemas[CNPG] = json.loads(cluster_schema.read_text())
    validators: dict[tuple[str, str], jsonschema.Draft7Validator] = {}
    checked = 0
    for doc in docs:
        key = (doc.get("apiVersion"), doc.get("kind"))
        if key not in schemas:
            problems.add(ident(doc), f"no CRD schema for {key[0]} {key[1]} in "
                         f"{schemas_dir}; add its CRD there or avoid the kind")
            continue
        if key not in validators:
            validators[key] = jsonschema.Draft7Validator(strict_schema(schemas[key]))
        for error in sorted(validators[key].iter_errors(doc), key=lambda e: list(e.path)):
            path = ".".join(str(p) for p in error.path) or "(root)"
            problems.add(ident(doc), f"CRD schema: {path}: {error.message}")
        checked += 1
    return checked


def ident(doc: dict) -> str:
    meta = doc.get("metadata") or {}
    return f"{doc.get('kind')}/{meta.get('name')}"


def check_transport(problems, where, name, env, mounts, volumes, transport):
    """Mutual TLS: the service's own certificate Secret and the tokens
    Secret mounted, every TLS setting pointing into them, plaintext refused.
    Plaintext: no TLS setting at all."""
    tls_keys = [k for k in env if k.startswith("BACKORDER__TLS__")]
    if transport == "plaintext":
        problems.check(not tls_keys, where, f"plaintext overlay sets {tls_keys}")
        return
    tls = volumes.get("tls", {}).get("secret", {})
    problems.check(tls.get("secretName") == f"{name}-tls", where,
                   f"TLS Secret {tls.get('secretName')!r}, expected {name}-tls")
    tls_dir = mounts.get("tls")
    problems.check(tls_dir is not None, where, "TLS Secret not mounted")
    for key, file in (("CERT_FILE", "tls.crt"), ("KEY_FILE", "tls.key"), ("CA_FILE", "ca.crt")):
        problems.check(env.get(f"BACKORDER__TLS__{key}") == f"{tls_dir}/{file}", where,
                       f"TLS__{key} {env.get(f'BACKORDER__TLS__{key}')!r} is not {file} of the mount")
    problems.check(env.get("BACKORDER__TLS__REQUIRED") == "true", where,
                   "TLS__REQUIRED must be true: never start in plaintext")
    tokens = volumes.get("access-tokens", {}).get("secret", {})
    problems.check(tokens.get("secretName") == "backorder-access-tokens", where,
                   f"tokens Secret {tokens.get('secretName')!r}")
    tokens_dir = mounts.get("access-tokens")
    problems.check(tokens_dir is not None
                   and env.get("BACKORDER__ACCESS__TOKENS_FILE") == f"{tokens_dir}/tokens.toml",
                   where, f"ACCESS__TOKENS_FILE {env.get('BACKORDER__ACCESS__TOKENS_FILE')!r}")


def check_channels(problems, where, env, container, volumes, by_kind, profile):
    """dev: channel logs in an emptyDir. prod: e-mail through the SMTP relay of
    a Secret; the other channels' logs on a ReadWriteMany PVC, one directory
    per pod, never an emptyDir an eviction erases."""
    channels = env.get("BACKORDER__CHANNELS__DIR")
    mount = next((m for m in container.get("volumeMounts", []) if m["name"] == "channels"), {})
    volume = volumes.get("channels", {})
    if profile == "dev":
        problems.check(channels is not None and mount.get("mountPath") == channels
                       and "emptyDir" in volume,
                       where, f"CHANNELS__DIR {channels!r} must be an emptyDir mount")
        return
    claim = volume.get("persistentVolumeClaim", {}).get("claimName")
    pvc = by_kind.get("PersistentVolumeClaim", {}).get(claim or "")
    problems.check(channels is not None and mount.get("mountPath") == channels
                   and "emptyDir" not in volume and pvc is not None
                   and "ReadWriteMany" in pvc["spec"].get("accessModes", []),
                   where, f"prod: CHANNELS__DIR {channels!r} must be a ReadWriteMany "
                   "PersistentVolumeClaim mount, not an emptyDir")
    problems.check(mount.get("subPathExpr") == "$(K8S_POD_NAME)", where,
                   "prod: the channels volume needs one directory per pod (subPathExpr)")
    # The relay's address and login come from the Secret's smtp.toml (the
    # settings file); only the TLS mode and the sender are in the ConfigMap.
    config_file = env.get("BACKORDER_CONFIG_FILE", "")
    relay_mounts = [m for m in container.get("volumeMounts", [])
                    if "secret" in volumes.get(m["name"], {})
                    and any(i.get("key") == "smtp.toml"
                            for i in volumes[m["name"]]["secret"].get("items", []))]
    problems.check(any(config_file == m["mountPath"] + "/smtp.toml" for m in relay_mounts), where,
                   f"prod: BACKORDER_CONFIG_FILE {config_file!r} is not the relay Secret's "
                   "smtp.toml")
    problems.check(env.get("BACKORDER__CHANNELS__SMTP_TLS") in ("starttls", "tls"), where,
                   "prod: SMTP_TLS must be starttls or tls")
    problems.check(not any(k in env for k in ("BACKORDER__CHANNELS__SMTP_ADDRESS",
                                              "BACKORDER__CHANNELS__SMTP_PASSWORD")),
                   where, "prod: the relay's address and password belong in the Secret")


def selects(selector: dict, labels: dict) -> bool:
    """A label selector (matchLabels only) against a pod's labels."""
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def check_namespace_sources(problems, policies):
    """NetworkPolicies admit other namespaces only as planned: the CloudNativePG
    operator to the databases, the gateway to the public services' gRPC
    port, Prometheus to the metrics ports. No rule admits everyone."""
    for policy in policies.values():
        target = (policy["spec"].get("podSelector") or {}).get("matchLabels", {})
        for rule in policy["spec"].get("ingress", []):
            where = ident(policy)
            sources = rule.get("from")
            problems.check(bool(sources), where, "an ingress rule without `from` admits everyone")
            ports = sorted(str(p["port"]) for p in rule.get("ports", []))
            problems.check(bool(ports), where, "an ingress rule without ports admits every port")
            for source in sources or []:
                problems.check("ipBlock" not in source, where, "ipBlock sources are not used")
                ns_sel = source.get("namespaceSelector")
                if ns_sel is None:
                    continue
                ns = (ns_sel.get("matchLabels") or {}).get("kubernetes.io/metadata.name")
                if ns == CNPG_NS:
                    ok = "cnpg.io/cluster" in target and set(ports) <= {"5432", "8000"}
                elif ns == GATEWAY_NS:
                    ok = target.get("app.kubernetes.io/name") in PUBLIC and ports == ["grpc"]
                elif ns == MONITORING_NS:
                    ok = ((target == {"app.kubernetes.io/name": "otel-collector"}
                           and ports == ["prom-metrics"])
                          or (target == {"cnpg.io/podRole": "instance"}
                              and ports == [str(CNPG_METRICS_PORT)]))
                else:
                    ok = False
                problems.check(ok and "podSelector" not in source, where,
                               f"admits namespace {ns!r} to {target} on {ports}: not planned")


def check_clusters(problems, clusters, custom, profile):
    """Every Cluster runs a digest-pinned image; in prod each has WAL archiving
    to an object store with credentials, a daily ScheduledBackup, retained
    storage, required anti-affinity across zones and synchronous replication."""
    scheduled = [d for d in custom if d["kind"] == "ScheduledBackup"]
    for doc in clusters:
        where, spec = ident(doc), doc["spec"]
        name = doc["metadata"]["name"]
        problems.check(re.match(r"^ghcr\.io/cloudnative-pg/postgresql:[^@]+@sha256:[0-9a-f]{64}$",
                                spec.get("imageName", "")) is not None,
                       where, f"imageName {spec.get('imageName')!r} must be pinned by digest")
        if profile != "prod":
            continue
        store = spec.get("backup", {}).get("barmanObjectStore") or {}
        creds = store.get("s3Credentials") or {}
        problems.check(bool(store.get("destinationPath"))
                       and (creds.get("inheritFromIAMRole") is True
                            or (creds.get("accessKeyId", {}).get("name")
                                and creds.get("secretAccessKey", {}).get("name"))
                            or store.get("azureCredentials") or store.get("googleCredentials")),
                       where, "prod: no WAL archiving to an object store with credentials "
                       "(spec.backup.barmanObjectStore)")
        problems.check(bool(spec.get("backup", {}).get("retentionPolicy")), where,
                       "prod: backups need a retentionPolicy")
        problems.check(store.get("serverName") == name, where,
                       f"prod: serverName {store.get('serverName')!r}; the runbook expects it "
                       "explicit (the Cluster's name, or the restore's new one)")
        daily = [b for b in scheduled if b["spec"].get("cluster", {}).get("name") == name
                 and b["spec"].get("method", "barmanObjectStore") == "barmanObjectStore"
                 and not b["spec"].get("suspend")]
        problems.check(len(daily) == 1 and re.match(r"^\S+ \S+ \S+ \* \* \*$",
                                                    daily[0]["spec"]["schedule"]) is not None,
                       where, "prod: needs exactly one daily ScheduledBackup (barmanObjectStore)")
        for volume in ("storage", "walStorage"):
            problems.check(spec.get(volume, {}).get("storageClass") == "backorder-retain", where,
                           f"prod: {volume} must use the retained StorageClass backorder-retain")
        problems.check(spec.get("affinity", {}) == {
            "enablePodAntiAffinity": True, "podAntiAffinityType": "required",
            "topologyKey": "topology.kubernetes.io/zone"}, where,
            "prod: instances must be spread over zones, required")
        sync = spec.get("postgresql", {}).get("synchronous", {})
        problems.check(sync.get("number", 0) >= 1 and sync.get("dataDurability") == "required",
                       where, "prod: synchronous replication with dataDurability required "
                       "(k8s/README.md, Durability)")
    names = {d["metadata"]["name"] for d in clusters}
    for backup in scheduled:
        problems.check(backup["spec"].get("cluster", {}).get("name") in names, ident(backup),
                       "backs up a Cluster that is not in the render")


def check_gateway(problems, custom, services, policies, profile):
    """prod: a Gateway terminating TLS, a GRPCRoute per public service routing
    only that service's RPCs to its Service and port, and a policy admitting
    the gateway's namespace to it. dev: no gateway."""
    gateways = {d["metadata"]["name"]: d for d in custom if d["kind"] == "Gateway"}
    routes = {d["metadata"]["name"]: d for d in custom if d["kind"] == "GRPCRoute"}
    if profile != "prod":
        problems.check(not gateways and not routes, "gateway", "dev exposes nothing")
        return
    for gw in gateways.values():
        for listener in gw["spec"]["listeners"]:
            tls = listener.get("tls", {})
            problems.check(listener.get("protocol") == "HTTPS" and tls.get("mode") == "Terminate"
                           and bool(tls.get("certificateRefs")), ident(gw),
                           f"listener {listener.get('name')}: TLS must terminate at the gateway")
    problems.check(set(routes) == PUBLIC, "gateway",
                   f"GRPCRoutes {sorted(routes)}, expected one per public service {sorted(PUBLIC)}")
    for name, route in routes.items():
        where = ident(route)
        port, grpc_name = SERVICES.get(name, (None, None))
        for parent in route["spec"].get("parentRefs", []):
            problems.check(parent["name"] in gateways, where, f"parent {parent['name']} not rendered")
        for rule in route["spec"].get("rules", []):
            backends = [(b["name"], b.get("port")) for b in rule.get("backendRefs", [])]
            problems.check(backends == [(name, port)] and name in services, where,
                           f"backends {backends}, expected [({name!r}, {port})]")
            matches = rule.get("matches") or []
            problems.check(bool(matches) and all(
                m.get("method", {}).get("service") == grpc_name
                and m.get("method", {}).get("method") for m in matches), where,
                f"every match must name one RPC of {grpc_name}")
        admitted = any(
            selects(p["spec"].get("podSelector", {}), {"app.kubernetes.io/name": name})
            and any((src.get("namespaceSelector") or {}).get("matchLabels", {})
                    .get("kubernetes.io/metadata.name") == GATEWAY_NS
                    for r in p["spec"].get("ingress", []) for src in r.get("from", []))
            for p in policies.values())
        problems.check(admitted, where, f"no NetworkPolicy admits {GATEWAY_NS} to {name}")


def check_monitoring(problems, custom, deployments, policies, profile):
    """Every PodMonitor endpoint is a named port of the pods it selects, and a
    NetworkPolicy admits the monitoring namespace to it; prod has the alerts."""
    monitors = [d for d in custom if d["kind"] == "PodMonitor"]
    rules = [d for d in custom if d["kind"] == "PrometheusRule"]
    if profile == "prod":
        alerts = {r.get("alert") for d in rules for g in d["spec"].get("groups", [])
                  for r in g.get("rules", [])}
        problems.check(REQUIRED_ALERTS <= alerts, "PrometheusRule",
                       f"missing alerts {sorted(REQUIRED_ALERTS - alerts)}")
        problems.check(len(monitors) >= 2, "PodMonitor",
                       "prod needs PodMonitors for the collector and the PostgreSQL instances")
    for monitor in monitors:
        where = ident(monitor)
        selector = monitor["spec"].get("selector", {})
        pods = [d["spec"]["template"] for d in deployments.values()
                if selects(selector, d["spec"]["template"]["metadata"].get("labels", {}))]
        if (selector.get("matchLabels") or {}).get("cnpg.io/podRole") == "instance":
            targets = [({"cnpg.io/podRole": "instance"}, {"metrics": CNPG_METRICS_PORT})]
        else:
            targets = [(p["metadata"]["labels"],
                        {port["name"]: port["containerPort"]
                         for c in p["spec"]["containers"] for port in c.get("ports", [])})
                       for p in pods]
        problems.check(bool(targets), where, "selects no pod of the render")
        for endpoint in monitor["spec"].get("podMetricsEndpoints", []):
            port_name = endpoint.get("port")
            for labels, ports in targets:
                problems.check(port_name in ports, where, f"port {port_name!r} is not a "
                               f"named port of the pods {labels}")
                admitted = any(
                    selects(p["spec"].get("podSelector", {}), labels)
                    and any(
                        any((src.get("namespaceSelector") or {}).get("matchLabels", {})
                            .get("kubernetes.io/metadata.name") == MONITORING_NS
                            for src in r.get("from", []))
                        and any(str(pp["port"]) in (port_name, str(ports.get(port_name)))
                                for pp in r.get("ports", []))
                        for r in p["spec"].get("ingress", []))
                    for p in policies.values())
                problems.check(admitted, where, f"no NetworkPolicy admits {MONITORING_NS} "
                               f"to port {port_name} of {labels}")


def check_jaeger(problems, deployments, configmaps):
    """Traces go to Jaeger v2 with a persistent store, not to memory."""
    dep = deployments.get("jaeger")
    if dep is None:
        problems.add("jaeger", "Deployment missing")
        return
    pod = dep["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    problems.check(container["image"].startswith("jaegertracing/jaeger:2."), "jaeger",
                   f"image {container['image']}: Jaeger v2 expected")
    configs = [cm for n, cm in configmaps.items() if n.startswith("jaeger-config")]
    if len(configs) != 1:
        problems.add("jaeger", "exactly one jaeger-config ConfigMap expected")
        return
    config = yaml.safe_load(configs[0]["data"]["config.yaml"])
    backends = config["extensions"]["jaeger_storage"]["backends"]
    for backend_name, backend in backends.items():
        problems.check("memory" not in backend, "jaeger",
                       f"storage backend {backend_name} keeps traces in memory")
        badger = backend.get("badger")
        if badger is not None:
            volumes = {v["name"]: v for v in pod.get("volumes", [])}
            mounts = [m for m in container.get("volumeMounts", [])
                      if "persistentVolumeClaim" in volumes.get(m["name"], {})]
            problems.check(badger.get("ephemeral") is False and all(
                any(str(d).startswith(m["mountPath"] + "/") for m in mounts)
                for d in badger.get("directories", {}).values()), "jaeger",
                f"badger backend {backend_name} must be on a PersistentVolumeClaim mount")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rendered", type=Path)
    parser.add_argument("--core-out", type=Path, required=True)
    parser.add_argument("--cluster-schema", type=Path,
                        help="the Cluster CRD's schema alone, as JSON")
    parser.add_argument("--schemas-dir", type=Path,
                        help="directory of CRD YAMLs for the custom kinds")
    parser.add_argument("--schemas-only", action="store_true",
                        help="sort and validate the documents only, no wiring checks")
    parser.add_argument("--rules-out", type=Path,
                        help="write the PrometheusRule groups here as a plain rules file")
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--replicas", type=int)
    parser.add_argument("--log-format", choices=["text", "json"])
    parser.add_argument("--db-instances", type=int)
    parser.add_argument("--transport", choices=["plaintext", "mtls"])
    parser.add_argument("--profile", choices=["dev", "prod"])
    args = parser.parse_args()
    if args.schemas_dir is not None and not args.schemas_dir.is_dir():
        parser.error(f"--schemas-dir {args.schemas_dir} is not a directory")
    if not args.schemas_only and None in (args.replicas, args.log_format, args.db_instances,
                                          args.transport, args.profile):
        parser.error("--replicas, --log-format, --db-instances, --transport and --profile "
                     "are required unless --schemas-only")

    problems = Problems()
    docs = [d for d in yaml.load_all(args.rendered.read_text(), Loader=Loader) if d]
    ns = args.namespace

    by_kind: dict[str, dict[str, dict]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc

    # --- 1. schemas -------------------------------------------------------
    core, custom = [], []
    for doc in docs:
        api, kind = doc.get("apiVersion"), doc.get("kind")
        if kind in CORE.get(api, ()):
            core.append(doc)
        elif kind in CUSTOM.get(str(api).split("/")[0], ()):
            custom.append(doc)
        else:
            problems.add(ident(doc), f"{api} {kind} has no schema in this check; "
                         "add one (see scripts/k8s-check.sh) or avoid the kind")
    args.core_out.write_text(yaml.safe_dump_all(core, sort_keys=False))
    clusters = [d for d in custom if (d.get("apiVersion"), d.get("kind")) == CNPG]

    # Without the schemas only this validation is skipped: the documents stay
    # in `custom`, which the wiring checks below need (databases exist,
    # instances, backups, routes, network policies).
    validated = validate_custom(problems, custom, args.schemas_dir, args.cluster_schema)
    if args.rules_out is not None:
        # promtool's format: the groups of every PrometheusRule, as they are.
        groups = [g for d in custom if d["kind"] == "PrometheusRule"
                  for g in d["spec"].get("groups", [])]
        args.rules_out.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    if args.schemas_only:
        return report(problems, f"{len(core)} core documents for kubernetes-validate, "
                      f"{validated} custom documents valid against their CRD schema")

    # --- 2. wiring --------------------------------------------------------
    for doc in docs:
        meta = doc["metadata"]
        if doc["kind"] == "Namespace":
            problems.check(meta["name"] == ns, ident(doc), f"expected namespace {ns}")
            labels = meta.get("labels") or {}
            problems.check(labels.get("pod-security.kubernetes.io/enforce") == "restricted",
                           ident(doc), "Pod Security Admission must enforce restricted")
        else:
            problems.check(meta.get("namespace") == ns, ident(doc),
                           f"namespace {meta.get('namespace')!r}, expected {ns!r}")
    problems.check("Namespace" in by_kind and ns in by_kind["Namespace"], "Namespace",
                   f"the overlay must create namespace {ns}")

    configmaps = by_kind.get("ConfigMap", {})
    services = by_kind.get("Service", {})
    deployments = by_kind.get("Deployment", {})
    policies = by_kind.get("NetworkPolicy", {})
    cluster_names = {d["metadata"]["name"] for d in clusters}
    text = args.rendered.read_text()
    problems.check(".NAMESPACE." not in text, "render",
                   "a peer address still has the NAMESPACE placeholder")

    peer_re = re.compile(
        r"^dns:///(?P<svc>[a-z0-9-]+)-headless\.(?P<ns>[a-z0-9-]+)\.svc\.cluster\.local:(?P<port>\d+)$")

    for name, (port, grpc_name) in SERVICES.items():
        where = f"service {name}"
        dep = deployments.get(name)
        if dep is None:
            problems.add(where, "Deployment missing")
            continue
        spec = dep["spec"]
        pod = spec["template"]["spec"]
        # The HPA owns the count (its minReplicas is checked below): a count
        # in the Deployment would be re-applied over the HPA's on every apply.
        problems.check("replicas" not in spec, where,
                       f"sets replicas {spec.get('replicas')}; leave the count to the HPA")
        (container,) = pod["containers"]
        expected_image = f"ghcr.io/backorder/{name}:{IMAGE_TAG}"
        problems.check(container["image"] == expected_image, where,
                       f"image {container['image']}, expected {expected_image}")
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        problems.check(ports == {"grpc": port, "health": HEALTH_PORT}, where,
                       f"container ports {ports}")

        probes = {k: container.get(k, {}).get("grpc") for k in
                  ("startupProbe", "livenessProbe", "readinessProbe")}
        probe = HEALTH_PORT
        problems.check(probes["startupProbe"] == {"port": probe, "service": "liveness"},
                       where, f"startupProbe {probes['startupProbe']}")
        problems.check(probes["livenessProbe"] == {"port": probe, "service": "liveness"},
                       where, f"livenessProbe {probes['livenessProbe']}")
        problems.check(probes["readinessProbe"] in ({"port": probe, "service": grpc_name},
                                                    {"port": probe, "service": ""}),
                       where, f"readinessProbe {probes['readinessProbe']}")

        # ConfigMap reference and its content.
        refs = [e["configMapRef"]["name"] for e in container.get("envFrom", [])
                if "configMapRef" in e]
        problems.check(len(refs) == 1 and refs[0] in configmaps, where,
                       f"envFrom ConfigMap {refs} not in the render")
        env = configmaps[refs[0]]["data"] if refs and refs[0] in configmaps else {}
        problems.check(env.get("BACKORDER__SERVER__PORT") == str(port), where, "SERVER__PORT")
        problems.check(env.get("BACKORDER__SERVER__HEALTH_PORT") == str(HEALTH_PORT), where,
                       "SERVER__HEALTH_PORT (the probes' port)")
        problems.check(env.get("BACKORDER__TELEMETRY__LOG_FORMAT") == args.log_format, where,
                       f"LOG_FORMAT {env.get('BACKORDER__TELEMETRY__LOG_FORMAT')}")
        problems.check(env.get("OTEL_SERVICE_NAME") == name, where, "OTEL_SERVICE_NAME")
        collector = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
        problems.check(collector == "http://otel-collector:4317" and "otel-collector" in services,
                       where, f"OTLP endpoint {collector!r} (collector Service in the render?)")
        drain = int(env.get("BACKORDER__SERVER__DRAIN_SECONDS", "-1"))
        problems.check(drain == DRAIN_SECONDS, where, f"DRAIN_SECONDS {drain}")
        pre_stop = (container.get("lifecycle", {}).get("preStop", {})
                    .get("sleep", {}).get("seconds", 0))
        grace = pod.get("terminationGracePeriodSeconds", 30)
        problems.check(pre_stop + drain > PEERS_MAY_STILL_CALL_SECONDS, where,
                       f"preStop {pre_stop}s + drain {drain}s does not outlast the "
                       f"{PEERS_MAY_STILL_CALL_SECONDS}s peers may still call a stopping pod")
        problems.check(grace >= pre_stop + drain + 15, where,
                       f"terminationGracePeriodSeconds {grace} leaves too little room "
                       f"after preStop {pre_stop}s + drain {drain}s")

        # Database: URL host, password file from the CNPG secret.
        db = f"{name}-db"
        problems.check(db in cluster_names, where, f"Cluster {db} missing")
        url = env.get("BACKORDER__DATABASE__URL", "")
        problems.check(re.match(rf"^postgres://app@{db}-rw:5432/app(\?.*)?$", url) is not None,
                       where, f"DATABASE__URL {url!r}")
        password_file = env.get("BACKORDER__DATABASE__PASSWORD_FILE", "")
        mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        secret_volume = volumes.get("db-password", {}).get("secret", {})
        problems.check(secret_volume.get("secretName") == f"{db}-app", where,
                       f"password Secret {secret_volume.get('secretName')}, expected {db}-app")
        items = {i["key"]: i["path"] for i in secret_volume.get("items", [])}
        problems.check(
            "db-password" in mounts and items.get("password")
            and password_file == f"{mounts['db-password']}/{items['password']}",
            where, f"PASSWORD_FILE {password_file!r} is not the mounted password key")
        problems.check(mounts.get("tmp") == "/tmp" and "emptyDir" in volumes.get("tmp", {}),
                       where, "/tmp emptyDir")
        check_transport(problems, where, name, env, mounts, volumes, args.transport)
        if name == "notification":
            check_channels(problems, where, env, container, volumes, by_kind, args.profile)
        if args.profile == "prod":
            zones = [c for c in pod.get("topologySpreadConstraints", [])
                     if c.get("topologyKey") == "topology.kubernetes.io/zone"]
            problems.check(len(zones) == 1 and zones[0].get("whenUnsatisfiable") == "DoNotSchedule",
                           where, "prod: zone spread must be required (DoNotSchedule)")

        # Peers: headless Services of this namespace, right ports.
        peers = {k.removeprefix("BACKORDER__PEERS__").lower(): v
                 for k, v in env.items() if k.startswith("BACKORDER__PEERS__")}
        problems.check(set(peers) == PEERS[name], where,
                       f"peers {sorted(peers)}, expected {sorted(PEERS[name])}")
        for peer, address in peers.items():
            m = peer_re.match(address)
            if not m:
                problems.add(where, f"peer {peer} address {address!r} is not dns:///<headless>...")
                continue
            headless = services.get(f"{m['svc']}-headless")
            problems.check(m["svc"] == peer and m["ns"] == ns, where,
                           f"peer {peer} address {address!r} (namespace {ns})")
            problems.check(headless is not None and headless["spec"].get("clusterIP") == "None"
                           and int(m["port"]) == SERVICES[peer][0]
                           and any(p["port"] == SERVICES[peer][0]
                                   for p in headless["spec"]["ports"]),
                           where, f"peer {peer}: no headless Service on port {m['port']}")

        # Services: ClusterIP and headless, port named grpc.
        for svc_name, headless in ((name, False), (f"{name}-headless", True)):
            svc = services.get(svc_name)
            if svc is None:
                problems.add(where, f"Service {svc_name} missing")
                continue
            problems.check((svc["spec"].get("clusterIP") == "None") == headless, where,
                           f"Service {svc_name} clusterIP")
            problems.check(svc["spec"].get("selector") == {"app.kubernetes.io/name": name},
                           where, f"Service {svc_name} selector")
            (svc_port,) = svc["spec"]["ports"]
            problems.check(svc_port["name"] == "grpc" and svc_port["port"] == port
                           and svc_port.get("appProtocol") in ("grpc", "kubernetes.io/h2c"),
                           where, f"Service {svc_name} port {svc_port}")

        # Ingress: exactly the services that have this one as a peer.
        callers = {caller for caller, targets in PEERS.items() if name in targets}
        policy = policies.get(name)
        if policy is None:
            problems.add(where, "NetworkPolicy missing")
        else:
            admitted, ports_ok = set(), True
            for rule in policy["spec"].get("ingress", []):
                for source in rule.get("from", []):
                    admitted.add((source.get("podSelector") or {}).get("matchLabels", {})
                                 .get("app.kubernetes.io/name", "<not a service pod>"))
                ports_ok &= [p["port"] for p in rule.get("ports", [])] in (["grpc"], [port])
            problems.check(admitted == callers and ports_ok, where,
                           f"NetworkPolicy admits {sorted(admitted)}, expected {sorted(callers)} "
                           "on the grpc port only")

    check_namespace_sources(problems, policies)
    check_clusters(problems, clusters, custom, args.profile)
    check_gateway(problems, custom, services, policies, args.profile)
    check_monitoring(problems, custom, deployments, policies, args.profile)
    check_jaeger(problems, deployments, configmaps)

    problems.check("default-deny-ingress" in policies
                   and policies["default-deny-ingress"]["spec"].get("podSelector") == {},
                   "NetworkPolicy", "default-deny-ingress missing")
    for doc in clusters:
        instances = doc["spec"].get("instances")
        problems.check(instances == args.db_instances, ident(doc),
                       f"instances {instances}, expected {args.db_instances}")
        problems.check(bool(doc["spec"].get("storage", {}).get("size")), ident(doc),
                       "storage size")
        initdb = doc["spec"].get("bootstrap", {}).get("initdb", {})
        problems.check((initdb.get("database"), initdb.get("owner")) == ("app", "app"),
                       ident(doc), "bootstrap.initdb database/owner must be app/app")
        problems.check(doc["metadata"]["name"] in policies, ident(doc),
                       "no NetworkPolicy admits the service to its database")

    for hpa in by_kind.get("HorizontalPodAutoscaler", {}).values():
        problems.check(hpa["spec"]["minReplicas"] == args.replicas, ident(hpa),
                       f"minReplicas {hpa['spec']['minReplicas']} != replicas {args.replicas}")

    # One pod down at a time: drains go on with one replica, never take two.
    pdbs = by_kind.get("PodDisruptionBudget", {})
    problems.check(len(pdbs) >= len(SERVICES), "PodDisruptionBudgets",
                   f"{len(pdbs)} found, expected one per service")
    for pdb in pdbs.values():
        problems.check(pdb["spec"].get("maxUnavailable") == 1
                       and "minAvailable" not in pdb["spec"], ident(pdb),
                       "must be maxUnavailable: 1 (and no minAvailable)")

    # Every workload image pinned to a tag, never latest.
    for dep in deployments.values():
        for c in dep["spec"]["template"]["spec"]["containers"]:
            image = c["image"]
            tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
            problems.check(tag not in ("", "latest"), ident(dep), f"image {image} not pinned")

    # The collector's pipeline refers only to components it defines.
    collector_cm = [cm for n, cm in configmaps.items() if n.startswith("otel-collector-config")]
    if len(collector_cm) != 1:
        problems.add("otel-collector", "exactly one otel-collector-config ConfigMap expected")
    else:
        config = yaml.safe_load(collector_cm[0]["data"]["config.yaml"])
        for pipeline_name, pipeline in config["service"]["pipelines"].items():
            for section in ("receivers", "processors", "exporters"):
                for component in pipeline.get(section, []):
                    problems.check(component in (config.get(section) or {}), "otel-collector",
                                   f"pipeline {pipeline_name} uses undefined {section[:-1]} "
                                   f"{component}")
        for ext in config["service"].get("extensions", []):
            problems.check(ext in (config.get("extensions") or {}), "otel-collector",
                           f"undefined extension {ext}")
        exporters = config.get("exporters") or {}
        jaeger_ok = any(e.get("endpoint") == "jaeger:4317" for e in exporters.values())
        problems.check(jaeger_ok and "jaeger" in services, "otel-collector",
                       "no exporter to the jaeger Service on 4317")
        # Metrics: OTLP in, Prometheus out on the container's prom-metrics port,
        # names as the rules expect them (no suffixes, resource attributes as labels).
        prom = exporters.get("prometheus") or {}
        metrics = config["service"]["pipelines"].get("metrics", {})
        collector_dep = deployments.get("otel-collector")
        prom_port = None
        if collector_dep is not None:
            (cc,) = collector_dep["spec"]["template"]["spec"]["containers"]
            prom_port = {p["name"]: p["containerPort"] for p in cc.get("ports", [])}.get("prom-metrics")
        problems.check("otlp" in metrics.get("receivers", [])
                       and "prometheus" in metrics.get("exporters", []), "otel-collector",
                       "no metrics pipeline from otlp to the prometheus exporter")
        problems.check(prom.get("resource_to_telemetry_conversion", {}).get("enabled") is True
                       and prom.get("add_metric_suffixes") is False, "otel-collector",
                       "prometheus exporter: resource_to_telemetry_conversion must be on and "
                       "add_metric_suffixes off (the rules use the plain names)")
        problems.check(prom_port is not None
                       and str(prom.get("endpoint", "")).endswith(f":{prom_port}"),
                       "otel-collector", f"prometheus exporter endpoint {prom.get('endpoint')!r} "
                       f"is not the container's prom-metrics port {prom_port}")

    checked = (f"{validated} valid against their CRD schema" if validated
               else "wired (CRD schemas not checked)")
    return report(problems, f"{len(core)} core documents for kubernetes-validate, "
                  f"{len(custom)} custom documents {checked}")


def report(problems: Problems, summary: str) -> int:
    for problem in problems.items:
        print(f"  FAIL {problem}", file=sys.stderr)
    print(f"  {summary}" if not problems.items else f"  {len(problems.items)} problem(s)")
    return 1 if problems.items else 0


if __name__ == "__main__":
    sys.exit(main())
