"""The read-ahead and writer threads: order kept, errors raised in the caller, early stop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qazai.libraries.pipeline.overlap import BackgroundSink, read_ahead


def test_read_ahead_keeps_order_and_raises_the_producers_error() -> None:
    assert list(read_ahead(iter(range(100)))) == list(range(100))

    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("bad row")

    got: list[int] = []
    with pytest.raises(ValueError, match="bad row"):
        got.extend(read_ahead(failing()))
    assert got == [1]


def test_read_ahead_closes_the_source_when_the_consumer_stops_early() -> None:
    closed: list[bool] = []

    def source() -> Iterator[int]:
        try:
            yield from range(1_000)
        finally:
            closed.append(True)

    stream = read_ahead(source())
    assert next(stream) == 0
    stream.close()
    assert closed == [True]


def test_background_sink_consumes_in_order_and_reraises() -> None:
    seen: list[int] = []
    sink: BackgroundSink[int] = BackgroundSink(seen.append)
    for i in range(50):
        sink.put(i)
    sink.close()
    assert seen == list(range(50))

    def broken(_: int) -> None:
        raise OSError("disk full")

    failing: BackgroundSink[int] = BackgroundSink(broken)
    with pytest.raises(OSError, match="disk full"):
        for i in range(10):
            failing.put(i)
        failing.close()
