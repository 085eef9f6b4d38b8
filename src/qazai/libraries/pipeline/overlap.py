"""Overlapping I/O with compute: a read-ahead thread for source batches, a writer thread.

Arrow's CSV parser, Polars and the Parquet encoder release the GIL, so reading the next batch
(or encoding the last one) on a second thread runs alongside converting the current one. Queues
are short (``depth`` batches) so memory stays bounded; an error on the other thread is raised
in the caller.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")
_DONE = object()


def read_ahead(items: Iterator[T], depth: int = 2) -> Generator[T, None, None]:
    """Yield ``items`` while a thread fetches up to ``depth`` of them ahead."""
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(_DONE)
        except BaseException as error:  # handed to the consumer
            slots.put(error)
        finally:
            close = getattr(items, "close", None)
            if close is not None and stop.is_set():
                close()

    thread = threading.Thread(target=produce, name="qazai-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                slots.get(timeout=0.1)
        thread.join()


class BackgroundSink(Generic[T]):
    """Calls ``consume`` on a thread for each item put; ``close`` waits and re-raises its error."""

    def __init__(self, consume: Callable[[T], None], depth: int = 2) -> None:
        self._consume = consume
        self._slots: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="qazai-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._slots.get()
            if item is _DONE:
                return
            if self._error is None:
                try:
                    self._consume(item)  # type: ignore[arg-type]
                except BaseException as error:
                    self._error = error

    def put(self, item: T) -> None:
        if self._error is not None:
            self.close()
        self._slots.put(item)

    def close(self) -> None:
        if self._thread.is_alive():
            self._slots.put(_DONE)
            self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error


R = TypeVar("R")


def in_background(call: Callable[[], R]) -> Future[R]:
    """Run ``call()`` on a thread of its own; the future holds its value or its error."""
    future: Future[R] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():  # pragma: no cover - nothing cancels it
            return
        try:
            future.set_result(call())
        except BaseException as error:  # handed to the caller by result()
            future.set_exception(error)

    threading.Thread(target=run, name="qazai-background", daemon=True).start()
    return future


class BackgroundFold(Generic[T, R]):
    """Runs ``fold(items)`` on a thread over the items ``put`` (while the caller goes on with
    its own work); ``result()`` ends the items, waits and returns the fold's value or re-raises
    its error. A fold that stops early or fails does not block ``put``: the rest is discarded."""

    def __init__(self, fold: Callable[[Iterator[T]], R], depth: int = 2) -> None:
        self._fold = fold
        self._slots: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._value: R | None = None
        self._ended = False
        self._thread = threading.Thread(target=self._run, name="qazai-fold", daemon=True)
        self._thread.start()

    def _items(self) -> Iterator[T]:
        while True:
            item = self._slots.get()
            if item is _DONE:
                self._ended = True
                return
            yield item  # type: ignore[misc]

    def _run(self) -> None:
        try:
            self._value = self._fold(self._items())
        except BaseException as error:  # handed to the caller by result()
            self._error = error
        while not self._ended:  # drain, so put() never blocks on a fold that stopped
            if self._slots.get() is _DONE:
                self._ended = True

    def put(self, item: T) -> None:
        self._slots.put(item)

    def result(self) -> R:
        """The fold's value (after every item put); re-raises the fold's error."""
        if self._thread.is_alive():
            self._slots.put(_DONE)
            self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._value  # type: ignore[return-value]
