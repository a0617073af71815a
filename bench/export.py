"""``python -m bench export``: the memory an export takes, for galleries of 100 and 1,000 small images,
against moto. An export streams (originals read in chunks, the zip uploaded in parts as it grows), so
its peak should not grow with the gallery: the goal is under 64 MiB above what the worker held before.

Each gallery is measured in a fresh interpreter, which starts a moto server of its own in another
process (so the bucket's bytes, kept in moto's memory, are not counted as the worker's), provisions the
template's resources in it, writes the gallery, then builds one export. The peak is the rise of the
process's resident high-water mark (``VmHWM``, reset through ``/proc/self/clear_refs``: Linux only)
over its resident memory just before, as ``bench.imaging`` measures; ``tracemalloc``'s peak of
Python's own allocations is shown beside it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from bench.report import Report

GALLERIES = (100, 1000)
IMAGE_BYTES = 48 * 1024  # a small photo's size; the bytes are copied, never decoded
PEAK_GOAL_MIB = 64.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def resident_kib(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (high-water mark) of this process, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def measure(count: int) -> None:
    """In this interpreter: a gallery of ``count`` images on a moto server of its own, then one export;
    prints the figures as JSON."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and moto
        [sys.executable, "-m", "moto.server", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        os.environ.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - moto's, for this run alone
            AWS_DEFAULT_REGION="us-east-1",
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        print(json.dumps(_export(count)))
    finally:
        server.terminate()
        server.wait()


def _export(count: int) -> dict[str, float]:
    import boto3

    from devstack.provision import Provisioner
    from imagegen.composition import Composition
    from imagegen.config import Settings
    from imagegen.ids import new_id, now_iso
    from imagegen.models.auth import GoogleIdentity
    from imagegen.models.exports import ExportJob
    from imagegen.models.images import Image, ImageMetadata, ImageStatus, ImageType
    from imagegen.services.exports import ExportService
    from stacktools.template import Template

    template = Template.load({"GoogleClientId": "bench", "Payments": "enabled"})
    Provisioner(template, boto3.session.Session()).provision()
    environment: dict[str, str] = {}
    for function in template.functions().values():
        environment.update(function.environment)
    services = Composition(Settings(environment))
    user = services.users.sign_in(
        GoogleIdentity(subject="bench", email="bench@example.com", first_name="Bench", last_name="Mark")
    )
    user_id, bucket = user.id, services.settings.images.bucket
    for _ in range(count):
        image_id, at = new_id(), now_iso()
        key = f"images/{user_id}/{image_id}.jpg"
        services.aws.s3.put_object(Bucket=bucket, Key=key, Body=os.urandom(IMAGE_BYTES))
        image = Image(
            user_id=user_id,
            image_id=image_id,
            type=ImageType.UPLOADED,
            status=ImageStatus.COMPLETED,
            title=f"Photo {count % 7}",  # names alike: each made unique
            object_key=key,
            metadata=ImageMetadata.model_validate(
                {
                    "width": 320,
                    "height": 240,
                    "format": "JPEG",
                    "contentType": "image/jpeg",
                    "size": IMAGE_BYTES,
                }
            ),
            coins_used=0,
            created_at=at,
            updated_at=at,
        )
        services.transactions.write([services.image_records.create_write(image)])
    exports = ExportService(services.export_records, _Unqueued())
    export = exports.start(user_id)
    worker = services.export_worker
    worker.build(ExportJob(user_id=user_id, export_id=new_id()))  # stale: loads every module first

    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark restarts from here
    baseline_kib = resident_kib("VmRSS")
    tracemalloc.start()
    started = time.perf_counter()
    outcome = worker.build(ExportJob(user_id=user_id, export_id=export.id))
    seconds = time.perf_counter() - started
    python_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    peak_kib = resident_kib("VmHWM") - baseline_kib
    assert outcome.outcome == "ready", outcome
    size = services.aws.s3.head_object(Bucket=bucket, Key=export.object_key)["ContentLength"]
    return {
        "images": count,
        "zipMiB": size / 2**20,
        "seconds": seconds,
        "peakMiB": peak_kib / 1024,
        "pythonPeakMiB": python_peak / 2**20,
        "baselineMiB": baseline_kib / 1024,
    }


class _Unqueued:
    """The export queue, unused: the bench hands the worker its message itself."""

    def send(self, job: object) -> None:
        pass


def main(report: Report) -> None:
    rows, figures = [], []
    for count in GALLERIES:
        finished = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.export", str(count)], capture_output=True, text=True, check=True
        )
        figure = json.loads(finished.stdout.strip().splitlines()[-1])
        figures.append(figure)
        met = figure["peakMiB"] < PEAK_GOAL_MIB
        word = report.goal(
            f"export of {count} images: peak above baseline",
            f"{figure['peakMiB']:.1f} MiB",
            f"< {PEAK_GOAL_MIB:.0f} MiB",
            met,
        )
        rows.append(
            [
                str(count),
                f"{figure['zipMiB']:.1f}",
                f"{figure['seconds']:.1f}",
                f"{figure['baselineMiB']:.0f}",
                f"{figure['peakMiB']:.1f}",
                f"{figure['pythonPeakMiB']:.1f}",
                f"< {PEAK_GOAL_MIB:.0f}",
                word,
            ]
        )
    report.table(
        "Export: memory of one export against moto (resident peak above the worker's baseline)",
        ["images", "zip MiB", "s", "baseline MiB", "peak MiB", "Python peak MiB", "goal", "met"],
        rows,
    )
    report.line(
        f"  {figures[-1]['images']} images: a {figures[-1]['zipMiB']:.0f} MiB zip written with a peak of "
        f"{figures[-1]['peakMiB']:.0f} MiB: a part of the upload (8 MiB, copied once as it is sent) and a "
        "chunk of an image, whatever the gallery's size"
    )


if __name__ == "__main__":
    measure(int(sys.argv[1]))
