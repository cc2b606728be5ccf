"""scripts/trim_botocore.py: the dependencies layer keeps botocore's data for the bot's services only, and every
client the bot builds from the trimmed data resolves the same af-south-1 endpoint as from botocore's full data."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import botocore
import botocore.session
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _kept_services() -> set[str]:
    makefile = (ROOT / "layers" / "dependencies" / "Makefile").read_text()
    (line,) = [line for line in makefile.splitlines() if line.startswith("KEEP_SERVICES :=")]
    return set(line.split(":=", 1)[1].split())


def _trim_module() -> Any:
    spec = importlib.util.spec_from_file_location("trim_botocore", ROOT / "scripts" / "trim_botocore.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trimmed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("botocore") / "data"
    shutil.copytree(Path(botocore.__file__).parent / "data", data)
    _trim_module().trim(data, _kept_services())
    return data


def _endpoint(service: str, data_path: Path | None) -> str:
    session = botocore.session.Session()
    if data_path is not None:  # searched before botocore's own data, so the trimmed endpoints.json wins
        session.set_config_variable("data_path", str(data_path))
    client = session.create_client(service, region_name="af-south-1", aws_access_key_id="x", aws_secret_access_key="y")
    return str(client.meta.endpoint_url)


def test_only_the_kept_models_remain_and_endpoints_json_shrinks(trimmed: Path) -> None:
    assert {path.name for path in trimmed.iterdir() if path.is_dir()} == _kept_services()
    endpoints = json.loads((trimmed / "endpoints.json").read_text())
    aws = next(p for p in endpoints["partitions"] if p["partition"] == "aws")
    assert "monitoring" in aws["services"]  # CloudWatch is kept under its endpoint prefix, not its model name
    assert "s3" not in aws["services"]
    assert (trimmed / "endpoints.json").stat().st_size < 100_000  # from about 1.25 MB


@pytest.mark.parametrize("service", sorted(_kept_services()))
def test_every_kept_service_resolves_the_same_endpoint_from_the_trimmed_data(trimmed: Path, service: str) -> None:
    assert _endpoint(service, trimmed) == _endpoint(service, None)


def test_a_service_botocore_does_not_know_fails_the_build(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(SystemExit, match="no model for nosuchservice"):
        _trim_module().trim(data, {"nosuchservice"})
