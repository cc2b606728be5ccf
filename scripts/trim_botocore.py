"""trim_botocore.py DATA_DIR OPERATIONS_FILE SERVICE...: keep botocore's data for the operations the bot calls only.

Called by layers/dependencies/Makefile. botocore ships the models of 400+ services (27 MB) and one endpoints.json
(1.25 MB) that every client parses when the first one is built (~18 ms on a full core, ~60 ms at 512 MB). Both are
cut to SERVICE...: the model folders, and each partition's endpoint entries, which are keyed by the model's
``endpointPrefix`` (cloudwatch is ``monitoring``). A service missing from endpoints.json would still resolve from its
partition's defaults and its endpoint rule set, but without its model it cannot be built at all: adding a service
means adding it to KEEP_SERVICES, which tests/unit/test_sdk_operations.py checks against REQUIRED_OPERATIONS.

Building a client parses its whole service model, mostly documentation (ECS: 1.3 MB of JSON). So each kept service
named in OPERATIONS_FILE's ``REQUIRED_OPERATIONS`` (opsbot/aws/sdk_operations.py, read by path: this runs on the
build host's python3, without boto3 or opsbot) is cut, in its latest API version folder (botocore's loader never
reads older ones unless a client asks for an api_version, which the bot does not), to those operations, the shapes
they reach and their paginators and waiters, without documentation, and written as plain ``service-2.json``, which
the loader tries before ``.json.gz``. A kept service not named there (sts, for credentials) is left whole.
"""

from __future__ import annotations

import gzip
import json
import re
import runpy
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

# Operations botocore.xform_name does not derive by its rule (it has a table of them); only those of kept services
# are needed: tests/unit/test_trim_botocore.py compares every operation of every kept service with botocore's.
_IRREGULAR_NAMES = {
    "ExecutePartiQLStatement": "execute_partiql_statement",
    "ExecutePartiQLTransaction": "execute_partiql_transaction",
    "ExecutePartiQLBatch": "execute_partiql_batch",
    "GetOTelEnrichment": "get_otel_enrichment",
    "StartOTelEnrichment": "start_otel_enrichment",
    "StopOTelEnrichment": "stop_otel_enrichment",
    "UpdateOTelEnrichment": "update_otel_enrichment",
}
_DOC_KEYS = ("documentation", "documentationUrl")


class Summary(NamedTuple):
    removed: int  # service folders deleted
    endpoints_size: int
    services_cut: int
    operations: int  # kept in the cut services
    size_before: int  # of DATA_DIR, bytes
    size_after: int


def xform_name(name: str) -> str:
    """botocore.xform_name(name): the client method name of a model operation (``DescribeDBSnapshots`` ->
    ``describe_db_snapshots``)."""
    if name in _IRREGULAR_NAMES:
        return _IRREGULAR_NAMES[name]
    if "_" in name:
        return name
    special = re.search("[A-Z]{2,}s$", name)  # ARNs -> _arns
    if special:
        name = f"{name[: -len(special.group())]}_{special.group().lower()}"
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def load_operations(path: Path) -> dict[str, tuple[str, ...]]:
    operations = runpy.run_path(str(path))["REQUIRED_OPERATIONS"]
    return {str(service): tuple(names) for service, names in operations.items()}


def _read(stem: Path) -> Any:
    """A model file by its name without extension, as botocore's loader finds it (``.json`` first)."""
    plain, packed = stem.with_name(stem.name + ".json"), stem.with_name(stem.name + ".json.gz")
    if plain.exists():
        return json.loads(plain.read_bytes())
    if packed.exists():
        return json.loads(gzip.decompress(packed.read_bytes()))
    return None


def _write(stem: Path, data: Any) -> None:
    stem.with_name(stem.name + ".json").write_text(
        json.dumps(data, separators=(",", ":"), ensure_ascii=False), encoding="utf-8"
    )
    stem.with_name(stem.name + ".json.gz").unlink(missing_ok=True)


def _remove(stem: Path) -> None:
    for suffix in (".json", ".json.gz"):
        stem.with_name(stem.name + suffix).unlink(missing_ok=True)


def _merged(folder: Path, type_name: str) -> Any:
    """A model with its ``.sdk-extras`` merged in, as botocore's loader does (utils.deep_merge); the extras file is
    removed, since its entries for dropped operations or shapes would be merged back as fragments."""
    model = _read(folder / type_name)
    extras = _read(folder / f"{type_name}.sdk-extras")
    if model is not None and extras is not None:
        _deep_merge(model, extras.get("merge", {}))
    _remove(folder / f"{type_name}.sdk-extras")
    return model


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = value


def _shape_refs(node: Any) -> Iterator[str]:
    """Every shape a model fragment references: ``{"shape": NAME}`` in input, output, errors, members, member, key,
    value, whatever nests them."""
    if isinstance(node, dict):
        if isinstance(node.get("shape"), str):
            yield node["shape"]
        for value in node.values():
            yield from _shape_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _shape_refs(value)


def _without_docs(node: Any) -> Any:
    # Only string values: a structure may have a member called "documentation", whose value is a dict.
    if isinstance(node, dict):
        return {k: _without_docs(v) for k, v in node.items() if not (k in _DOC_KEYS and isinstance(v, str))}
    if isinstance(node, list):
        return [_without_docs(value) for value in node]
    return node


def latest_version(model_dir: Path) -> Path:
    """The folder botocore's loader picks (determine_latest_version: the greatest name holding a service-2)."""
    versions = [path for path in model_dir.iterdir() if path.is_dir() and _has(path / "service-2")]
    if not versions:
        raise SystemExit(f"{model_dir} has no service-2.json")
    return max(versions)


def _has(stem: Path) -> bool:
    return any(stem.with_name(stem.name + suffix).exists() for suffix in (".json", ".json.gz"))


def cut_service(model_dir: Path, wanted: Sequence[str]) -> int:
    """Cut one service's data to the ``wanted`` operations (client method names); returns how many are kept."""
    latest = latest_version(model_dir)
    for path in model_dir.iterdir():
        if path.is_dir() and path != latest:
            shutil.rmtree(path)
    model = _merged(latest, "service-2")
    by_method = {xform_name(name): name for name in model["operations"]}
    missing = [name for name in wanted if name not in by_method]
    if missing:
        raise SystemExit(f"botocore's {model_dir.name} model has no {', '.join(missing)}")
    kept = {by_method[name] for name in wanted}
    # The endpoint-discovery operation (DynamoDB DescribeEndpoints) is kept so that turning discovery on behaves
    # as with the full model.
    kept |= {name for name, operation in model["operations"].items() if operation.get("endpointoperation")}
    model["operations"] = {name: op for name, op in model["operations"].items() if name in kept}
    shapes: dict[str, Any] = model["shapes"]
    reached: set[str] = set()
    pending = list(_shape_refs(model["operations"]))
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending.extend(_shape_refs(shapes[name]))
    model["shapes"] = {name: shape for name, shape in shapes.items() if name in reached}
    _write(latest / "service-2", _without_docs(model))

    paginators = _merged(latest, "paginators-1")
    if paginators is not None:
        paginators["pagination"] = {k: v for k, v in paginators["pagination"].items() if k in kept}
        _write(latest / "paginators-1", paginators)
    waiters = _merged(latest, "waiters-2")
    if waiters is not None:
        waiters["waiters"] = {k: v for k, v in waiters["waiters"].items() if v["operation"] in kept}
        _write(latest / "waiters-2", waiters)
    _remove(latest / "examples-1")  # documentation only
    return len(kept)


def endpoint_prefix(model_dir: Path) -> str:
    return str(_read(latest_version(model_dir) / "service-2")["metadata"]["endpointPrefix"])


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def trim(data: Path, keep: set[str], required: Mapping[str, Sequence[str]]) -> Summary:
    missing = sorted(name for name in keep if not (data / name).is_dir())
    if missing:
        raise SystemExit(f"botocore has no model for {', '.join(missing)}")
    unkept = sorted(set(required) - keep)
    if unkept:
        raise SystemExit(f"REQUIRED_OPERATIONS names services the layer does not keep: {', '.join(unkept)}")
    before = _size(data)
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
    operations = sum(cut_service(data / service, required[service]) for service in sorted(keep & set(required)))
    return Summary(removed, endpoints_file.stat().st_size, len(keep & set(required)), operations, before, _size(data))


if __name__ == "__main__":
    if len(sys.argv) < 4:
        raise SystemExit(__doc__.split("\n", 1)[0] if __doc__ else "usage: trim_botocore.py DATA OPS SERVICE...")
    kept = set(sys.argv[3:])
    summary = trim(Path(sys.argv[1]), kept, load_operations(Path(sys.argv[2])))
    print(
        f"botocore data: kept {len(kept)} services, removed {summary.removed}; {summary.services_cut} cut to "
        f"{summary.operations} operations; {summary.size_before:,} -> {summary.size_after:,} bytes; "
        f"endpoints.json now {summary.endpoints_size:,} bytes"
    )
