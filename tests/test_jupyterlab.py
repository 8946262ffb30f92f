"""JupyterLab itself, in Chromium: a person opens a notebook, runs a %%autograd cell, plays
the player and steps it with the keyboard. The server starts and stops in the test."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import torch
from conftest import ARTIFACTS, free_port, require, stop
from lesson_reference import cells_reference

from engine.values import fmt_value

pytestmark = pytest.mark.browser

CELL = """import torch
x = torch.tensor([2.0, 3.0], requires_grad=True)
y = x**2 + 3*x
y.sum().backward()
print("dy/dx:", x.grad)"""

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def write_notebook(path: Path) -> None:
    try:
        import nbformat
    except ImportError:
        require(False, "nbformat (the test extra)")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext autograd_explorer"),
        nbformat.v4.new_code_cell("%%autograd\n" + CELL),
    ]
    nbformat.write(nb, path)


@contextlib.contextmanager
def jupyterlab(root: Path):
    """`jupyter lab` on a free loopback port with a token and no browser; yields its URL.

    Its settings, workspaces and runtime files live under `root`, away from the machine's
    own; it is shut down through its API (which stops its kernels), then waited for.
    """
    require(
        subprocess.run(
            [sys.executable, "-m", "jupyterlab", "--version"], capture_output=True
        ).returncode
        == 0,
        "jupyterlab (the test extra)",
    )
    port, token = free_port(), secrets.token_hex(16)
    home = root / ".jupyter"
    (home / "config" / "labconfig").mkdir(parents=True)
    # No "news?" prompt over the page, and no update check (it would reach the internet).
    (home / "config" / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTER_DATA_DIR=str(home / "data"),
        IPYTHONDIR=str(home / "ipython"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
    )
    log = (root / "jupyterlab.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],  # CI runs as root
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (
                f"jupyter lab exited: {(root / 'jupyterlab.log').read_text()}"
            )
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r,
            ):
                if r.status == 200:
                    break
            assert time.monotonic() < deadline, "jupyter lab did not answer within 120 s"
            time.sleep(0.3)
        yield url, token
    finally:
        with contextlib.suppress(OSError):
            request = urllib.request.Request(f"{url}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(request, timeout=10).close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stop(proc)
        log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a folder with the notebooks below; (url, token, folder)."""
    root = tmp_path_factory.mktemp("lab")
    write_notebook(root / "lab.ipynb")
    write_saved_notebook(root / "saved.ipynb")
    with jupyterlab(root) as (url, token):
        yield url, token, root


def write_saved_notebook(path: Path) -> None:
    """A notebook as saved by someone else: the %%autograd output is there, unsigned."""
    import nbformat

    import engine
    from autograd_explorer.cell_html import cell_output
    from graphviz_utils import DrawOptions

    output = cell_output(engine.run(CELL, trusted=True), DrawOptions())
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = KERNELSPEC
    cell = nbformat.v4.new_code_cell("%%autograd\n" + CELL)
    cell.outputs = [nbformat.v4.new_output("display_data", data=output._repr_mimebundle_())]
    nb.cells = [cell]
    nbformat.write(nb, path)


def counter(page) -> str:
    return page.locator('.jp-OutputArea [data-role="counter"]').inner_text()


def test_jupyterlab_runs_plays_and_steps_the_player(lab, browser):
    """Open the notebook, run both cells with Shift+Enter, play to the end, step with keys."""
    url, token, _ = lab
    printed = cells_reference([CELL])[0]["stdout"]
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{url}/lab/tree/lab.ipynb?token={token}")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
        # The status bar says so once the kernel is connected and idle.
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=90_000)
        page.locator(".jp-Cell .jp-InputArea-editor").first.click()
        page.keyboard.press("Shift+Enter")
        page.keyboard.press("Shift+Enter")
        player = page.locator('.jp-OutputArea [data-role="player"]')
        player.wait_for(timeout=120_000)
        stream = page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stdout']"
        )
        assert stream.last.inner_text() == printed
        steps = json.loads(page.locator('[data-role="player-data"]').text_content())["steps"]
        assert counter(page) == f"step 0 / {steps}"

        player.locator('[data-role="speed"]').select_option("4")
        player.locator('[data-role="play"]').click()
        page.wait_for_function(
            "want => document.querySelector('.jp-OutputArea [data-role=counter]')"
            ".textContent === want",
            arg=f"step {steps} / {steps}",
            timeout=30_000,
        )

        active = page.locator(".jp-Cell.jp-mod-active .jp-InputPrompt").inner_text()
        player.locator('[data-role="stage"]').click()  # the player takes the keys now
        page.keyboard.press("Home")
        assert counter(page) == f"step 0 / {steps}"
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert counter(page) == f"step 2 / {steps}"
        page.keyboard.press("ArrowLeft")
        assert counter(page) == f"step 1 / {steps}"
        caption = player.locator('[data-role="caption"]').inner_text()
        assert caption.startswith(f"Step 1 of {steps}: ")
        # The arrows stepped the player, not JupyterLab's cell selection.
        assert page.locator(".jp-Cell.jp-mod-active .jp-InputPrompt").inner_text() == active
        # For a person to look at: the whole output, in a window tall enough to hold it.
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1300, "height": 1800})
        output = page.locator(".jp-Cell").nth(1).locator(".jp-OutputArea")
        output.scroll_into_view_if_needed()
        output.screenshot(path=str(ARTIFACTS / "jupyterlab-output.png"))
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-failure.png"))
        raise
    finally:
        context.close()


def test_an_untrusted_notebook_shows_the_still_picture(lab, browser):
    """A saved notebook opened untrusted runs no script: the still picture of the finished
    pass is what a person sees in the player's place."""
    url, token, _ = lab
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{url}/lab/tree/saved.ipynb?token={token}")
        output = page.locator(".jp-OutputArea-output").first
        output.wait_for(timeout=90_000)
        picture = output.locator("img.agx-nb-still")
        picture.wait_for(timeout=30_000)
        page.wait_for_function(
            "img => img.complete && img.naturalHeight > 100", arg=picture.element_handle()
        )
        assert output.locator(".agx-player").count() == 0  # no script ran
        x = torch.tensor([2.0, 3.0], requires_grad=True)
        (x**2 + 3 * x).sum().backward()
        assert fmt_value(x.grad.tolist()) in output.locator("table").inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        output.screenshot(path=str(ARTIFACTS / "jupyterlab-untrusted.png"))
    finally:
        context.close()
