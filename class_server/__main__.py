"""python -m class_server serve|stop|nginx-config: what `make serve-class` and `stop-class` run."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import nginx
from .stop import stop
from .supervisor import Options, Supervisor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m class_server", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="replicas behind nginx, until Ctrl+C or stop")
    serve.add_argument("--replicas", type=int, default=os.cpu_count() or 1)
    serve.add_argument("--port", type=int, default=8500, help="nginx's port (default 8500)")
    serve.add_argument("--listen", default="", help="nginx's address (default: every address)")
    serve.add_argument(
        "--address",
        default="127.0.0.1",
        help="the replicas' address (0.0.0.0 when nginx runs on another host)",
    )
    serve.add_argument("--prefix", default="r", help="replica names: r1, r2, ... (default r)")
    serve.add_argument(
        "--no-nginx", action="store_true", help="replicas only, for an nginx on another machine"
    )
    serve.add_argument("--metrics-every", type=float, default=60.0, metavar="SECONDS")
    serve.add_argument("--run-dir", type=Path, default=None, help="default: .run/ here")
    halt = sub.add_parser("stop", help="stop the class server on a port")
    halt.add_argument("--port", type=int, default=8500)
    halt.add_argument("--run-dir", type=Path, default=None)
    conf = sub.add_parser("nginx-config", help="print an nginx config for replicas anywhere")
    conf.add_argument("--listen", default="80", help="port or address:port (default 80)")
    conf.add_argument("--replica", action="append", required=True, metavar="NAME=HOST:PORT")
    conf.add_argument(
        "--run-dir",
        type=Path,
        default=Path("/var/lib/autograd-explorer-nginx"),
        help="nginx's logs and temporary files",
    )
    args = parser.parse_args(argv)
    if args.command == "serve":
        options = Options(
            replicas=args.replicas,
            port=args.port,
            listen=args.listen,
            address=args.address,
            prefix=args.prefix,
            nginx=not args.no_nginx,
            metrics_every=args.metrics_every,
            run_base=args.run_dir,
        )
        try:
            return Supervisor(options).serve()
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if args.command == "stop":
        return stop(args.port, args.run_dir)
    ups = []
    for i, spec in enumerate(args.replica):
        name, _, address = spec.rpartition("=")
        ups.append(nginx.Upstream(name or f"r{i + 1}", address))
    try:
        print(nginx.render(ups, args.listen, args.run_dir), end="")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
