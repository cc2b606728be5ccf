"""trim_botocore.py DATA_DIR SERVICE...: keep botocore's data for the services the bot calls, and nothing else.

Called by layers/dependencies/Makefile. botocore ships the models of 400+ services (27 MB) and one endpoints.json
(1.25 MB) that every client parses when the first one is built (~18 ms on a full core, ~60 ms at 512 MB). Both are
cut to SERVICE...: the model folders, and each partition's endpoint entries, which are keyed by the model's
``endpointPrefix`` (cloudwatch is ``monitoring``). A service missing from endpoints.json would still resolve from its
partition's defaults and its endpoint rule set, but without its model it cannot be built at all: adding a service
means adding it to KEEP_SERVICES, which tests/unit/test_sdk_operations.py checks against REQUIRED_OPERATIONS.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from pathlib import Path


def endpoint_prefix(model_dir: Path) -> str:
    latest = max(path for path in model_dir.iterdir() if path.is_dir())
    for name in ("service-2.json.gz", "service-2.json"):
        path = latest / name
        if path.exists():
            raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
            return str(json.loads(raw)["metadata"]["endpointPrefix"])
    raise SystemExit(f"{latest} has no service-2.json")


def trim(data: Path, keep: set[str]) -> tuple[int, int]:
    missing = sorted(name for name in keep if not (data / name).is_dir())
    if missing:
        raise SystemExit(f"botocore has no model for {', '.join(missing)}")
    removed = 0
    for model_dir in data.iterdir():
        if model_dir.is_dir() and model_dir.name not in keep:
            shutil.rmtree(model_dir)
            removed += 1
    prefixes = {endpoint_prefix(data / name) for name in keep}
    endpoints_file = data / "endpoints.json"
    endpoints = json.loads(endpoints_file.read_text())
    for partition in endpoints["partitions"]:
        partition["services"] = {k: v for k, v in partition["services"].items() if k in prefixes}
    endpoints_file.write_text(json.dumps(endpoints, separators=(",", ":")))
    return removed, endpoints_file.stat().st_size


if __name__ == "__main__":
    removed, size = trim(Path(sys.argv[1]), set(sys.argv[2:]))
    print(f"botocore data: kept {len(sys.argv) - 2} services, removed {removed}; endpoints.json now {size:,} bytes")
