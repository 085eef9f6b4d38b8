"""Safety on upload: what each file is, what its header says, and whether loading it runs code.

- safetensors: the JSON header is read (never the tensors) and checked against the file: every
  tensor's byte span must equal its shape times its dtype's size, the spans must tile the data
  area exactly, and the data area must be what the file holds. A header that lies is refused.
- GGUF: the header (metadata and the tensors' shapes, types and offsets) is read and checked
  against the file the same way (:mod:`qazai.models.gguf_header`).
- pickle-based (`.bin`, `.pt`, `.pth`, `.pkl`, `.pickle`, `.joblib`, `.ckpt`): scanned with
  picklescan; in the open and registered tiers a file that imports anything beyond tensor
  reconstruction, or that cannot be read as a pickle at all, is refused. In the restricted tier it
  is kept with the findings shown (the grantees are named and audited).

Files are read from the object store as streams; a pickle is spooled to a temporary file for the
scanner (never held whole in memory).
"""

from __future__ import annotations

import json
import logging
import math
import struct
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from qazai.core.enums import AccessTier
from qazai.core.errors import InvalidInput
from qazai.models.models import PREFERRED_FORMATS, FileFormat
from qazai.storage.objects import ByteRange, ObjectStore

PICKLE_SUFFIXES = frozenset({".bin", ".pt", ".pth", ".pkl", ".pickle", ".joblib", ".ckpt"})
_SUFFIX_FORMATS = {
    ".safetensors": FileFormat.safetensors,
    ".onnx": FileFormat.onnx,
    ".gguf": FileFormat.gguf,
    ".json": FileFormat.json,
    ".txt": FileFormat.text,
    ".md": FileFormat.text,
}
SAFETENSORS_DTYPE_BYTES = {
    "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
    "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
}  # fmt: skip
MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024  # the format's own limit
# What rebuilding tensors and state dicts needs, and nothing that can run a command
TENSOR_GLOBALS = frozenset(
    {
        ("collections", "OrderedDict"),
        ("torch._utils", "_rebuild_tensor_v2"),
        ("torch._utils", "_rebuild_parameter"),
        ("torch", "Size"),
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("_codecs", "encode"),
    }
    | {
        ("torch", f"{kind}Storage")
        for kind in (
            "Float",
            "Double",
            "Half",
            "BFloat16",
            "Long",
            "Int",
            "Short",
            "Char",
            "Byte",
            "Bool",
            "ComplexFloat",
            "ComplexDouble",
            "QInt8",
            "QUInt8",
            "QInt32",
            "QUInt4x2",
            "QUInt2x4",
        )
    }
)


@dataclass
class Inspection:
    format: FileFormat
    preferred: bool
    tensors: dict[str, Any] | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)


def file_format(path: str) -> FileFormat:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        return FileFormat.pickle
    return _SUFFIX_FORMATS.get(suffix, FileFormat.other)


def _read(objects: ObjectStore, key: str, start: int, length: int) -> bytes:
    if length <= 0:
        return b""
    return b"".join(objects.open(key, ByteRange(start, start + length - 1)))


def _refuse(path: str, message: str, code: str, **details: Any) -> InvalidInput:
    return InvalidInput(f"{path}: {message}", code=code, details={"path": path, **details})


def inspect_safetensors(objects: ObjectStore, key: str, path: str, size: int) -> dict[str, Any]:
    """The tensors' summary (count, parameters, dtypes, bytes); InvalidInput
    ``safetensors_header_invalid`` when the header is not what the file holds."""
    if size < 8:
        raise _refuse(path, f"{size} bytes is too short for a safetensors file", "safetensors_header_invalid")
    (header_len,) = struct.unpack("<Q", _read(objects, key, 0, 8))
    if header_len > MAX_SAFETENSORS_HEADER or 8 + header_len > size:
        raise _refuse(
            path,
            f"the header claims {header_len} bytes but the file has {size}",
            "safetensors_header_invalid",
        )
    try:
        header = json.loads(_read(objects, key, 8, header_len))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _refuse(path, "the header is not JSON", "safetensors_header_invalid") from None
    if not isinstance(header, dict):
        raise _refuse(path, "the header is not a JSON object", "safetensors_header_invalid")
    data_size = size - 8 - header_len
    spans: list[tuple[int, int, str]] = []
    dtypes: dict[str, int] = {}
    parameters = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict):
            raise _refuse(path, f"tensor {name!r} has no description", "safetensors_header_invalid")
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if dtype not in SAFETENSORS_DTYPE_BYTES:
            raise _refuse(
                path, f"tensor {name!r} has an unknown dtype {dtype!r}", "safetensors_header_invalid"
            )
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise _refuse(path, f"tensor {name!r} has an invalid shape", "safetensors_header_invalid")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            raise _refuse(path, f"tensor {name!r} has invalid data offsets", "safetensors_header_invalid")
        count = math.prod(shape)
        begin, end = offsets
        if end - begin != count * SAFETENSORS_DTYPE_BYTES[dtype]:
            raise _refuse(
                path,
                f"tensor {name!r} ({dtype} {shape}) needs {count * SAFETENSORS_DTYPE_BYTES[dtype]} bytes "
                f"but its offsets span {end - begin}",
                "safetensors_header_invalid",
            )
        spans.append((begin, end, name))
        dtypes[dtype] = dtypes.get(dtype, 0) + count
        parameters += count
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise _refuse(
                path, f"tensor {name!r} starts at {begin}, not {position} (gap or overlap)",
                "safetensors_header_invalid",
            )  # fmt: skip
        position = end
    if position != data_size:
        raise _refuse(
            path,
            f"the header describes {position} bytes of tensors but the file holds {data_size} "
            "(truncated or padded)",
            "safetensors_header_invalid",
            described=position,
            held=data_size,
        )
    metadata = header.get("__metadata__")
    return {
        "count": len(spans),
        "parameters": parameters,
        "dtypes": dict(sorted(dtypes.items())),
        "metadata": metadata if isinstance(metadata, dict) else None,
    }


def inspect_gguf(objects: ObjectStore, key: str, path: str, size: int) -> dict[str, Any]:
    """Tensors, parameters and ggml types from the GGUF header (the tensors are not read);
    InvalidInput ``gguf_header_invalid`` when the header does not describe the file."""
    from qazai.models.gguf_header import GGUFHeaderError, read_gguf_header

    chunks = objects.open(key)
    try:
        return read_gguf_header(chunks, size)
    except GGUFHeaderError as exc:
        raise _refuse(path, f"not a valid GGUF file: {exc}", "gguf_header_invalid") from None
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def scan_pickle(
    objects: ObjectStore, key: str, path: str, size: int, tier: AccessTier
) -> list[dict[str, Any]]:
    """Findings for a pickle-based file (globals beyond tensor reconstruction); raises
    InvalidInput ``unsafe_pickle`` / ``pickle_unverifiable`` in the open and registered tiers."""
    from picklescan.scanner import scan_pickle_bytes, scan_zip_bytes

    strict_tier = tier in (AccessTier.open, AccessTier.registered)
    findings: list[dict[str, Any]] = []
    logging.getLogger("picklescan").setLevel(logging.ERROR)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        for chunk in objects.open(key):
            spool.write(chunk)
        spool.seek(0)
        first = spool.read(1)
        spool.seek(0)
        is_zip = zipfile.is_zipfile(spool)
        spool.seek(0)
        if not is_zip and first != b"\x80":
            # not a torch zip and not a protocol 2+ pickle: compressed (joblib) or not a pickle
            if strict_tier:
                raise _refuse(
                    path,
                    "cannot be verified as a plain pickle (compressed or another format); "
                    "publish safetensors, ONNX or GGUF",
                    "pickle_unverifiable",
                )
            return [{"code": "pickle_unverifiable", "message": "not scanned: not a plain pickle"}]
        result = scan_zip_bytes(spool, path) if is_zip else scan_pickle_bytes(spool, path)
    imports = sorted({(g.module, g.name) for g in result.globals} - TENSOR_GLOBALS)
    for module, name in imports:
        findings.append({"code": "pickle_import", "message": f"imports {module}.{name}"})
    if result.scan_err:
        findings.append({"code": "pickle_unreadable", "message": "the pickle stream is malformed"})
    if findings and strict_tier:
        raise _refuse(
            path,
            f"loading it would run code beyond tensor reconstruction ({findings[0]['message']}); "
            f"refused in the {tier.value} tier — publish safetensors",
            "unsafe_pickle",
            findings=findings,
        )
    return findings


def inspect_file(objects: ObjectStore, key: str, path: str, size: int, tier: AccessTier) -> Inspection:
    """What the file is and what its header says; InvalidInput when it must be refused."""
    if size == 0:
        raise _refuse(path, "the file is empty (0 bytes)", "empty_file")
    fmt = file_format(path)
    out = Inspection(format=fmt, preferred=fmt in PREFERRED_FORMATS)
    if fmt == FileFormat.safetensors:
        out.tensors = inspect_safetensors(objects, key, path, size)
    elif fmt == FileFormat.gguf:
        out.tensors = inspect_gguf(objects, key, path, size)
    elif fmt == FileFormat.pickle:
        out.findings = scan_pickle(objects, key, path, size, tier)
    return out
