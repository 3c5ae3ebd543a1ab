#!/usr/bin/env python3
"""Checks one rendered kustomize overlay (called by scripts/k8s-check.sh).

1. Sorts the documents: core Kubernetes kinds go to a file for
   `kubernetes-validate --strict` (run by the caller); every CloudNativePG
   `Cluster` is validated here against the CRD's openAPIV3Schema with
   jsonschema; any other kind fails (no schema to check it against).
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
    "v1": {"Namespace", "ServiceAccount", "ConfigMap", "Service"},
    "apps/v1": {"Deployment"},
    "policy/v1": {"PodDisruptionBudget"},
    "autoscaling/v2": {"HorizontalPodAutoscaler"},
    "networking.k8s.io/v1": {"NetworkPolicy"},
}
CNPG = ("postgresql.cnpg.io/v1", "Cluster")

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
IMAGE_TAG = "0.1.0"
DRAIN_SECONDS = 35
# How long a peer may still send to a pod that is going: it re-resolves the
# headless name every 10 s and DNS answers may be cached up to 30 s. The
# pod's preStop sleep plus its drain must outlast that.
PEERS_MAY_STILL_CALL_SECONDS = 40
# Plaintext grpc.health.v1 for the kubelet, whose gRPC probes cannot speak TLS.
HEALTH_PORT = 8086


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rendered", type=Path)
    parser.add_argument("--core-out", type=Path, required=True)
    parser.add_argument("--cluster-schema", type=Path)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--replicas", type=int, required=True)
    parser.add_argument("--log-format", choices=["text", "json"], required=True)
    parser.add_argument("--db-instances", type=int, required=True)
    parser.add_argument("--transport", choices=["plaintext", "mtls"], required=True)
    args = parser.parse_args()

    problems = Problems()
    docs = [d for d in yaml.safe_load_all(args.rendered.read_text()) if d]
    ns = args.namespace

    by_kind: dict[str, dict[str, dict]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc

    # --- 1. schemas -------------------------------------------------------
    core, clusters = [], []
    for doc in docs:
        api, kind = doc.get("apiVersion"), doc.get("kind")
        if kind in CORE.get(api, ()):
            core.append(doc)
        elif (api, kind) == CNPG:
            clusters.append(doc)
        else:
            problems.add(ident(doc), f"{api} {kind} has no schema in this check; "
                         "add one (see scripts/k8s-check.sh) or avoid the kind")
    args.core_out.write_text(yaml.safe_dump_all(core, sort_keys=False))

    # Without the schema only this validation is skipped: the Clusters stay
    # in `clusters`, which the wiring checks below need (databases exist,
    # instances, network policies).
    if args.cluster_schema is None:
        print(f"  skipped: CRD schema check of {len(clusters)} Cluster document(s) (no schema)")
    else:
        schema = strict_schema(json.loads(args.cluster_schema.read_text()))
        validator = jsonschema.Draft7Validator(schema)
        for doc in clusters:
            for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
                path = ".".join(str(p) for p in error.path) or "(root)"
                problems.add(ident(doc), f"CRD schema: {path}: {error.message}")

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
            channels = env.get("BACKORDER__CHANNELS__DIR")
            problems.check(channels is not None and mounts.get("channels") == channels
                           and "emptyDir" in volumes.get("channels", {}),
                           where, f"CHANNELS__DIR {channels!r} must be an emptyDir mount")

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

    for problem in problems.items:
        print(f"  FAIL {problem}", file=sys.stderr)
    checked = "valid against the CRD schema" if args.cluster_schema else "wired (schema not checked)"
    print(f"  {len(core)} core documents for kubernetes-validate, {len(clusters)} Cluster "
          f"documents {checked}" if not problems.items else
          f"  {len(problems.items)} problem(s)")
    return 1 if problems.items else 0


if __name__ == "__main__":
    sys.exit(main())
