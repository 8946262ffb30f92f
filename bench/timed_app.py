"""Run the app script named by $BENCH_APP and append each run's seconds to $BENCH_RUN_LOG.

`streamlit run bench/timed_app.py` with those set: the app's reruns timed on the server,
for bench_app.py, without touching the app itself.
"""

from __future__ import annotations

import os
import runpy
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # app.py imports app_ui

start = time.perf_counter()
try:
    runpy.run_path(os.environ["BENCH_APP"], run_name="__main__")
finally:  # also when Streamlit stops the run early for a newer one
    with open(os.environ["BENCH_RUN_LOG"], "a") as log:
        log.write(f"{time.perf_counter() - start:.6f}\n")
