"""Query worker processes: where a query's memory and time limits are enforced by the OS.

DuckDB's ``memory_limit`` covers its buffer manager, not everything a query can allocate (a
``repeat('x', 1500000000)`` string, the rows turned into Python values), and an interrupt is only
seen between DuckDB's operators. So a query does not run in the server: it runs in one of at most
``size`` long-lived worker processes, each with

* an OS limit on its data segment (``RLIMIT_DATA``: heap and private mappings, which is what a
  query allocates; address space would also count thread stacks and arenas reserved but unused):
  what it had at start, plus the query memory limit, plus room for its idle sandboxes' threads.
  An allocation past it fails inside DuckDB (``OutOfMemoryException``) or Python (``MemoryError``),
  both answered 413; a worker that dies instead (a native ``abort``, the kernel's OOM killer) is
  answered 413 too, and replaced;
* DuckDB's own ``memory_limit`` at three quarters of that (it fails cleanly first when it can);
* a hard deadline: the worker interrupts its own query at the time limit (408, the worker stays);
  if no answer has come ``grace_ms`` after that, the server kills it (SIGKILL) and answers 408.

Workers are reused (a small query costs a pipe round trip, not a process start) and keep their
sandboxes (``query_sandbox.py``); a task goes to an idle worker that ran the same tables last when
there is one. A worker whose data segment stayed above half its budget after a query (allocators
keep freed memory) retires after answering, so the next query has its whole limit. Workers are
started lazily by a fork server of our own (``_ForkServer``; the server is multi-threaded, so it
is never forked itself; the fork server imported DuckDB once, so a new worker is ready in
milliseconds).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from multiprocessing.connection import Connection
from typing import Any

from qazai.catalog import query_sandbox
from qazai.catalog.query import (
    QueryBusy,
    QueryRefused,
    QueryTask,
    QueryTimeout,
    QueryTooLarge,
    TaskResult,
)
from qazai.core.errors import AppError, InvalidInput, Unavailable

log = logging.getLogger("qazai.catalog.query")

# Room in a worker's data segment beyond the query's limit: idle sandboxes' threads (8 MiB of
# stack each, two per sandbox) and DuckDB's own bookkeeping.
_BASE_ALLOWANCE = 64 * 1024**2
_PER_SANDBOX = 2 * 8 * 1024**2
_ERRORS: dict[str, type[AppError]] = {
    cls.__name__: cls for cls in (QueryRefused, QueryTimeout, QueryTooLarge, InvalidInput, Unavailable)
}


def data_budget(memory_bytes: int) -> int:
    """How much a worker's data segment may grow past its size at start."""
    return memory_bytes + _BASE_ALLOWANCE + (query_sandbox.SANDBOX_POOL_SIZE + 2) * _PER_SANDBOX


def _answer(task: QueryTask) -> tuple[Any, ...]:
    try:
        return ("ok", query_sandbox.execute_task(task))
    except AppError as exc:
        if type(exc).__name__ not in _ERRORS:
            return ("crash", f"{type(exc).__name__}: {exc}")
        return ("error", type(exc).__name__, exc.message, exc.code, exc.details)
    except MemoryError:
        refusal = query_sandbox.memory_refusal()
        return ("error", "QueryTooLarge", refusal.message, refusal.code, refusal.details)
    except Exception:
        return ("crash", traceback.format_exc(limit=5))


def _serve(connection: Connection, memory_bytes: int) -> None:
    """A worker's life: limit itself, then answer tasks until the pipe closes or it retires."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops its workers itself
    start = query_sandbox.memory_in_use()
    budget = data_budget(memory_bytes)
    if start:
        resource.setrlimit(resource.RLIMIT_DATA, (start + budget, start + budget))
    query_sandbox.configure(memory_bytes=memory_bytes)
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return
        reply = _answer(task)
        retire = bool(start) and query_sandbox.memory_in_use() > start + budget - memory_bytes // 2
        try:
            connection.send((reply, retire))
        except MemoryError:
            refusal = query_sandbox.memory_refusal()
            connection.send(
                (("error", "QueryTooLarge", refusal.message, refusal.code, refusal.details), True)
            )
            return
        except OSError:
            return
        if retire:
            return


class _ForkServer:
    """A small single-threaded process that forks query workers on request.

    Not ``multiprocessing``'s fork server: that one makes every new worker import the server's
    ``__main__`` (for ``qazai serve``, the whole CLI: seconds and 150 MB per worker). This one is
    a fresh interpreter that imports only this module (DuckDB included) and forks from there, so
    a worker starts in milliseconds with nothing it does not need. The server hands it one end of
    a socket pair per worker (``SCM_RIGHTS``) and reads back the worker's pid. It and its workers
    end when the server's end of their sockets closes (the server exiting included)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None

    def spawn(self, memory_bytes: int) -> tuple[int, Connection]:
        """A new worker's pid and the server's end of its connection."""
        with self._lock:
            if self._process is None or self._process.poll() is not None or self._control is None:
                self._start()
            assert self._control is not None
            ours, theirs = socket.socketpair()
            try:
                socket.send_fds(self._control, [struct.pack("q", memory_bytes)], [theirs.fileno()])
                reply = b""
                while len(reply) < 8:
                    chunk = self._control.recv(8 - len(reply))
                    if not chunk:
                        raise OSError("the query fork server stopped")
                    reply += chunk
            except BaseException:
                ours.close()
                raise
            finally:
                theirs.close()
        return struct.unpack("q", reply)[0], Connection(ours.detach())

    def _start(self) -> None:
        self.close()
        ours, theirs = socket.socketpair()
        code = f"from qazai.catalog.query_workers import _fork_server; _fork_server({theirs.fileno()})"
        self._process = subprocess.Popen(
            [sys.executable, "-c", code], pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL
        )
        theirs.close()
        self._control = ours

    def close(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
            self._process = None


def _fork_server(control_fd: int) -> None:
    """The fork server's life (``_ForkServer``): fork a worker for every socket received."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel
    control = socket.socket(fileno=control_fd)
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(control, 8, 1)
        except OSError:
            return
        if not message or not fds:
            return
        (memory_bytes,) = struct.unpack("q", message)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _serve(Connection(fds[0]), memory_bytes)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(fds[0])
        control.sendall(struct.pack("q", pid))


_FORK_SERVER = _ForkServer()
atexit.register(_FORK_SERVER.close)


def _fork_here(memory_bytes: int) -> tuple[int, Connection]:
    """A worker forked from this process itself (``QueryWorkers(fork_here=True)``): for a
    single-threaded process that runs one query and exits (``qazai query``), where starting the
    fork server would cost a second interpreter importing DuckDB again. The worker is the same
    ``_serve`` with the same limits as the fork server's."""
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            ours.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _serve(Connection(theirs.detach()), memory_bytes)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    theirs.close()
    return pid, Connection(ours.detach())


class _Worker:
    def __init__(self, pid: int, connection: Connection, *, child: bool = False) -> None:
        self.pid = pid
        self.connection = connection
        self.child = child  # forked by this process (reaped here), not by the fork server
        self.keys: deque[object] = deque(maxlen=query_sandbox.SANDBOX_POOL_SIZE)


def _task_key(task: QueryTask) -> object:
    return (frozenset((t.name, t.paths) for t in task.tables), task.threads)


class QueryWorkers:
    """At most ``size`` worker processes, each running one task at a time (module docstring).

    ``run`` waits up to ``wait_seconds`` for a free worker (the concurrency limits in front keep
    that rare), then raises QueryBusy. ``fork_here``: fork workers from this process, not from
    the fork server (``_fork_here``; only while this process has a single thread, else the fork
    server still serves)."""

    def __init__(
        self,
        *,
        size: int,
        memory_bytes: int,
        grace_ms: int,
        wait_seconds: float = 5.0,
        fork_here: bool = False,
    ) -> None:
        self.size = size
        self.fork_here = fork_here
        self.memory_bytes = memory_bytes
        self.grace_ms = grace_ms
        self.wait_seconds = wait_seconds
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._count = 0
        self._closed = False
        self._cond = threading.Condition()
        self.started = 0
        self.killed = 0
        self.retired = 0

    # -- running a task ------------------------------------------------------------------------

    def run(self, task: QueryTask) -> TaskResult:
        """``task``'s result, or the AppError its worker answered; QueryTimeout when the worker
        had to be killed at the deadline, QueryTooLarge when it died."""
        key = _task_key(task)
        for _attempt in range(3):
            worker = self._checkout(key)
            try:
                worker.connection.send(task)
                break
            except (OSError, ValueError):  # it died while idle: not this task's doing
                log.warning("query worker %s had stopped while idle; trying another", worker.pid)
                self._discard(worker, kill=True)
        else:
            raise Unavailable("the query workers keep failing to start", code="query_unavailable")
        reply: tuple[Any, ...] | None = None
        retire = False
        try:
            if worker.connection.poll(task.timeout_ms / 1000 + self.grace_ms / 1000):
                reply, retire = worker.connection.recv()
        except (EOFError, OSError):
            self._discard(worker, kill=True)
            log.warning("query worker %s died", worker.pid)
            raise query_sandbox.memory_refusal(self.memory_bytes) from None
        except BaseException:
            self._discard(worker, kill=True)
            raise
        if reply is None:
            self._discard(worker, kill=True)
            log.warning("query worker %s killed at the deadline", worker.pid)
            raise QueryTimeout(f"the query ran longer than {task.timeout_ms} ms and was stopped")
        if retire:
            self.retired += 1
            self._discard(worker, kill=False)
        else:
            worker.keys.append(key)
            self._give_back(worker)
        return _result(reply)

    # -- the pool --------------------------------------------------------------------------------

    def _checkout(self, key: object) -> _Worker:
        deadline = time.monotonic() + self.wait_seconds
        with self._cond:
            while True:
                if self._closed:
                    raise Unavailable("the query service is shutting down", code="query_unavailable")
                if self._idle:
                    chosen = next(
                        (i for i in range(len(self._idle) - 1, -1, -1) if key in self._idle[i].keys),
                        len(self._idle) - 1,
                    )
                    worker = self._idle.pop(chosen)
                    self._busy.add(worker)
                    return worker
                if self._count < self.size:
                    self._count += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QueryBusy(
                        "every query worker is busy; try again in a moment",
                        retry_after=1,
                        code="too_many_queries",
                    )
                self._cond.wait(remaining)
        try:
            worker = self._start()
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._busy.add(worker)
        return worker

    def _start(self) -> _Worker:
        # forking a multi-threaded process can copy a lock held by another thread into the child
        if self.fork_here and threading.active_count() == 1:
            pid, connection = _fork_here(self.memory_bytes)
            self.started += 1
            return _Worker(pid, connection, child=True)
        pid, connection = _FORK_SERVER.spawn(self.memory_bytes)
        self.started += 1
        return _Worker(pid, connection)

    def _give_back(self, worker: _Worker) -> None:
        with self._cond:
            self._busy.discard(worker)
            if self._closed:
                self._count -= 1
                closing = True
            else:
                self._idle.append(worker)
                closing = False
            self._cond.notify()
        if closing:
            _stop(worker, kill=False)

    def _discard(self, worker: _Worker, *, kill: bool) -> None:
        with self._cond:
            self._busy.discard(worker)
            self._count -= 1
            self._cond.notify()
        if kill:
            self.killed += 1
        _stop(worker, kill=kill)

    def pids(self, *, busy: bool = False) -> list[int]:
        """The process ids of the workers (only those running a task with ``busy``)."""
        with self._cond:
            workers = list(self._busy) if busy else [*self._idle, *self._busy]
        return [w.pid for w in workers]

    def close(self) -> None:
        """Stop every idle worker; busy ones stop when their task ends."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for worker in idle:
            _stop(worker, kill=False)


def _stop(worker: _Worker, *, kill: bool) -> None:
    """Close the worker's connection (an idle worker reads EOF and exits); with ``kill``, SIGKILL
    it first, unless its end already reads EOF (it is gone, and its pid may be someone else's)."""
    if kill:
        try:
            gone = worker.connection.poll(0)
        except OSError:
            gone = True
        if not gone:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)
    worker.connection.close()
    if worker.child:  # it exits on EOF (or was killed): reap it
        with contextlib.suppress(ChildProcessError):
            os.waitpid(worker.pid, 0)


def _result(reply: tuple[Any, ...]) -> TaskResult:
    if reply[0] == "ok":
        result = reply[1]
        assert isinstance(result, TaskResult)
        return result
    if reply[0] == "error":
        _kind, name, message, code, details = reply
        cls = _ERRORS[name]
        error = cls(message, code=code, details=details)
        raise error
    raise RuntimeError(f"a query worker failed: {reply[1]}")
