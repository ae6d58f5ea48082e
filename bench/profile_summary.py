"""bench/profile_summary: a py-spy raw profile (`-f raw`) as time per tap, by function. Printed figures, not a test.

    .venv/bin/python bench/profile_summary.py /tmp/tap.txt --rate 2000 --taps 200 [--top 40] [--thread Main]

A function's figure is inclusive (its callees counted in it, once per sample however often it recurs in the
stack): samples ÷ rate ÷ taps, in ms. With --nonblocking py-spy samples a thread that waits in a system call as
well (an fsync, a lock), so a figure is the wall time a thread spent there, not only its CPU.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"(?P<name>\S+) \((?P<file>[^:()]+?)(?::\d+)?\)$")


def summarise(text: str, thread: str = "") -> tuple[int, Counter[str], Counter[str]]:
    """(samples, inclusive samples per 'function file', samples per thread)."""
    total, functions, threads = 0, Counter[str](), Counter[str]()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if thread and thread not in frames[0]:
            continue
        n = int(count)
        total += n
        threads[frames[0]] += n
        seen: set[str] = set()
        for frame in frames[1:]:
            m = FRAME.match(frame)
            key = f"{m['name']} {Path(m['file']).name}" if m else frame
            if key not in seen:
                seen.add(key)
                functions[key] += n
    return total, functions, threads


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("profile", type=Path)
    p.add_argument("--rate", type=float, required=True, help="py-spy's -r (samples per second)")
    p.add_argument("--taps", type=int, required=True, help="taps in the profiled window (rate x seconds)")
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--thread", default="", help="only threads whose name contains this")
    args = p.parse_args()
    per_tap = 1000 / args.rate / args.taps
    total, functions, threads = summarise(args.profile.read_text(), args.thread)
    print(f"{total} samples, {total * per_tap:.2f} ms a tap in all threads")
    for name, n in threads.most_common(6):
        print(f"{n * per_tap:8.3f} ms  {name}")
    print("inclusive, ms a tap:")
    for name, n in functions.most_common(args.top):
        print(f"{n * per_tap:8.3f}  {name}")


if __name__ == "__main__":
    main()
