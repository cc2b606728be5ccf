"""The e2e and bench moto image carries every extension ``devtools/moto_server.py`` imports: the image copies a fixed
list of files (``MOTO_EXTENSION`` in scripts/e2e/prepare.sh), and a module left out of it makes the server fail at
start in the container only (the bench's moto "did not answer")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_moto_image_copies_every_extension_the_server_imports() -> None:
    tree = ast.parse((ROOT / "devtools" / "moto_server.py").read_text(encoding="utf-8"))
    imported = {
        f"devtools/{alias.name}.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "devtools"
        for alias in node.names
    }
    (listed,) = re.findall(r"^MOTO_EXTENSION=\((.*)\)$", (ROOT / "scripts/e2e/prepare.sh").read_text(), re.MULTILINE)
    assert imported
    assert imported <= set(listed.split())
