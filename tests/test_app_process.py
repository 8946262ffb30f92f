"""The server process settles once: the imports' objects leave the garbage collector."""

import gc
import subprocess
import sys

from conftest import ROOT


def test_settle_freezes_the_imports_once():
    code = (
        "import gc\n"
        "from app_ui import page, process  # as app.py imports them\n"
        "before = gc.get_freeze_count()\n"
        "process.settle()\n"
        "first = gc.get_freeze_count()\n"
        "junk = [[] for _ in range(1000)]\n"
        "process.settle()\n"
        "print(before, first, gc.get_freeze_count())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()  # fmt: skip
    before, first, again = map(int, out)
    assert before == 0 and first > 10_000, "the imports' objects are frozen"
    assert again == first, "a second page run freezes nothing more (no leak of session objects)"
    assert gc.isenabled()
