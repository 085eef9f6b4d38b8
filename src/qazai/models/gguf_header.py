"""The header of a GGUF file (llama.cpp's format), read from a stream and checked against the file.

GGUF: magic, version, tensor and metadata counts, the metadata (typed key/value pairs), then one
entry per tensor (name, shape, ggml type, offset in the data area), then the data area, aligned to
``general.alignment`` (32 by default). Only the header is read (bounded), never the tensors; the
ggml types' block sizes come from the `gguf` package (the llama.cpp project's own tables).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from typing import Any

from gguf.constants import GGML_QUANT_SIZES, GGUF_DEFAULT_ALIGNMENT, GGMLQuantizationType, GGUFValueType

MAX_HEADER_BYTES = 512 * 1024 * 1024
MAX_STRING_BYTES = 16 * 1024 * 1024
MAX_COUNT = 10_000_000
_SCALARS = {
    GGUFValueType.UINT8: "<B", GGUFValueType.INT8: "<b", GGUFValueType.UINT16: "<H",
    GGUFValueType.INT16: "<h", GGUFValueType.UINT32: "<I", GGUFValueType.INT32: "<i",
    GGUFValueType.FLOAT32: "<f", GGUFValueType.BOOL: "<?", GGUFValueType.UINT64: "<Q",
    GGUFValueType.INT64: "<q", GGUFValueType.FLOAT64: "<d",
}  # fmt: skip


class GGUFHeaderError(ValueError):
    """The header cannot be read or does not describe the file."""


class _Stream:
    """Reads from a stream of chunks; a chunk is sliced, never copied whole per read."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._at = 0
        self.position = 0

    def read(self, n: int) -> bytes:
        if self.position + n > MAX_HEADER_BYTES:
            raise GGUFHeaderError(f"the header is larger than {MAX_HEADER_BYTES} bytes")
        if len(self._buffer) - self._at < n:
            parts = [self._buffer[self._at :]]
            have = len(parts[0])
            while have < n:
                chunk = next(self._chunks, None)
                if chunk is None:
                    raise GGUFHeaderError("the file ends inside its header (truncated)")
                parts.append(chunk)
                have += len(chunk)
            self._buffer, self._at = b"".join(parts), 0
        out = self._buffer[self._at : self._at + n]
        self._at += n
        self.position += n
        return out

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        length = self.unpack("<Q")
        if length > MAX_STRING_BYTES:
            raise GGUFHeaderError(f"a string of {length} bytes in the header")
        return self.read(length).decode("utf-8", errors="replace")

    def value(self, kind: int, *, keep: bool = True) -> Any:
        try:
            value_type = GGUFValueType(kind)
        except ValueError:
            raise GGUFHeaderError(f"unknown metadata value type {kind}") from None
        if value_type in _SCALARS:
            return self.unpack(_SCALARS[value_type])
        if value_type == GGUFValueType.STRING:
            return self.string()
        item_type, count = self.unpack("<I"), self.unpack("<Q")
        if count > MAX_COUNT:
            raise GGUFHeaderError(f"an array of {count} items in the header")
        items = [self.value(item_type, keep=keep) for _ in range(count)]
        return items if keep and count <= 64 else f"<{count} items>"


def read_gguf_header(chunks: Iterator[bytes], size: int) -> dict[str, Any]:
    """Tensor count, parameters, parameters per ggml type, the format version and a few
    ``general.*`` metadata values; GGUFHeaderError when the header does not describe the file
    (a tensor past the end of the data, overlapping tensors, an unknown type)."""
    stream = _Stream(chunks)
    if stream.read(4) != b"GGUF":
        raise GGUFHeaderError("no GGUF magic")
    version = stream.unpack("<I")
    if version not in (2, 3):
        raise GGUFHeaderError(f"GGUF version {version} is not supported (2 or 3)")
    tensors, entries = stream.unpack("<Q"), stream.unpack("<Q")
    if tensors > MAX_COUNT or entries > MAX_COUNT:
        raise GGUFHeaderError(f"{tensors} tensors and {entries} metadata entries claimed")
    metadata: dict[str, Any] = {}
    alignment = GGUF_DEFAULT_ALIGNMENT
    for _ in range(entries):
        key = stream.string()
        value = stream.value(stream.unpack("<I"))
        if key == "general.alignment":
            alignment = int(value)
        if key.startswith("general.") and not isinstance(value, list):
            metadata[key] = value
    if alignment <= 0 or alignment & (alignment - 1):
        raise GGUFHeaderError(f"general.alignment {alignment} is not a power of two")
    spans: list[tuple[int, int, str]] = []
    dtypes: dict[str, int] = {}
    parameters = 0
    for _ in range(tensors):
        name = stream.string()
        dims = stream.unpack("<I")
        if dims > 8:
            raise GGUFHeaderError(f"tensor {name!r} has {dims} dimensions")
        shape = [stream.unpack("<Q") for _ in range(dims)]
        kind, offset = stream.unpack("<I"), stream.unpack("<Q")
        try:
            ggml_type = GGMLQuantizationType(kind)
            block, type_size = GGML_QUANT_SIZES[ggml_type]
        except (ValueError, KeyError):
            raise GGUFHeaderError(f"tensor {name!r} has an unknown ggml type {kind}") from None
        count = math.prod(shape)
        if count % block:
            raise GGUFHeaderError(f"tensor {name!r}: {count} values are not whole blocks of {block}")
        if offset % alignment:
            raise GGUFHeaderError(f"tensor {name!r} starts at {offset}, not aligned to {alignment}")
        spans.append((offset, offset + count // block * type_size, name))
        dtypes[ggml_type.name] = dtypes.get(ggml_type.name, 0) + count
        parameters += count
    data_start = -(-stream.position // alignment) * alignment
    data_size = size - data_start
    end = 0
    for begin, stop, name in sorted(spans):
        if begin < end:
            raise GGUFHeaderError(f"tensor {name!r} overlaps the one before it")
        end = stop
    if end > data_size:
        raise GGUFHeaderError(
            f"the header describes {end} bytes of tensors but the file holds {max(data_size, 0)} (truncated)"
        )
    return {
        "count": tensors,
        "parameters": parameters,
        "dtypes": dict(sorted(dtypes.items())),
        "gguf_version": version,
        "metadata": metadata,
    }
