"""A value computed in a forked process while this one goes on: `start` forks a child that
returns what a function returns, through a pipe (pickled); `Child.result` waits for it. The child
sees this process's memory as it was at the fork, without copying it: call `start` where a fork is
safe (no other thread, see render.can_fork)."""
from __future__ import annotations

import gc
import os
import pickle
import signal
from typing import Any, Callable


class Child:
    """A forked process computing one value."""

    def __init__(self, pid: int, fd: int):
        self.pid, self.fd = pid, fd

    def result(self) -> tuple[bool, Any]:
        """Waits for the child; returns (True, its value), or (False, None) if it failed."""
        chunks = []
        with os.fdopen(self.fd, "rb") as pipe:
            while chunk := pipe.read(1 << 20):
                chunks.append(chunk)
        _, status = os.waitpid(self.pid, 0)
        self.pid, self.fd = 0, -1
        if status != 0 or not chunks:
            return False, None
        return True, pickle.loads(b"".join(chunks))

    def stop(self) -> None:
        """Kills and reaps the child if it still runs (the build failed)."""
        if not self.pid:
            return
        for call in (lambda: os.kill(self.pid, signal.SIGKILL), lambda: os.close(self.fd), lambda: os.waitpid(self.pid, 0)):
            try:
                call()
            except OSError:
                pass
        self.pid, self.fd = 0, -1


def start(function: Callable[[], Any]) -> Child:
    """Forks a child that sends ``function()`` back and exits; returns it."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(read_fd)
            gc.disable()  # short-lived: the collector has no reason to walk the portal's objects
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            data = pickle.dumps(function())
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    return Child(pid, read_fd)
