"""What the code imports is declared in pyproject.toml: the product's imports as dependencies, the tests' and
benches' as dependencies or test extras (a package that only arrives through another one may leave with it)."""

from __future__ import annotations

import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from tests.source_imports import imported_modules

ROOT = Path(__file__).resolve().parent.parent
# Imported only when present (bench/_clients.py falls back to asyncio's loop); arrives with uvicorn[standard].
OPTIONAL = {"uvloop"}


def _name(requirement: str) -> str:
    name = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert name is not None, requirement
    return re.sub(r"[-_.]+", "-", name.group()).lower()


def _imports(folders: list[Path]) -> dict[str, Path]:
    local = {p.stem for p in ROOT.glob("*/*.py")} | {p.name for p in ROOT.iterdir() if p.is_dir()}
    found: dict[str, Path] = {}
    for folder in folders:
        for path in folder.rglob("*.py"):
            for _, name in imported_modules(path):
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local and top != "__future__":
                    found.setdefault(top, path.relative_to(ROOT))
    return found


def _undeclared(imports: dict[str, Path], declared: set[str]) -> list[str]:
    distributions = importlib.metadata.packages_distributions()
    return [
        f"{module} ({where}: {distributions.get(module)})"
        for module, where in sorted(imports.items())
        if module not in OPTIONAL and not {_name(d) for d in distributions.get(module, [module])} & declared
    ]


def test_every_import_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    test = {_name(r) for r in project["optional-dependencies"]["test"]}
    product = [p for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name not in ("tests", "bench")]
    assert not _undeclared(_imports(product), runtime), "imported by the product but not a dependency"
    assert not _undeclared(_imports([ROOT / "tests", ROOT / "bench"]), runtime | test), (
        "imported by tests/bench, undeclared"
    )


def test_tests_only_packages_are_not_runtime_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    assert not runtime & {
        "aiohttp",
        "pytest",
        "httpx",
        "playwright",
    }  # websockets is a runtime dependency (realtime/direct.py)


def test_the_lock_pins_every_declared_package_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for lock, wanted in (
        ("main.txt", project["dependencies"]),
        ("test.txt", project["dependencies"] + project["optional-dependencies"]["test"]),
    ):
        text = (ROOT / "requirements" / lock).read_text()
        pins = dict(re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", text, re.M))
        pins = {_name(k): v for k, v in pins.items()}
        for requirement in wanted:
            exact = re.search(r"==\s*([^\s;,]+)", requirement)
            assert _name(requirement) in pins, f"{requirement} missing from requirements/{lock}: run make lock"
            assert not exact or pins[_name(requirement)] == exact.group(1), (
                f"{requirement}: requirements/{lock} is stale (make lock)"
            )
        assert all("--hash=sha256:" in block for block in re.split(r"\n(?=[A-Za-z0-9])", text) if "==" in block)
