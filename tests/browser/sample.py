"""The sample portal of this repository, built once per test process, and served on loopback."""
from __future__ import annotations

import contextlib
import functools
import http.server
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"

_built: dict[str, Path] = {}


def build_sample(root: Path) -> Path:
    """Returns the site directory of the sample portal, built (gongkai build) into root once per process."""
    key = "sample"
    if key not in _built:
        site = root / "sample-site"
        run = subprocess.run(
            [sys.executable, "-m", "gongkai.cli", "build", "-d", str(site)],
            cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )
        assert run.returncode == 0, f"gongkai build failed:\n{run.stderr[-3000:]}"
        _built[key] = site
    return _built[key]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature is http.server's
        pass


@contextlib.contextmanager
def serve(site: Path):
    """Yields the base URL (http://127.0.0.1:PORT/) of an HTTP server for site, as `python -m http.server` would serve it."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
