"""The command line: run a program, render its graph, start the app, or check the sandbox.

Exit status: 0 ok; 1 the program failed, was stopped or was blocked, or its graph could not
be drawn; 2 bad command-line usage. No input ever prints a Python traceback.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from engine.errors import first_line
from engine.explain import explained
from engine.values import fmt_value

from .export import FORMATS, PlayerMissing, check_output, export
from .layout import LayoutError
from .options import DIRECTIONS, DrawOptions, OptionError
from .themes import THEMES

# The page's script: in the app_ui package, so an installed wheel has it beside this one.
PAGE = Path(__file__).resolve().parent.parent / "app_ui" / "page.py"
# .streamlit/config.toml's settings, given as flags because Streamlit reads that file from
# the current folder only, and `autograd-explorer app` runs from anywhere (tests/test_cli.py
# checks that the two agree).
STREAMLIT_SETTINGS = {
    "browser.gatherUsageStats": "false",
    "server.headless": "true",
    "server.runOnSave": "false",
    "server.fileWatcherType": "none",
    "runner.postScriptGC": "false",
    "theme.base": "light",
    "client.toolbarMode": "viewer",
    "client.showErrorDetails": "none",
}
TRUSTED_HELP = "your own code: run it in this process, not in the locked worker"


class UsageError(Exception):
    """A bad argument the parser could not catch by itself (exit 2)."""


class Failed(Exception):
    """The program or its drawing failed (exit 1); the message is the one line to print."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of `autograd-explorer`; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
        return args.func(args)
    except SystemExit as exc:  # argparse: --help (0) or bad usage (2)
        return exc.code if isinstance(exc.code, int) else 2
    except (UsageError, OptionError) as exc:  # the library's one check of a drawing option
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Failed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - never a traceback, whatever the input
        print(f"error: internal error: {type(exc).__name__}: {first_line(exc)}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograd-explorer",
        description="See the graph PyTorch autograd records, and watch gradients flow.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a program and print what it printed and its grads")
    run.add_argument("file", metavar="FILE|-", help="the program ('-' reads standard input)")
    run.add_argument("--json", action="store_true", help="print one JSON object instead")
    run.add_argument("--trusted", action="store_true", help=TRUSTED_HELP)
    run.set_defaults(func=_run_command)

    render = sub.add_parser("render", help="run a program and draw its backward pass")
    render.add_argument("file", metavar="FILE|-", help="the program ('-' reads standard input)")
    out_help = "OUT.{" + ",".join(FORMATS) + "}"
    render.add_argument("-o", "--output", required=True, metavar=out_help)
    render.add_argument("--step", type=int, default=None,
                        help="backward step to show (0-based; -1 before backward; default: "
                             "before backward for svg/png/pdf, the start for html)")  # fmt: skip
    render.add_argument("--theme", default="light", help="one of: " + ", ".join(THEMES))
    render.add_argument("--dpi", type=float, default=None, help="PNG/GIF resolution")
    render.add_argument("--pass", dest="pass_number", type=int, default=None, metavar="K",
                        help="which backward() call (1-based; default: the last)")  # fmt: skip
    render.add_argument("--direction", choices=DIRECTIONS, default="TB")
    render.add_argument("--fold-accumulate", action="store_true",
                        help="draw AccumulateGrad inside its leaf")  # fmt: skip
    render.add_argument("--transparent", action="store_true", help="no background fill")
    render.add_argument("--aspect", default=None, metavar="W:H",
                        help="svg/png/pdf: frame the picture for a slide, e.g. 16:9")  # fmt: skip
    render.add_argument("--forward", action="store_true",
                        help="html: play the forward pass before the backward one")  # fmt: skip
    render.add_argument("--trusted", action="store_true", help=TRUSTED_HELP)
    render.set_defaults(func=_render_command)

    app = sub.add_parser("app", help="start the Streamlit app")
    app.add_argument("--port", type=int, default=8501)
    app.set_defaults(func=_app_command)

    doctor = sub.add_parser("doctor", help="which layers of the worker's sandbox are active here")
    doctor.set_defaults(func=_doctor_command)
    return parser


def _read(file: str) -> str:
    # Bytes that are not UTF-8 are a bad program (exit 1, a SyntaxError at their line and
    # column), not bad usage: decode them as U+FFFD and let the engine say where they are.
    if file == "-":
        if not hasattr(sys.stdin, "buffer"):  # a text stream (tests, embedding): already str
            return sys.stdin.read()
        return sys.stdin.buffer.read().decode("utf-8", "replace")
    try:
        return Path(file).read_bytes().decode("utf-8", "replace")
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None


def _run_program(source: str, trusted: bool = False):
    import engine  # lazy: `--help` and usage errors stay fast

    if not source.strip():  # a run that does nothing is a mistake worth exit 1
        return engine.Run(ok=False, error=engine.ErrorInfo("EmptyProgram", "the program is empty"))
    return engine.run(source, trusted=trusted)


def _doctor_command(args: argparse.Namespace) -> int:
    """Each layer on a line, then the summary; exit 1 when one is missing and required."""
    import engine
    from engine.sandbox import required

    status = engine.sandbox_status()
    for layer in status.layers:
        mark = "active " if layer.active else "MISSING"
        print(f"{mark}  {layer.name:<13} {layer.detail}")
    print(status.describe())
    if required() and not status.complete:
        raise Failed("AUTOGRAD_EXPLORER_SANDBOX=require, and the sandbox is not complete here")
    return 0


def _run_command(args: argparse.Namespace) -> int:
    result = _run_program(_read(args.file), args.trusted)
    if args.json:
        result = replace(result, passes=tuple(explained(p) for p in result.passes))
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0 if result.ok else 1
    sys.stdout.write(result.stdout)
    if not result.ok:
        raise Failed(result.error.describe() if result.error else "the program failed")
    for line in _summary(result):
        print(line)
    return 0


def _summary(result) -> list[str]:
    """A short human summary: each leaf's .grad, then the notes."""
    lines = [
        f"{name}.grad = {fmt_value(t.grad)}"
        if t.grad is not None or t.pass_grad is None
        else f"{name}.grad = None (the explorer's own pass: {fmt_value(t.pass_grad)})"
        for name, t in result.tensors.items()
        if t.is_leaf and t.requires_grad
    ]
    if lines:
        lines.insert(0, "-- gradients")
    lines += [f"note: {n}" for n in result.notes]
    return lines


def _render_command(args: argparse.Namespace) -> int:
    # The options first (OptionError, exit 2), so a typo costs no run of the program.
    check_output(args.output, args.dpi)
    options = DrawOptions(
        theme=args.theme,
        direction=args.direction,
        fold_accumulate=args.fold_accumulate,
        transparent=args.transparent,
        forward=args.forward,
        aspect=args.aspect,
    )
    result = _run_program(_read(args.file), args.trusted)
    broken = [p for p in result.passes if p.broke is not None]
    if not result.ok and not broken:
        raise Failed(result.error.describe() if result.error else "the program failed")
    # Autograd recorded the graph and only backward() failed (an in-place change of a
    # saved tensor, a non-scalar output): the slide a lecturer wants is that graph, with
    # where it broke marked. It is written, and the run still fails (exit 1) with its line.
    chosen = args.pass_number
    target = _pick(result, chosen if chosen is not None or result.ok else broken[0].number)
    steps = len(getattr(target, "steps", ()))
    if args.step is not None and args.step != -1 and not 0 <= args.step < steps:
        raise UsageError(
            f"step {args.step} is out of range: this pass has {steps} steps "
            f"(choose 0..{steps - 1}, or -1 for before backward)"
            if steps
            else f"step {args.step} is out of range: there is no backward pass to step through"
        )
    try:
        export(target, args.output, step=args.step, dpi=args.dpi, options=options)
    except OptionError:  # bad usage (exit 2, in main), not a failed drawing
        raise
    except (LayoutError, ValueError, PlayerMissing) as exc:
        raise Failed(str(exc)) from None
    except OSError as exc:
        raise Failed(f"cannot write {args.output}: {exc.strerror or exc}") from None
    if not result.ok:
        message = result.error.describe() if result.error else "backward failed"
        raise Failed(f"{message} ({args.output} shows the graph and where backward broke)")
    return 0


def _pick(result, number: int | None):
    """The pass to draw: the last by default; the graph alone when backward never ran."""
    if not result.passes:
        if number is not None:
            raise UsageError(f"--pass {number}: the program ran no backward pass")
        if result.graph is None:
            raise Failed("nothing to draw: the program made no tensor that needs a gradient")
        return result.graph
    if number is None:
        return explained(result.passes[-1])
    for p in result.passes:
        if p.number == number:
            return explained(p)
    kept = ", ".join(str(p.number) for p in result.passes)
    raise UsageError(f"--pass {number} does not exist; the passes kept are: {kept}")


def _app_command(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= 65535:
        raise UsageError(f"port {args.port} is out of range: choose 1..65535")
    if not PAGE.is_file():
        raise Failed(f"the app's page is missing: {PAGE} (reinstall autograd-explorer)")
    flags = [part for key, value in STREAMLIT_SETTINGS.items() for part in (f"--{key}", value)]
    cmd = [sys.executable, "-m", "streamlit", "run", str(PAGE), *flags, "--server.port",
           str(args.port)]  # fmt: skip
    return subprocess.call(cmd)


if __name__ == "__main__":
    raise SystemExit(main())
