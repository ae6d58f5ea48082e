"""Run media tests inside a loopback-only network namespace, so nothing they do can leave the machine.

Outside the namespace, the first test of a module runs the whole module once under
`unshare -n sh -c 'ip link set lo up && ...'` (we are root in CI and on the dev box) and every test of
the module then reports its own outcome from that run. Inside (ECABINET_IN_NETNS=1) tests run normally.
Used by tests/media/conftest.py and tests/browser (marker: media)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_NETNS = os.environ.get("ECABINET_IN_NETNS") == "1"
_runs: dict[str, tuple[dict[str, str], str]] = {}


def netns_available() -> bool:
    if not shutil.which("unshare") or not shutil.which("ip"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def _run_module(path: str) -> tuple[dict[str, str], str]:
    if path not in _runs:
        inner = shlex.join(
            [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "-p", "no:randomly", path]
        )
        cmd = ["unshare", "-n", "sh", "-c", f"ip link set lo up && exec env ECABINET_IN_NETNS=1 {inner}"]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
        outcomes = {
            m.group(2): m.group(1)
            for m in re.finditer(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+)", proc.stdout, re.M)
        }
        _runs[path] = (outcomes, proc.stdout[-12000:] + proc.stderr[-4000:])
    return _runs[path]


def reroute(item: pytest.Function) -> None:
    """Make `item` report the outcome of its run inside the namespace instead of running here."""
    nodeid = item.nodeid

    def runtest() -> None:
        outcomes, output = _run_module(nodeid.split("::")[0])
        outcome = outcomes.get(nodeid)
        if outcome == "PASSED" or outcome == "XFAIL":
            return
        if outcome == "SKIPPED":
            pytest.skip("skipped inside the network namespace")
        pytest.fail(f"{outcome or 'no result'} inside the loopback-only network namespace:\n{output}", pytrace=False)

    def setup(*args: Any) -> None:  # fixtures are built inside the namespace, not here
        return None

    item.runtest = runtest  # type: ignore[method-assign]
    item.setup = setup  # type: ignore[method-assign]


def apply(items: list[pytest.Item], selected: Any) -> None:
    for item in items:
        if not selected(item):
            continue
        item.add_marker(pytest.mark.media)
        if IN_NETNS:
            continue
        if not netns_available():
            item.add_marker(pytest.mark.skip(reason="needs `unshare -n` (root) for a loopback-only network namespace"))
        elif isinstance(item, pytest.Function):
            reroute(item)
