"""`streamlit run`, timing each script run on the server: from the rerun request's arrival
to the script_finished message, appended (seconds) to $BENCH_RUN_LOG.

Neither app is wrapped or changed. Fragment runs are timed like full runs. The hooks are
two AppSession methods of Streamlit 1.67; a missing one stops the benchmark loudly.
"""

from __future__ import annotations

import os
import sys
import time

from streamlit.runtime.app_session import AppSession
from streamlit.web.cli import main

_pending: list[float] = []  # arrival times of rerun requests not finished yet
_handle, _enqueue = AppSession.handle_backmsg, AppSession._enqueue_forward_msg


def handle_backmsg(self, msg):
    if msg.WhichOneof("type") == "rerun_script":
        _pending.append(time.perf_counter())
    return _handle(self, msg)


def enqueue_forward_msg(self, msg):
    if msg.WhichOneof("type") == "script_finished" and _pending:
        seconds = time.perf_counter() - _pending.pop(0)
        with open(os.environ["BENCH_RUN_LOG"], "a") as log:
            log.write(f"{seconds:.6f}\n")
    return _enqueue(self, msg)


AppSession.handle_backmsg = handle_backmsg
AppSession._enqueue_forward_msg = enqueue_forward_msg

if __name__ == "__main__":
    sys.argv = ["streamlit", *sys.argv[1:]]
    sys.exit(main())
