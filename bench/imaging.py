"""``python -m bench.imaging``: what checking an image, making its thumbnail and giving it to the
image model cost, thumbnails beside libvips' and the naive way; and whether a 4K output (a 16 Mpx
PNG) stays within the functions' memory.

Each measurement runs in a fresh interpreter, and its peak
memory is the rise of the process's resident high-water mark (``VmHWM``, reset through
``/proc/self/clear_refs``: Linux only) over what it held once the module was imported and
the file read. Resident memory counts Pillow's C allocations, which ``tracemalloc`` does
not see; ``ru_maxrss`` cannot be reset, and Linux carries it over from the parent process
through fork and exec, so a parent that made a 24 Mpx image would hide a child's peak.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageFilter

from bench.report import Report

RUNS = 5


def photo_like(width: int, height: int) -> Image.Image:
    """Smooth gradients with soft noise: compresses and decodes more like a photo than flat colour."""
    noise = Image.effect_noise((width // 4, height // 4), 48).filter(ImageFilter.GaussianBlur(1))
    return Image.merge(
        "RGB",
        [
            Image.linear_gradient("L").resize((width, height)),
            noise.resize((width, height), Image.Resampling.BILINEAR),
            Image.radial_gradient("L").resize((width, height)),
        ],
    )


FOUR_K = "4096x4096 PNG (4K output)"
GIF = "1200x900 GIF, 12 frames"
CASES: list[tuple[str, str, tuple[int, int], dict[str, object]]] = [
    ("6000x4000 JPEG", "JPEG", (6000, 4000), {"quality": 90}),
    ("4000x3000 PNG", "PNG", (4000, 3000), {"compress_level": 6}),
    ("4000x3000 WebP", "WEBP", (4000, 3000), {"quality": 80}),
    (GIF, "GIF", (1200, 900), {}),
    (FOUR_K, "PNG", (4096, 4096), {"compress_level": 6}),
]
# Which function runs each operation on a generated image, for the memory it is given.
FUNCTION_OF = {
    "inspect": "MetadataFunction",
    "thumbnail": "ThumbnailFunction",
    "model_input": "GenerateWorkerFunction",
}
# Our thumbnails against libvips' (pyvips ``thumbnail``, the reference) and against the naive way.
THUMBNAIL_TIME_GOAL = 1.2
THUMBNAIL_MEMORY_GOAL = 1.5
JPEG_SPEEDUP_GOAL = 2.0


def save_case(path: Path, image_format: str, size: tuple[int, int], params: dict[str, object]) -> None:
    if image_format == "GIF":  # an animation: frames that differ, as a short clip's do
        frames = [photo_like(*size).rotate(angle * 3).quantize(64) for angle in range(12)]
        frames[0].save(path, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    else:
        photo_like(*size).save(path, image_format, **params)


def naive_thumbnail(data: bytes) -> bytes:
    """What a thumbnail costs done the obvious way: decode in full, then resize."""
    import io

    from imagegen.adapters.imaging import THUMBNAIL_QUALITY, THUMBNAIL_SIZE

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        picture = image.convert("RGBA" if image.has_transparency_data else "RGB")
        picture.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
        output = io.BytesIO()
        picture.save(output, "WEBP", quality=THUMBNAIL_QUALITY)
    return output.getvalue()


def libvips_thumbnail(data: bytes) -> bytes:
    """libvips' thumbnail (shrink-on-load, streaming), saved as our thumbnails are."""
    import pyvips

    from imagegen.adapters.imaging import THUMBNAIL_METHOD, THUMBNAIL_QUALITY, THUMBNAIL_SIZE

    thumbnail = pyvips.Image.thumbnail_buffer(data, THUMBNAIL_SIZE)
    return bytes(thumbnail.webpsave_buffer(Q=THUMBNAIL_QUALITY, effort=THUMBNAIL_METHOD, keep=0))


def resident_kib(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (high-water mark) of this process, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def measure(operation: str, path: str) -> None:
    """In the child: time ``operation`` on the file, and the memory its first run took."""
    import pyvips  # loaded before the baseline on every side, so no side counts libvips' own footprint

    from imagegen.adapters.imaging import inspect_image, make_thumbnail, model_input

    pyvips.cache_set_max(0)  # no side may reuse an earlier run's work
    data = Path(path).read_bytes()
    run: Callable[[], object] = {
        "inspect": lambda: inspect_image(data),
        "thumbnail": lambda: make_thumbnail(data),
        "model_input": lambda: model_input(data).data,
        "naive_thumbnail": lambda: naive_thumbnail(data),
        "libvips_thumbnail": lambda: libvips_thumbnail(data),
    }[operation]
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark restarts from here
    baseline_kib = resident_kib("VmRSS")
    samples = []
    result: object = None
    peak_kib = 0
    for _ in range(RUNS):
        started = time.perf_counter()
        result = run()
        samples.append((time.perf_counter() - started) * 1000)
        if len(samples) == 1:
            peak_kib = resident_kib("VmHWM") - baseline_kib
    print(
        json.dumps(
            {
                "ms": statistics.median(samples),
                "first_ms": samples[0],
                "peak_mb": peak_kib / 1024,
                "output_kb": len(result) / 1024 if isinstance(result, bytes) else None,
            }
        )
    )


def compared_thumbnails(path: Path, rounds: int = 3) -> dict[str, dict[str, float]]:
    """Ours, libvips' and naive thumbnails of one file, alternating over ``rounds`` fresh interpreters
    each (what else the machine does weighs on all three); per figure, the median of the rounds."""
    sides = ("thumbnail", "libvips_thumbnail", "naive_thumbnail")
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for _ in range(rounds):
        for side in sides:
            runs[side].append(in_fresh_interpreter(side, path))
    return {
        side: {key: statistics.median(run[key] for run in measured) for key in ("ms", "first_ms", "peak_mb")}
        | {"output_kb": measured[0]["output_kb"]}
        for side, measured in runs.items()
    }


def in_fresh_interpreter(operation: str, path: Path) -> dict[str, float]:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.imaging", "--measure", operation, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(completed.stdout)
    return figures


# A function's memory setting must hold the peak of its work on a 4K output with room to spare for
# the runtime, the handler and the bytes in flight.
MEMORY_SHARE_GOAL = 0.5


def main(report: Report) -> None:
    from stacktools.template import load_template

    rows, versus = [], []
    four_k: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as directory:
        for name, image_format, size, params in CASES:
            path = Path(directory) / f"{name.split()[0]}.{image_format.lower()}"
            save_case(path, image_format, size, params)
            measured = {operation: in_fresh_interpreter(operation, path) for operation in FUNCTION_OF}
            measured.update(compared_thumbnails(path))
            if name == FOUR_K:
                four_k = measured
            rows.append(
                [
                    name,
                    f"{path.stat().st_size / 2**20:.1f}",
                    f"{measured['inspect']['ms']:.0f}",
                    f"{measured['inspect']['peak_mb']:.0f}",
                    f"{measured['thumbnail']['first_ms']:.0f}",
                    f"{measured['thumbnail']['output_kb']:.0f}",
                    f"{measured['model_input']['ms']:.0f}",
                    f"{measured['model_input']['peak_mb']:.0f}",
                ]
            )
            versus.append(thumbnail_versus(report, name, measured))
    report.table(
        f"Images: median of {RUNS} runs, one fresh interpreter per operation; peak: VmHWM rise, first run",
        [
            "image",
            "file MB",
            "inspect ms",
            "inspect peak MB",
            "thumbnail first ms",
            "thumbnail KB",
            "model input ms",
            "model input peak MB",
        ],
        rows,
    )
    report.table(
        f"Thumbnails (512 px WebP) beside libvips (pyvips thumbnail) and naive Pillow (full decode, resize);"
        f" goals: time <= {THUMBNAIL_TIME_GOAL}x and peak <= {THUMBNAIL_MEMORY_GOAL}x libvips',"
        f" JPEG >= {JPEG_SPEEDUP_GOAL}x faster than naive",
        [
            "image",
            "ours ms",
            "libvips ms",
            "naive ms",
            "time ratio",
            "ours MB",
            "libvips MB",
            "naive MB",
            "memory ratio",
            "met",
        ],
        versus,
    )
    template = load_template()
    default_memory = template["Globals"]["Function"]["MemorySize"]
    memory = {
        function: template["Resources"][function]["Properties"].get("MemorySize", default_memory)
        for function in FUNCTION_OF.values()
    }
    report.table(
        f"{FOUR_K}: each function's peak beside its memory setting (goal: <= {MEMORY_SHARE_GOAL:.0%} of it)",
        ["function", "operation", "ms", "peak MB", "MemorySize MB", "share", "met"],
        [
            [
                function,
                operation,
                f"{four_k[operation]['ms']:.0f}",
                f"{four_k[operation]['peak_mb']:.0f}",
                str(memory[function]),
                f"{share:.0%}",
                report.goal(
                    f"{FOUR_K} {operation} in {function}",
                    f"{share:.0%} of {memory[function]} MB",
                    f"<= {MEMORY_SHARE_GOAL:.0%}",
                    share <= MEMORY_SHARE_GOAL,
                ),
            ]
            for operation, function in FUNCTION_OF.items()
            for share in [four_k[operation]["peak_mb"] / memory[function]]
        ],
    )


def thumbnail_versus(report: Report, name: str, measured: dict[str, dict[str, float]]) -> list[str]:
    """One image's thumbnail row, its goals recorded: time and peak against libvips', JPEG against naive."""
    ours, libvips, naive = (measured[key] for key in ("thumbnail", "libvips_thumbnail", "naive_thumbnail"))
    # A peak under a few MB is noise in VmHWM (pages already mapped): count at least 1 MB on each side.
    time_ratio = ours["ms"] / libvips["ms"]
    memory_ratio = max(ours["peak_mb"], 1.0) / max(libvips["peak_mb"], 1.0)
    met = [
        report.goal(
            f"thumbnail {name}: time / libvips'",
            f"{time_ratio:.2f}",
            f"<= {THUMBNAIL_TIME_GOAL}",
            time_ratio <= THUMBNAIL_TIME_GOAL,
        ),
        report.goal(
            f"thumbnail {name}: peak / libvips'",
            f"{memory_ratio:.2f}",
            f"<= {THUMBNAIL_MEMORY_GOAL}",
            memory_ratio <= THUMBNAIL_MEMORY_GOAL,
        ),
    ]
    if "JPEG" in name:
        speedup = naive["ms"] / ours["ms"]
        met.append(
            report.goal(
                f"thumbnail {name}: naive / ours",
                f"{speedup:.1f}x",
                f">= {JPEG_SPEEDUP_GOAL}x",
                speedup >= JPEG_SPEEDUP_GOAL,
            )
        )
    return [
        name,
        f"{ours['ms']:.0f}",
        f"{libvips['ms']:.0f}",
        f"{naive['ms']:.0f}",
        f"{time_ratio:.2f}",
        f"{ours['peak_mb']:.0f}",
        f"{libvips['peak_mb']:.0f}",
        f"{naive['peak_mb']:.0f}",
        f"{memory_ratio:.2f}",
        " ".join(met),
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        measure(sys.argv[2], sys.argv[3])
    else:
        main(Report())
