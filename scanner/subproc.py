"""The one way credreach runs a program: every child has a wall-clock bound and dies with its group.

Why: the scanned tree is hostile. A FIFO named ``.git/config`` or ``.gitignore`` makes ``git``
block in ``open()`` forever, and a CI job then hangs until the runner's own limit. Whatever the
tree does, a subprocess here ends by its deadline: the child runs in its own session (process
group) and the whole group is killed when the deadline passes, so grandchildren (a pager, a
hook) cannot keep a pipe open.

Two shapes:

* :func:`run`: run to completion, output captured, one total deadline.
* :class:`Stream`: a long-running child (``git log``, ``git cat-file --batch``) read
  incrementally. Reads wait with ``select`` for at most the time left until the deadline and at
  most ``idle_timeout`` seconds without a byte (the child is stuck, not slow); time spent by the
  caller between reads does not count as idle, so a slow consumer never kills a healthy child.

Bounds come from ``CREDREACH_SUBPROCESS_TIMEOUT`` (total seconds per command, default 600) and
``CREDREACH_SUBPROCESS_IDLE_TIMEOUT`` (seconds without output, default 120), so a user with an
enormous history can raise them; tests lower them.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType

DEFAULT_TIMEOUT = 600.0
DEFAULT_IDLE_TIMEOUT = 120.0
TIMEOUT_ENV = "CREDREACH_SUBPROCESS_TIMEOUT"
IDLE_TIMEOUT_ENV = "CREDREACH_SUBPROCESS_IDLE_TIMEOUT"


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def default_timeout() -> float:
    return _env_seconds(TIMEOUT_ENV, DEFAULT_TIMEOUT)


def default_idle_timeout() -> float:
    return _env_seconds(IDLE_TIMEOUT_ENV, DEFAULT_IDLE_TIMEOUT)


class SubprocessTimeout(Exception):
    """A child ran past its bound and was killed (with its process group)."""

    def __init__(self, command: str, seconds: float, idle: bool = False) -> None:
        what = "produced no output for" if idle else "did not finish within"
        super().__init__(f"{command} {what} {seconds:g}s and was stopped")
        self.command = command
        self.seconds = seconds


class ProgramMissing(Exception):
    """The program is not installed (or not executable)."""


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: bytes
    stderr: bytes


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()


PIPE_BYTES = 1 << 20
"""Pipe size asked for a streamed child's stdout (Linux ``F_SETPIPE_SZ``; the default is 64 KiB):
``git cat-file --batch`` then hands over a history in 1 MiB reads, not 64 KiB ones, with 16x
fewer wake-ups of either process. Refused or unsupported: the default stays, nothing else changes."""


def _widen_pipe(fd: int) -> None:
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


def _spawn(argv: Sequence[str], *, env: Mapping[str, str] | None, cwd: str | None, stdin: int | None,
           stderr: int | None) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(list(argv), stdin=stdin, stdout=subprocess.PIPE, stderr=stderr,
                                env=dict(env) if env is not None else None, cwd=cwd,
                                start_new_session=True)
    except (FileNotFoundError, PermissionError) as exc:
        raise ProgramMissing(f"{argv[0]} is not installed ({exc.strerror})") from None


def run(argv: Sequence[str], *, timeout: float | None = None, input: bytes | None = None,
        env: Mapping[str, str] | None = None, cwd: str | None = None) -> Completed:
    """Run ``argv`` to completion within ``timeout`` seconds (default: :func:`default_timeout`)."""
    limit = default_timeout() if timeout is None else timeout
    proc = _spawn(argv, env=env, cwd=cwd, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                  stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(input, timeout=limit)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        raise SubprocessTimeout(_name(argv), limit) from None
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    return Completed(proc.returncode, out, err)


def _name(argv: Sequence[str]) -> str:
    # The program and its subcommand: enough to say what was stopped, never its data arguments.
    words = [a for a in argv[1:] if not a.startswith("-") and "=" not in a and "/" not in a]
    return " ".join([os.path.basename(argv[0]), *words[:1]])


class Stream:
    """A child whose stdout is read incrementally under a total deadline and an idle bound.

    Use as a context manager; leaving it kills the child's group if it is still running.
    ``stdin_lines`` (optional) are written by a feeder thread so neither side blocks on a full pipe.
    """

    def __init__(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | None = None,
                 timeout: float | None = None, idle_timeout: float | None = None,
                 stdin_lines: Sequence[bytes] | None = None, stderr_file: int | None = None) -> None:
        self.argv = list(argv)
        self.timeout = default_timeout() if timeout is None else timeout
        self.idle_timeout = default_idle_timeout() if idle_timeout is None else idle_timeout
        self._deadline = time.monotonic() + self.timeout
        self._proc = _spawn(argv, env=env, cwd=cwd,
                            stdin=subprocess.PIPE if stdin_lines is not None else subprocess.DEVNULL,
                            stderr=stderr_file if stderr_file is not None else subprocess.DEVNULL)
        assert self._proc.stdout is not None
        self._fd = self._proc.stdout.fileno()
        _widen_pipe(self._fd)
        self._buffer = bytearray()
        self._scratch: bytearray | None = None
        self._eof = False
        self._feeder: threading.Thread | None = None
        if stdin_lines is not None:
            self._feeder = threading.Thread(target=self._feed, args=(stdin_lines,), name="subproc-feed",
                                            daemon=True)
            self._feeder.start()

    def _feed(self, lines: Sequence[bytes]) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            for line in lines:
                stdin.write(line + b"\n")
            stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _fill(self, size: int = PIPE_BYTES) -> bool:
        """Read more into the buffer; False at end of output. Raises SubprocessTimeout when stuck."""
        if self._eof:
            return False
        now = time.monotonic()
        left = self._deadline - now
        wait = min(left, self.idle_timeout)
        if wait <= 0:
            self._timed_out(idle=False)
        ready, _, _ = select.select([self._fd], [], [], wait)
        if not ready:
            self._timed_out(idle=wait < left)
        if self._scratch is None:
            self._scratch = bytearray(PIPE_BYTES)
        with memoryview(self._scratch) as scratch:
            # Into one reused buffer: a fresh multi-megabyte bytes per read costs page faults.
            got = os.readv(self._fd, [scratch[:max(1, min(size, PIPE_BYTES))]])
            if not got:
                self._eof = True
                return False
            self._buffer += scratch[:got]
        return True

    def _timed_out(self, idle: bool) -> None:
        _kill_group(self._proc)
        raise SubprocessTimeout(_name(self.argv), self.idle_timeout if idle else self.timeout, idle=idle)

    def chunks(self) -> Iterator[bytes]:
        """The remaining output, chunk by chunk."""
        while True:
            if self._buffer:
                data = bytes(self._buffer)
                self._buffer.clear()
                yield data
            if not self._fill():
                if self._buffer:
                    data = bytes(self._buffer)
                    self._buffer.clear()
                    yield data
                return

    def readline(self) -> bytes:
        """One line including its newline; ``b""`` at end of output."""
        start = 0
        while True:
            index = self._buffer.find(b"\n", start)
            if index >= 0:
                line = bytes(self._buffer[:index + 1])
                del self._buffer[:index + 1]
                return line
            start = len(self._buffer)
            if not self._fill():
                line = bytes(self._buffer)
                self._buffer.clear()
                return line

    def read_exact(self, size: int) -> bytes | None:
        """Exactly ``size`` bytes, or None when the output ends first."""
        while len(self._buffer) < size:
            if not self._fill(max(1 << 16, min(size - len(self._buffer), 1 << 22))):
                return None
        with memoryview(self._buffer) as view:  # one copy, not a bytearray slice and then bytes
            data = bytes(view[:size])
        del self._buffer[:size]  # O(1) at the front of a bytearray
        return data

    def wait(self) -> int:
        """Exit code, waiting at most until the deadline (then the group is killed)."""
        try:
            return self._proc.wait(timeout=max(0.0, self._deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self._timed_out(idle=False)
            raise  # unreachable: _timed_out raises

    def close(self) -> None:
        if self._proc.poll() is None:
            _kill_group(self._proc)
        with contextlib.suppress(OSError):
            assert self._proc.stdout is not None
            self._proc.stdout.close()
        self._proc.wait()
        if self._feeder is not None:
            self._feeder.join(timeout=5)
