"""Headless Chromium driven over the DevTools protocol on a pipe: no websocket, no Playwright.

`--remote-debugging-pipe` makes Chromium read commands from fd 3 and write replies and events
to fd 4, each a JSON message ended by NUL. A tiny Python shim (LAUNCH) moves our pipe ends onto
those two numbers before it execs the browser, so nothing else in the test process is inherited.
"""
from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--no-proxy-server", "--disable-extensions",
    "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe",
]

LAUNCH = """\
import fcntl, os, sys
# Park both ends at 10 or above first, so that neither is closed by the other's dup2.
commands = fcntl.fcntl(int(sys.argv[1]), fcntl.F_DUPFD, 10)
events = fcntl.fcntl(int(sys.argv[2]), fcntl.F_DUPFD, 10)
os.dup2(commands, 3)
os.dup2(events, 4)
os.execv(sys.argv[3], sys.argv[3:])
"""

# For `scripts=`: keeps every `securitypolicyviolation` of the document in window.__csp (see csp_violations).
RECORD_CSP_VIOLATIONS = """\
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


class Chromium:
    """One browser with one tab; records console errors, page exceptions and response sizes.

    domains are DevTools domains enabled in the tab besides Page, Runtime, Log and Network
    (e.g. "Audits"); scripts run in every new document before the page's own.
    """

    def __init__(self, binary: str, profile: Path, width: int = 1280, height: int = 900,
                 domains: Sequence[str] = (), scripts: Sequence[str] = ()):
        profile.mkdir(parents=True, exist_ok=True)
        commands_read, self._write = os.pipe()
        self._read, events_write = os.pipe()
        self._log = open(profile.parent / f"{profile.name}-chromium.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, str(commands_read), str(events_write), binary, *FLAGS,
             f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(commands_read, events_write), stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
        )
        os.close(commands_read)
        os.close(events_write)
        self._buffer = b""
        self._id = 0
        self._replies: dict[int, dict] = {}
        self._unawaited: set[int] = set()
        self.events: list[dict] = []
        try:
            target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network", *domains):
                self.call(f"{domain}.enable")
            for source in scripts:
                self.call("Page.addScriptToEvaluateOnNewDocument", {"source": source})
            # Pagefind searches in a web worker: its requests and errors count too.
            self.call("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": True})
            self.viewport(width, height)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ protocol

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._read], [], [], remaining)
            if ready:
                chunk = os.read(self._read, 1 << 20)
                if not chunk:
                    raise EOFError("Chromium closed the DevTools pipe (see the chromium.log beside the profile)")
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def _post(self, method: str, params: dict | None, session: str | None) -> int:
        self._id += 1
        message: dict = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        return self._id

    def _next(self, deadline: float) -> None:
        message = self._receive(deadline)
        if "id" in message:
            if message["id"] in self._unawaited:
                self._unawaited.discard(message["id"])
            else:
                self._replies[message["id"]] = message
            return
        self.events.append(message)
        if message.get("method") == "Target.attachedToTarget":
            worker = message["params"]["sessionId"]
            for method in ("Network.enable", "Runtime.enable"):
                self._unawaited.add(self._post(method, None, worker))

    def send(self, method: str, params: dict | None = None, *, session: str | None = None, timeout: float = 20) -> dict:
        """Returns the result of one DevTools command; events that arrive meanwhile are kept."""
        ident = self._post(method, params, session)
        deadline = time.monotonic() + timeout
        while ident not in self._replies:
            self._next(deadline)
        reply = self._replies.pop(ident)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def call(self, method: str, params: dict | None = None, timeout: float = 20) -> dict:
        """Returns the result of a command sent to the tab."""
        return self.send(method, params, session=self.session, timeout=timeout)

    def pump(self, seconds: float) -> None:
        """Collects the events of the next few seconds."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self._next(deadline)
        except TimeoutError:
            pass

    # ------------------------------------------------------------------ page

    def viewport(self, width: int, height: int, mobile: bool = False) -> None:
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})

    def load(self, url: str, timeout: float = 20, settle: float = 0.3) -> None:
        """Opens url and returns once its load event fired and settle seconds more have passed."""
        self.events.clear()
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise RuntimeError(f"{url}: {result['errorText']}")
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self._next(deadline)
        self.pump(settle)  # deferred scripts, late requests

    def evaluate(self, expression: str, timeout: float = 20):
        """Returns the JSON value of a JavaScript expression (promises are awaited)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True, "userGesture": True},
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise AssertionError(f"{expression[:200]}: {text}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 15, interval: float = 0.1):
        """Returns the first truthy value of expression, polled until timeout."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"never true: {expression}")
            self.pump(interval)

    def key(self, key: str, code: str, text: str = "") -> None:
        """Presses and releases one key in the focused element."""
        for kind in ("keyDown", "keyUp"):
            params = {"type": kind, "key": key, "code": code}
            if text and kind == "keyDown":
                params["text"] = text
            self.call("Input.dispatchKeyEvent", params)

    def type(self, text: str) -> None:
        """Types text into the focused element as an input method would (Chinese included)."""
        self.call("Input.insertText", {"text": text})

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        """Writes a PNG of the page (the whole page when full_page) and returns its path."""
        params: dict = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 12000), "scale": 1}
        data = self.call("Page.captureScreenshot", params, timeout=30)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    # ------------------------------------------------------------------ what happened

    def errors(self) -> list[str]:
        """Returns the page's uncaught exceptions and console errors since the last load."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append("exception: " + (details.get("exception", {}).get("description") or details.get("text", "")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append("log: " + params["entry"].get("text", "") + " " + params["entry"].get("url", ""))
        return found

    def responses(self) -> list[dict]:
        """Returns {url, status, bytes} of every response since the last load, the page's and its workers'.

        bytes is what came over the wire (headers included), as DevTools counts it.
        """
        urls, status, sizes = {}, {}, {}
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            key = (event.get("sessionId"), params.get("requestId"))
            if method == "Network.requestWillBeSent":
                urls[key] = params["request"]["url"]
            elif method == "Network.responseReceived":
                status[key] = params["response"]["status"]
            elif method == "Network.loadingFinished":
                sizes[key] = params["encodedDataLength"]
        return [{"url": urls[r], "status": status.get(r), "bytes": sizes.get(r, 0)} for r in urls]

    def csp_violations(self) -> list[str]:
        """Returns the Content-Security-Policy violations since the last load, from three sources.

        "event: ..." needs scripts=[RECORD_CSP_VIOLATIONS], "issue: ..." needs domains=["Audits"];
        "console: ..." are the tab's Log entries, always recorded.
        """
        found = [f"event: {v}" for v in (self.evaluate("window.__csp || []") or [])]
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Log.entryAdded" and "Content Security Policy" in params["entry"].get("text", ""):
                found.append("console: " + params["entry"]["text"])
            elif method == "Audits.issueAdded" and params["issue"].get("code") == "ContentSecurityPolicyIssue":
                found.append("issue: " + json.dumps(params["issue"]["details"], ensure_ascii=False)[:300])
        return found

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, EOFError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()
