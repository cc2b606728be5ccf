"""`sam build` ships python3.13 bytecode: Lambda mounts layers and functions read-only, so without it every cold
start compiles every module again (2-3 times slower; docs/benchmarks.md, issue 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = (
    "OpsbotLayer", "DependenciesLayer", "SlackCommandsFunction", "AlarmRemediationFunction", "ElectionScalerFunction",
    "SnapshotsFunction", "CutoverHooksFunction",
)  # fmt: skip


@pytest.mark.parametrize("artifact", ARTIFACTS)
def test_every_module_of_the_artifact_has_python313_bytecode(sam_build: Path, artifact: str) -> None:
    folder = sam_build.parent / artifact
    sources = list(folder.rglob("*.py"))
    assert sources, f"{folder} has no Python"
    missing = [
        str(path.relative_to(folder))
        for path in sources
        if not (path.parent / "__pycache__" / f"{path.stem}.cpython-313.pyc").is_file()
    ]
    assert missing == [], f"{len(missing)} of {len(sources)} modules without bytecode, e.g. {missing[:5]}"


def test_the_dependencies_layer_keeps_only_the_trimmed_endpoints(sam_build: Path) -> None:
    endpoints = sam_build.parent / "DependenciesLayer" / "python" / "botocore" / "data" / "endpoints.json"
    assert endpoints.stat().st_size < 100_000  # botocore's own is ~1.25 MB


def test_the_built_layer_has_every_operation_the_bot_calls_and_no_other(sam_build: Path) -> None:
    # The layer's botocore models are cut to REQUIRED_OPERATIONS at build time: a build cached from before an
    # operation was added would lack it (sam build --no-cached rebuilds)
    import json

    import botocore

    from opsbot.aws.sdk_operations import REQUIRED_OPERATIONS

    data = sam_build.parent / "DependenciesLayer" / "python" / "botocore" / "data"
    for service, operations in REQUIRED_OPERATIONS.items():
        (model_file,) = sorted(data.glob(f"{service}/*/service-2.json"))[-1:]
        built = {botocore.xform_name(name) for name in json.loads(model_file.read_text())["operations"]}
        assert set(operations) <= built, f"{service}: missing {sorted(set(operations) - built)}"
        assert len(built) <= len(operations) + 1, f"{service} keeps operations the bot does not call"
