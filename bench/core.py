"""How fast is the pure core? `python bench/core.py` prints per-call times and memory.

A `pulumi preview` calls check and diff once per service; a stack of a few hundred
services should spend milliseconds, not seconds, in them. Target: check + diff of a
fully specified service under 1 ms, and no growth in memory across repeated calls.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

from swarm_provider.core.outputs import live_fields, outputs
from swarm_provider.providers.service import ServiceProvider

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "unit" / "golden" / "full.json"
ROUNDS = 2000


def main() -> None:
    record = json.loads(GOLDEN.read_text())
    provider = ServiceProvider()
    inputs = {**record["inputs"], "owner": "golden/full"}
    state = outputs(record["inspect"], live_fields(record["inspect"], {}), {})

    checked = provider.check({}, inputs).inputs
    timings = {}
    for label, call in (
        ("check", lambda: provider.check({}, inputs)),
        ("diff", lambda: provider.diff("id", state, checked)),
        ("read-back", lambda: live_fields(record["inspect"], {})),
    ):
        start = time.perf_counter()
        for _ in range(ROUNDS):
            call()
        timings[label] = (time.perf_counter() - start) / ROUNDS * 1e6

    tracemalloc.start()
    for _ in range(ROUNDS):
        provider.diff("id", state, provider.check({}, inputs).inputs)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"fully specified service ({len(checked)} inputs), {ROUNDS} rounds:")
    for label, micros in timings.items():
        print(f"  {label:<10} {micros:8.1f} us/call")
    total = timings["check"] + timings["diff"]
    print(f"  check+diff {total:8.1f} us/call (target < 1000)")
    print(f"  memory after {ROUNDS} check+diff: {current / 1024:.1f} KiB held, "
          f"{peak / 1024:.1f} KiB peak")


if __name__ == "__main__":
    main()
