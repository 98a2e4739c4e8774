"""Rendering in a child process with a memory limit and a time limit, recycled regularly.

WeasyPrint holds the GIL and can take a lot of memory on a big document, and a process keeps the
memory it once took. So the web app never runs it in a worker of its own: the background thread
hands the finished HTML to one child process (``python -m surveyapp.reporting.isolation``), waits
at most ``timeout`` seconds (then kills it), and the child cannot grow beyond ``memory_mb``
(``RLIMIT_AS``). The child is replaced after ``recycle_after`` renders, after any failure, and
after a timeout. Messages are pickles with a length prefix over the child's stdin and stdout.
"""

from __future__ import annotations

import os
import pickle
import resource
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass, field

HEADER = struct.Struct("!Q")


class RenderFailed(RuntimeError):
    """The child could not render (out of memory, an error, killed)."""


class RenderTimeout(RenderFailed):
    """The render took longer than allowed and was stopped."""


#: Scheduling priority of rendering processes: the web workers come first on a busy machine.
NICENESS = 10


def limit_memory(memory_mb: int) -> None:
    """Cap this process's address space (a failing allocation raises MemoryError)."""
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def become_background(memory_mb: int) -> None:
    """What every rendering process does first: lower its priority, cap its memory."""
    os.nice(NICENESS)
    limit_memory(memory_mb)


def send(stream, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def receive(stream):
    """The next message; EOFError when the other side is gone."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        raise EOFError
    (size,) = HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # noqa: S301 - only ever from our own parent or child process


def serve(memory_mb: int, source=None, sink=None) -> None:
    """The child's loop: (report name, HTML) in, ("ok", pdf) or ("error", message) out."""
    from surveyapp.reporting.render import html_to_pdf, load_report

    source, sink = source or sys.stdin.buffer, sink or sys.stdout.buffer
    become_background(memory_mb)
    while True:
        try:
            name, html = receive(source)
        except EOFError:
            return
        try:
            reply, go_on = ("ok", html_to_pdf(load_report(name), html)), True
        except MemoryError:
            reply, go_on = ("error", f"the report needed more than {memory_mb} MB"), False
        except Exception as error:  # reported to the parent, which logs it
            reply, go_on = ("error", f"{type(error).__name__}: {error}"), False
        try:
            send(sink, reply)
        except (BrokenPipeError, OSError):
            return  # the parent is gone (stopped, or gave up waiting)
        if not go_on:
            return


@dataclass
class RenderProcess:
    memory_mb: int = 2048
    timeout: float = 300.0
    recycle_after: int = 20
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _child: subprocess.Popen | None = field(default=None, repr=False)
    _renders: int = field(default=0, repr=False)

    def _start(self) -> None:
        command = [sys.executable, "-m", "surveyapp.reporting.isolation", str(self.memory_mb)]
        self._child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # noqa: S603
        self._renders = 0

    def stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        child.stdin.close()
        try:
            child.wait(timeout=2)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        child.stdout.close()

    def render(self, report_name: str, html: str) -> bytes:
        with self._lock:
            if self._child is None or self._child.poll() is not None:
                self.stop()
                self._start()
            child = self._child
            # One deadline for the whole exchange: the watchdog kills the child, which ends any
            # write or read still waiting on it.
            watchdog = threading.Timer(self.timeout, child.kill)
            watchdog.start()
            try:
                send(child.stdin, (report_name, html))
                status, payload = receive(child.stdout)
            except (EOFError, BrokenPipeError, OSError) as error:
                timed_out = not watchdog.is_alive()
                self.stop()
                if timed_out:
                    raise RenderTimeout(f"rendering took more than {self.timeout:g} s") from None
                raise RenderFailed(f"the render process ended: {error!r}") from None
            finally:
                watchdog.cancel()
            self._renders += 1
            if status != "ok":
                self.stop()
                raise RenderFailed(payload)
            if self._renders >= self.recycle_after:
                self.stop()
            return payload


if __name__ == "__main__":
    serve(int(sys.argv[1]))
