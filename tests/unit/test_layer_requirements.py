"""The third-party layer installs what was locked, file for file: every pin, transitive ones too, carries its hashes."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

LAYER = Path(__file__).resolve().parents[2] / "layers" / "dependencies"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
HASH = re.compile(r"--hash=sha256:([0-9a-f]+)")


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(path: Path) -> list[str]:
    """The requirement lines of a requirements file, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    lines = (line.split(" #")[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in _requirements(path):
        pinned = PIN.match(line)
        assert pinned, f"{path.name}: not pinned with ==: {line!r}"
        pins[_name(pinned[1])] = pinned[2]
    return pins


LOCKED = _requirements(LAYER / "requirements.txt")


@pytest.mark.parametrize("line", LOCKED, ids=[line.split()[0] for line in LOCKED])
def test_every_locked_requirement_is_pinned_with_its_hashes(line: str) -> None:
    assert PIN.match(line), f"not pinned with ==: {line!r}"
    hashes = HASH.findall(line)
    assert hashes, f"no --hash=sha256: for {line.split()[0]}"
    assert all(len(h) == 64 for h in hashes)
    assert not line.startswith("-"), f"an option in the lock file: {line!r}"  # -e, --index-url, -r: none


def test_the_lock_covers_the_transitive_dependencies() -> None:
    # botocore's own dependencies are in the lock, not left to pip (which --require-hashes would refuse anyway)
    locked = _pins(LAYER / "requirements.txt")
    assert {"jmespath", "python-dateutil", "six", "urllib3", "s3transfer"} <= set(locked)


def test_the_lock_pins_what_its_source_pins() -> None:
    # requirements.in is the human-readable source; requirements.txt (make lock) must not have drifted from it
    source = _pins(LAYER / "requirements.in")
    locked = _pins(LAYER / "requirements.txt")
    assert {name: locked.get(name) for name in source} == source


def test_the_layer_build_installs_with_require_hashes() -> None:
    makefile = (LAYER / "Makefile").read_text().replace("\\\n", " ")
    installs = [line for line in makefile.splitlines() if line.startswith("\t") and " pip install " in line]
    assert installs, "no pip install in the layer's Makefile"
    for install in installs:
        assert "--require-hashes" in install.split()
        assert "-r requirements.txt" in install


@pytest.mark.parametrize("package", ["boto3", "botocore"])
def test_the_layer_pins_the_sdk_version_the_tests_run_with(package: str) -> None:
    assert _pins(LAYER / "requirements.txt")[package] == version(package)
    assert _pins(LAYER / "requirements.in")[package] == version(package)
