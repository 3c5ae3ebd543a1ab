#!/usr/bin/env python3
"""Checks the restore manifest (k8s/restore, rendered) against the rendered
prod overlay (called by scripts/k8s-check.sh).

The restore Cluster must replace a Cluster of the prod overlay under the
same name, recover from the object-store path that Cluster archives to,
archive its own new timeline elsewhere, and otherwise be the same Cluster
(image, instances, storage, replication, zones, resources): a restore that
comes back smaller, unpinned or in one zone is a regression.

Exit status 0 when it holds, 1 otherwise (all problems are listed).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

SAME = ("imageName", "instances", "storage", "walStorage", "postgresql", "affinity",
        "resources", "enableSuperuserAccess")


def main() -> int:
    restore_path, prod_path = map(Path, sys.argv[1:3])
    restores = [d for d in yaml.safe_load_all(restore_path.read_text())
                if d and d.get("kind") == "Cluster"]
    prod = {d["metadata"]["name"]: d for d in yaml.safe_load_all(prod_path.read_text())
            if d and d.get("kind") == "Cluster"}
    problems: list[str] = []
    if not restores:
        problems.append("no Cluster in the restore manifest")
    for doc in restores:
        name, spec = doc["metadata"]["name"], doc["spec"]
        where = f"restore Cluster/{name}"
        if name not in prod:
            problems.append(f"{where}: no Cluster of that name in the prod overlay")
            continue
        live = prod[name]["spec"]
        for key in SAME:
            if spec.get(key) != live.get(key):
                problems.append(f"{where}: {key} differs from the prod overlay's")
        recovery = spec.get("bootstrap", {}).get("recovery")
        if not recovery or set(spec.get("bootstrap", {})) != {"recovery"}:
            problems.append(f"{where}: must bootstrap by recovery only")
            continue
        if (recovery.get("database"), recovery.get("owner")) != ("app", "app"):
            problems.append(f"{where}: recovery database/owner must be app/app")
        sources = {c["name"]: c for c in spec.get("externalClusters", [])}
        source = sources.get(recovery.get("source"), {}).get("barmanObjectStore")
        archive = live.get("backup", {}).get("barmanObjectStore")
        if source is None or archive is None:
            problems.append(f"{where}: recovery source or the prod Cluster's archive missing")
            continue
        for key in ("destinationPath", "endpointURL", "s3Credentials", "azureCredentials",
                    "googleCredentials", "endpointCA"):
            if source.get(key) != archive.get(key):
                problems.append(f"{where}: recovery source {key} is not the prod archive's")
        if source.get("serverName", recovery.get("source")) != archive.get("serverName", name):
            problems.append(f"{where}: recovery source serverName is not the prod archive's")
        new = spec.get("backup", {}).get("barmanObjectStore")
        if new is None:
            problems.append(f"{where}: the restored Cluster must archive its WAL (spec.backup)")
        elif (new.get("destinationPath"), new.get("serverName", name)) == (
                archive.get("destinationPath"), archive.get("serverName", name)):
            problems.append(f"{where}: archives into the path it restores from; "
                            "set a new serverName")
    for problem in problems:
        print(f"  FAIL {problem}", file=sys.stderr)
    if not problems:
        print(f"  {len(restores)} restore Cluster(s) match the prod overlay's archive")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
