"""Running ``apport serve``: 127.0.0.1 only, a fresh token, the URL printed, uvicorn."""

from __future__ import annotations

import socket
import webbrowser
from collections.abc import Callable
from pathlib import Path

from ..errors import ServeError
from ..workspace import Workspace, find_workspace
from .security import Guard

HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def workspace_for(path: str | Path | None) -> Workspace:
    """The workspace found from ``path`` (or the current folder), walking up.

    Raises:
        ServeError: when there is none.
    """
    start = Path(path) if path is not None else Path.cwd()
    if not start.exists():
        raise ServeError("serve-no-folder", file=str(start))
    workspace = find_workspace(start if start.is_dir() else start.parent)
    if workspace is None:
        raise ServeError("serve-no-workspace", file=str(start))
    return workspace


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:``port`` (0: a free port).

    Raises:
        ServeError: when the port cannot be had.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as e:
        sock.close()
        raise ServeError("serve-cannot-listen", {"host": HOST, "port": port,
                                                 "reason": e.strerror or str(e)}) from None
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def serve(path: str | Path | None = None, *, port: int = DEFAULT_PORT, open_browser: bool = True,
          announce: Callable[[str], None] = print) -> None:
    """Serve the workspace found from ``path`` until interrupted.

    ``announce`` receives the one line ``apport serve: http://127.0.0.1:N/?token=T``.

    Raises:
        ServeError: when there is no workspace or the port is taken.
    """
    import uvicorn

    from .app import create_app

    workspace = workspace_for(path)
    sock = bind(port)
    guard = Guard(port=sock.getsockname()[1])
    app = create_app(workspace, guard)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            server_header=False, date_header=False)
    server = uvicorn.Server(config)
    announce(f"apport serve: {guard.url()}")
    if open_browser:
        webbrowser.open(guard.url())
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
