"""The long local fuzz of engine.run (not run in CI): `python bench/fuzz_hour.py --minutes 60`.

A supervisor restarts a worker process until the time is up; the worker draws programs
from tests/fuzz_programs.py with Hypothesis and checks each against its oracle. A watchdog
thread writes down a case that hangs, then ends the worker so the supervisor can go on.
Results go to bench/fuzz-log/: stats.json (cases by kind) and failures.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "bench" / "fuzz-log"
HANG_SECONDS = 30.0


def supervise(minutes: float) -> None:
    LOG.mkdir(parents=True, exist_ok=True)
    until = time.time() + minutes * 60
    restarts = 0
    while time.time() < until - 5:
        subprocess.run(
            [sys.executable, __file__, "--worker", str(until), str(restarts)], check=False
        )
        restarts += 1
    stats = json.loads((LOG / "stats.json").read_text()) if (LOG / "stats.json").exists() else {}
    failures = (
        (LOG / "failures.jsonl").read_text().splitlines()
        if (LOG / "failures.jsonl").exists()
        else []
    )
    print(json.dumps({"workers": restarts, **stats, "failure_lines": len(failures)}, indent=1))


def worker(until: float, generation: int) -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))  # never the whole machine
    import fuzz_programs as fp
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    stats_path, fail_path = LOG / "stats.json", LOG / "failures.jsonl"
    stats = (
        json.loads(stats_path.read_text()) if stats_path.exists() else {"cases": 0, "by_kind": {}}
    )
    seen = (
        {json.loads(line)["signature"] for line in fail_path.open()}
        if fail_path.exists()
        else set()
    )
    current: dict = {}
    cwd = tempfile.mkdtemp(prefix="fuzz-cwd-")
    os.chdir(cwd)

    def record(kind: str, source: str, problems: list[str]) -> None:
        signature = re.sub(r"\d+", "N", "; ".join(problems))[:200]
        if signature in seen:
            return
        seen.add(signature)
        with fail_path.open("a") as f:
            f.write(json.dumps({"signature": signature, "kind": kind, "problems": problems,
                                "source": source, "generation": generation}) + "\n")  # fmt: skip

    def watchdog() -> None:
        while True:
            time.sleep(1)
            started = current.get("start")
            if started and time.monotonic() - started > HANG_SECONDS:
                record(current["kind"], current["source"], [f"hung over {HANG_SECONDS:g} s"])
                save()
                os._exit(3)

    def save() -> None:
        stats_path.write_text(json.dumps(stats, indent=1))

    threading.Thread(target=watchdog, daemon=True).start()
    kinds = st.one_of(
        fp.grammar_programs.map(lambda s: ("grammar", s)),
        fp.grammar_programs.map(lambda s: ("grammar", s)),
        fp.mutated_programs().map(lambda s: ("mutated", s)),
        fp.token_soup.map(lambda s: ("tokens", s)),
        fp.any_text.map(lambda s: ("text", s)),
    )

    @settings(max_examples=2000, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(kinds)
    def one_case(case):
        if time.time() > until:
            return
        kind, source = case
        current.update(kind=kind, source=source, start=time.monotonic())
        problems = fp.check_run(source, cwd)
        current["start"] = None
        stats["cases"] += 1
        stats["by_kind"][kind] = stats["by_kind"].get(kind, 0) + 1
        if problems:
            stats["failing_cases"] = stats.get("failing_cases", 0) + 1
            record(kind, source, problems)
        if stats["cases"] % 200 == 0:
            save()

    while time.time() < until:
        one_case()
        save()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(float(sys.argv[2]), int(sys.argv[3]))
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--minutes", type=float, default=60.0)
        supervise(parser.parse_args().minutes)
