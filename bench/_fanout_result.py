"""What one run of bench/fanout.py measured (`Result`), and how the runs are printed: a row per run, and each
variant's p99 over the Node reference's in the same round."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from _common import pct


@dataclass
class Result:
    variant: str
    n: int
    connected: int = 0
    connect_s: float = 0.0
    sent: int = 0
    failed_steps: int = 0
    expected: int = 0
    received: int = 0
    out_of_order: int = 0
    lat_sent: list[float] = field(default_factory=list)  # driver's request sent -> client receive, ms (the user's view)
    lat: list[float] = field(default_factory=list)  # at -> client receive, ms
    lat_ret: list[float] = field(default_factory=list)  # driver's request returned -> client receive, ms
    commit: list[float] = field(default_factory=list)  # at -> driver's request returned, ms
    deliveries_per_s: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    rss_before: float = 0.0
    rss_after: float = 0.0
    errors: list[str] = field(default_factory=list)
    lost_clients: int = 0
    closed: list[str] = field(default_factory=list)
    lost_seqs: set[int] = field(default_factory=set)
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    server_cpu_s: float = 0.0
    sample: Any = None
    per_tap: dict[float, list[float]] = field(default_factory=dict)  # request sent (wall s) -> its latencies, ms


HEADER = (
    f"{'variant':<16}{'N':>5}{'conn':>6}{'events':>7}{'expect':>8}{'recvd':>8}{'lost':>6}"
    f"{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}{'at p99':>8}{'ret p99':>9}{'deliv/s':>9}{'srv CPU':>8}{'cli CPU':>8}"
    f"{'RSS MB':>8}{'KB/conn':>8}{'us/dlv':>7}{'load1':>6}"
)


def row(r: Result) -> str:
    per_conn = (r.rss_after - r.rss_before) * 1024 / max(r.connected, 1)
    return (
        f"{r.variant:<16}{r.n:>5}{r.connected:>6}{r.sent:>7}{r.expected:>8}{r.received:>8}{r.expected - r.received:>6}"
        f"{pct(r.lat_sent, 50):>8.1f}{pct(r.lat_sent, 95):>8.1f}{pct(r.lat_sent, 99):>8.1f}"
        f"{max(r.lat_sent, default=float('nan')):>8.1f}{pct(r.lat, 99):>8.1f}"
        f"{pct(r.lat_ret, 99):>9.1f}{r.deliveries_per_s:>9.0f}{r.server_cpu:>7.0f}%{r.client_cpu:>7.0f}%"
        f"{r.rss_after:>8.0f}{per_conn:>8.1f}{1e6 * r.server_cpu_s / max(r.received, 1):>7.0f}{r.load[0]:>6.1f}"
    )


def print_ratios(results: list[Result], per_round: int) -> None:
    """Each variant's p99 over the Node reference's p99 of the same round (the variants run back to back, so
    a slower minute of the machine hits both), and over all rounds: the median and how many are <= 1.0."""
    rounds = [results[i : i + per_round] for i in range(0, len(results), per_round)]
    ratios: dict[tuple[int, str], list[float]] = {}
    for batch in rounds:
        node = next((r for r in batch if r.variant == "node" and r.lat_sent), None)
        for r in batch:
            if node is not None and r is not node and r.lat_sent:
                ratios.setdefault((r.n, r.variant), []).append(pct(r.lat_sent, 99) / pct(node.lat_sent, 99))
    if not ratios:
        return
    print("p99 / Node's p99 in the same round (rounds run back to back):")
    for (n, variant), values in ratios.items():
        listed = " ".join(f"{v:.2f}" for v in values)
        met, median = sum(1 for v in values if v <= 1.0), statistics.median(values)
        print(f"  {variant:<16}{n:>5}  {listed}   median {median:.2f}, <= 1.0 in {met} of {len(values)}")


def print_taps(r: Result, worst: int = 5) -> None:
    """--per-tap: is the p99 a few slow taps (a pause: GC, a disk flush, other work) or every tap's last tablets?
    Each tap's median and slowest tablet, summarised over the taps, and the slowest taps with the second of the
    minute their request was sent (work the server does on the clock shows as the same second in every run)."""
    if not r.per_tap:
        return
    med = {sent: statistics.median(v) for sent, v in r.per_tap.items()}
    top = {sent: max(v) for sent, v in r.per_tap.items()}
    meds, tops = sorted(med.values()), sorted(top.values())
    print(
        f"    {r.variant} {r.n}: per tap, median tablet p50 {pct(meds, 50):.1f} p90 {pct(meds, 90):.1f} max "
        f"{meds[-1]:.1f}; slowest tablet p50 {pct(tops, 50):.1f} p90 {pct(tops, 90):.1f} max {tops[-1]:.1f} ms"
    )
    slow = sorted(med, key=lambda s: med[s], reverse=True)[:worst]
    print(
        "      slowest taps (second of the minute: median / slowest ms): "
        + ", ".join(f"{s % 60:.1f}s: {med[s]:.1f}/{top[s]:.1f}" for s in slow)
    )
