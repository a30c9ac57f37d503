"""README's "Layout" and the import-linter contract in pyproject.toml name the same layers, in order,
and every package and top-level module of backstride sits in one of them."""

from __future__ import annotations

import pkgutil
import re
import tomllib
from pathlib import Path

import backstride

ROOT = Path(__file__).resolve().parents[1]


def _contract_layers() -> list[set[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    layers: list[str] = contract["layers"]
    return [{name.strip().removeprefix("backstride.") for name in layer.split("|")} for layer in layers]


def _readme_layers() -> list[set[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [
        {name.removesuffix("/").removesuffix(".py") for name in re.findall(r"`([^`]+)`", row.split("|")[1])}
        for row in rows
    ]


def test_readme_and_contract_agree_on_the_layers() -> None:
    assert _readme_layers() == _contract_layers()


def test_every_package_and_module_has_a_layer() -> None:
    placed = set().union(*_contract_layers())
    own = {info.name for info in pkgutil.iter_modules(backstride.__path__)} - {"__main__"}
    assert own == placed, (own - placed, placed - own)
