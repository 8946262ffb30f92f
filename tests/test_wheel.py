"""The package installs whole: PyPA's build makes the sdist and, from it, the wheel; a fresh
venv installs the wheel (with the local torch), and from a folder outside the checkout
`autograd-explorer` runs, renders all five formats and serves the app; `pip install` of a
clone, not editable, gives the same."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, free_port, require_modules, wait_healthy, wait_script_done
from lesson_reference import reference

LESSON = ROOT / "tests" / "data" / "lessons" / "01_reference_lesson.py"
TORCH_SPEC = os.environ.get("TORCH_SPEC", "torch==2.13.0")  # as the Makefile installs it
FORMATS = {"svg": b"<svg", "png": b"\x89PNG", "pdf": b"%PDF", "gif": b"GIF8", "html": b"<!doctype"}
SHIPPED = [
    "graphviz_utils/player.js",
    "graphviz_utils/player.css",
    "graphviz_utils/player/view.js",
    "app_ui/page.py",
    "app_ui/favicon.svg",
    "app_ui/editor.js",
    "app_ui/editor_text.js",
    "autograd_explorer/__init__.py",
    "engine/worker.py",
]


def sh(*args, cwd: Path, timeout: float = 900, **kwargs) -> subprocess.CompletedProcess:
    """Run a command; a failure shows its output."""
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert proc.returncode == 0, f"{args} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def clone_files(target: Path) -> Path:
    """A clone's files: every tracked file as the work tree has it (uncommitted edits too)."""
    listed = sh("git", "ls-files", "-z", cwd=ROOT).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def clean_env(venv: Path) -> dict[str, str]:
    """The environment a new user's shell has: the venv first, nothing of the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sdist and wheel PyPA's build makes from a clone's files, and a venv with the wheel."""
    require_modules("build", what="the test extra")
    work = tmp_path_factory.mktemp("wheel")
    clone = clone_files(work / "clone")
    sh(sys.executable, "-m", "build", "--outdir", str(work / "dist"), str(clone), cwd=work)
    wheel = next((work / "dist").glob("*.whl"))
    venv = work / "venv"
    sh(sys.executable, "-m", "venv", str(venv), cwd=work)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile"]
    sh(*pip, TORCH_SPEC, cwd=work)  # from the local wheel, as the Makefile does
    sh(*pip, str(wheel), cwd=work)
    outside = work / "outside"
    outside.mkdir()
    yield {"wheel": wheel, "venv": venv, "clone": clone, "outside": outside}
    shutil.rmtree(venv, ignore_errors=True)  # a gigabyte, mostly torch


def explorer(built, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """The installed console script, run from the folder outside the checkout."""
    cli = str(built["venv"] / "bin" / "autograd-explorer")
    return sh(cli, *args, cwd=built["outside"], env=clean_env(built["venv"]), **kwargs)


def test_wheel_holds_the_player_the_page_and_every_package(built):
    """The wheel ships player.js and player.css as package data, the page and app_ui."""
    names = set(zipfile.ZipFile(built["wheel"]).namelist())
    assert set(SHIPPED) <= names


def test_installed_modules_come_from_the_venv(built):
    """import autograd_explorer (and the rest) finds the installed copy, not the checkout."""
    code = (
        "import json, autograd_explorer as a, app_ui, engine, graphviz_utils as gu\n"
        "print(json.dumps([m.__file__ for m in (a, app_ui, engine, gu)]))"
    )
    python = str(built["venv"] / "bin" / "python")
    out = sh(python, "-c", code, cwd=built["outside"], env=clean_env(built["venv"])).stdout
    site = built["venv"].resolve()
    assert all(Path(f).resolve().is_relative_to(site) for f in json.loads(out))


def test_run_prints_what_python_prints(built):
    """run --json of the lesson: the printed text is CPython's own."""
    shutil.copy(LESSON, built["outside"] / "lesson.py")
    data = json.loads(explorer(built, "run", "lesson.py", "--json").stdout)
    assert data["ok"] and data["stdout"] == reference(LESSON)["stdout"]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_render_writes_every_format(built, fmt):
    """render -o out.FORMAT writes a real file of that format."""
    shutil.copy(LESSON, built["outside"] / "lesson.py")
    explorer(built, "render", "lesson.py", "-o", f"out.{fmt}")
    data = (built["outside"] / f"out.{fmt}").read_bytes()
    assert FORMATS[fmt] in data[:300]  # an SVG starts with its XML prolog
    if fmt == "html":
        assert b"function mountPlayer(" in data  # the player, inlined from package data


@pytest.mark.browser
def test_app_serves_and_draws_the_graph(built, browser):
    """`autograd-explorer app` answers /_stcore/health, and its page draws the player."""
    port = free_port()
    cli = str(built["venv"] / "bin" / "autograd-explorer")
    proc = subprocess.Popen(
        [cli, "app", "--port", str(port)],
        cwd=built["outside"],
        env=clean_env(built["venv"]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the CLI and its streamlit child: one group to stop
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, timeout=180)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        try:
            page.goto(url)
            wait_script_done(page, timeout_ms=180_000)
            page.locator('[data-role="player"] svg').first.wait_for(timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
        finally:
            context.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_pip_install_of_a_clone_is_whole_too(built):
    """`pip install CLONE` (not editable) into the venv: render -o x.html still works."""
    python = str(built["venv"] / "bin" / "python")
    sh(
        python,
        "-m",
        "pip",
        "install",
        "-q",
        "--no-compile",
        "--force-reinstall",
        "--no-deps",
        str(built["clone"]),
        cwd=built["outside"],
        env=clean_env(built["venv"]),
    )
    shutil.copy(LESSON, built["outside"] / "lesson.py")
    explorer(built, "render", "lesson.py", "-o", "clone.html")
    assert b"function mountPlayer(" in (built["outside"] / "clone.html").read_bytes()
    explorer(built, "doctor")
