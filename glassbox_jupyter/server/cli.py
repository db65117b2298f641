"""``glassbox serve`` and ``glassbox users add``: the server's command line.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="glassbox")
    >>> add_commands(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["serve", "--port", "9000"]).port
    9000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8765


def _storage_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path("glassbox-data"), help="folder of the database and files")
    parser.add_argument("--database", default=None, help="database URL (default: SQLite in --data)")


def add_commands(commands: Any) -> None:
    """Add ``serve`` and ``users`` to the ``glassbox`` command's subparsers."""
    serve = commands.add_parser("serve", help="run the GlassBox server (REST API) on this machine")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    _storage_arguments(serve)
    serve.add_argument("--workers", type=int, default=1, help="job worker processes (default: 1)")
    serve.add_argument("--dask", default=None, help="run jobs on the Dask scheduler at this address")
    serve.add_argument("--max-upload-mb", type=float, default=200.0, help="largest model upload (default: 200)")
    serve.add_argument("--allow-pickle", action="store_true", help="accept pickle model files (they run code)")
    serve.add_argument("--demo", action="store_true", help="fill a fresh database with the demo walkthrough")
    serve.add_argument(
        "--endpoint-host", action="append", default=[], help="allow audit jobs of endpoints on this host (repeatable)"
    )
    users = commands.add_parser("users", help="manage the server's user accounts")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    add = user_commands.add_parser("add", help="make a user and print its API token (shown once)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("admin", "analyst", "officer", "viewer"))
    add.add_argument("--project", action="append", default=[], help="make the user a member (repeatable)")
    _storage_arguments(add)


def _settings(args: argparse.Namespace) -> Any:
    from glassbox_jupyter.server.settings import ServerSettings

    return ServerSettings(
        data_dir=args.data,
        database=args.database,
        **(
            {
                "workers": args.workers,
                "dask": args.dask,
                "max_upload_mb": args.max_upload_mb,
                "allow_pickle": args.allow_pickle,
                "endpoint_hosts": tuple(args.endpoint_host),
            }
            if args.command == "serve"
            else {}
        ),
    )


def run(args: argparse.Namespace) -> int:
    """Carry out ``glassbox serve`` or ``glassbox users …``."""
    settings = _settings(args)
    if args.command == "serve":
        import uvicorn

        from glassbox_jupyter.server.app import create_app

        app = create_app(settings)
        officer_token = None
        if args.demo:
            from glassbox_jupyter.server.demo import fill_demo

            officer_token = fill_demo(app.state.sessions, app.state.artifacts)
        print(f"GlassBox server on http://{args.host}:{args.port}/api/v1 (data: {settings.data_dir})", flush=True)
        if officer_token is not None:
            # shown once, on this terminal only (the server's log never has it); the token rides in the
            # link's fragment, which the browser does not send, and the page drops it after signing in
            print(
                f"Review the demo report in the browser: http://{args.host}:{args.port}/#token={officer_token}",
                flush=True,
            )
        # keep-alive longer than a client pool idles: fewer races of a reused connection with its closing
        uvicorn.run(app, host=args.host, port=args.port, log_level="info", timeout_keep_alive=30)
        return 0
    from glassbox_jupyter.server.db import open_database, session_factory
    from glassbox_jupyter.server.users import UserError, add_user

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    sessions = session_factory(open_database(settings.database_url))
    with sessions() as session:
        try:
            user, token = add_user(session, args.name, args.role, tuple(args.project))
        except UserError as exc:
            print(f"glassbox users add: {exc}", file=sys.stderr)
            return 1
    print(f"user {user.name} ({user.role}) made; API token (shown once, keep it secret):")
    print(token)
    return 0
