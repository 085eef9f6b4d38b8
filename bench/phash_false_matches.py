# ruff: noqa: E501
"""Perceptual-hash threshold: re-encoded copies found, unrelated pictures never matched.

    .venv/bin/python bench/phash_false_matches.py [--pairs 10000] [--copies 300] [--threshold 10]

Pictures are generated, 256x256 RGB, from a seed, by one of three generators (chosen by seed):

- waves: three sinusoidal colour fields with random frequencies and phases plus four filled
  rectangles (``tests/labels/support.picture``);
- shapes: a random background colour, then 6-20 random ellipses, rectangles and polygons in
  random colours;
- clouds: white noise at a random coarse scale (4-32 cells per side), upscaled bicubically (soft
  blobs), with a random colour tint.

1. Unrelated pairs: pictures ``2i`` and ``2i + 1`` for ``i < --pairs``; the Hamming distance of
   their 64-bit pHash (``qazai.labels.images.fingerprint``, as the registry stores it); a false
   match is a distance at most ``--threshold``.
2. Copies: ``--copies`` pictures saved as JPEG q95 (as labelled), then re-encoded as a messenger
   does (resized to half, JPEG quality 60): the distance to the original's hash; a miss is a
   distance above the threshold.

Prints the distributions' tails, the false matches and misses at the threshold, and what other
thresholds would give.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

SIZE = 256


def waves(seed: int) -> Image.Image:
    from tests.labels.support import picture

    return picture(seed, (SIZE, SIZE))


def shapes(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (SIZE, SIZE), tuple(int(v) for v in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(6, 21))):
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        x0, y0 = (int(v) for v in rng.integers(-40, SIZE, 2))
        x1, y1 = x0 + int(rng.integers(20, 160)), y0 + int(rng.integers(20, 160))
        kind = int(rng.integers(0, 3))
        if kind == 0:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        elif kind == 1:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            points = [(int(a), int(b)) for a, b in rng.integers(-20, SIZE + 20, (int(rng.integers(3, 7)), 2))]
            draw.polygon(points, fill=colour)
    return image


def clouds(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    cells = int(rng.integers(4, 33))
    field = (rng.random((cells, cells)) * 255).astype("uint8")
    grey = Image.fromarray(field).resize((SIZE, SIZE), Image.Resampling.BICUBIC)
    tint = rng.uniform(0.3, 1.0, 3)
    array = (np.asarray(grey)[..., None] * tint).clip(0, 255).astype("uint8")
    return Image.fromarray(array)


GENERATORS = (waves, shapes, clouds)


def generate(seed: int) -> Image.Image:
    return GENERATORS[seed % len(GENERATORS)](seed)


def jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--copies", type=int, default=300)
    parser.add_argument(
        "--threshold", type=int, default=None, help="default: the platform's PHASH_MAX_DISTANCE"
    )
    args = parser.parse_args()

    from tests.labels.support import reencode

    from qazai.labels.images import PHASH_MAX_DISTANCE, fingerprint, hash_distance

    threshold = PHASH_MAX_DISTANCE if args.threshold is None else args.threshold
    started = time.perf_counter()
    unrelated = []
    for i in range(args.pairs):
        a = fingerprint(jpeg(generate(2 * i), 95))
        b = fingerprint(jpeg(generate(2 * i + 1), 95))
        unrelated.append(hash_distance(a, b))
    copies = []
    for i in range(args.copies):
        seed = 10_000_000 + i
        labelled = jpeg(generate(seed), 95)
        copies.append(
            hash_distance(fingerprint(labelled), fingerprint(reencode(labelled, scale=0.5, quality=60)))
        )
    elapsed = time.perf_counter() - started

    unrelated_sorted, copies_sorted = sorted(unrelated), sorted(copies)
    false_matches = sum(d <= threshold for d in unrelated)
    misses = sum(d > threshold for d in copies)
    print(
        f"{args.pairs:,} unrelated pairs and {args.copies} re-encoded copies (resize 1/2 + JPEG q60), {elapsed:.0f} s"
    )
    print(
        f"unrelated pairs: min distance {unrelated_sorted[0]}, 0.1% {unrelated_sorted[len(unrelated) // 1000]}, median {unrelated_sorted[len(unrelated) // 2]}"
    )
    print(
        f"re-encoded copies: median {copies_sorted[len(copies) // 2]}, 99% {copies_sorted[int(len(copies) * 0.99)]}, max {copies_sorted[-1]}"
    )
    print(
        f"threshold {threshold}: false matches {false_matches} of {args.pairs:,}; copies missed {misses} of {args.copies}"
    )
    for other in (6, 8, 10, 12, 14, 16):
        fm = sum(d <= other for d in unrelated)
        miss = sum(d > other for d in copies)
        print(f"  threshold {other:2}: false matches {fm:5}, copies missed {miss:4}")


if __name__ == "__main__":
    main()
