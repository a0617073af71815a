"""``make bench``: prints figures about cold starts, request latency, coin contention, how soon an
upload completes, the page's weight and first render, and what an idle stack costs.
``python -m bench page latency`` runs only the sections named (``--help`` lists them).

Figures only, no pass/fail: compare them between changes. Everything runs on loopback
against the local stack (moto serialized, functions in their own processes).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import requests
from PIL import Image

from bench import export, imaging
from bench.cold_start import cold_starts
from bench.layer import layer_size
from bench.page import the_page
from bench.report import Report
from bench.warm import gallery_scaling, warm_overhead
from devstack.stack import LocalStack
from stacktools.api_client import ApiClient, UploadRequest
from stacktools.template import ROOT

if TYPE_CHECKING:
    from imagegen.composition import Composition

# What a page of 100 images may spend building its views, presigned URLs included.
SIGNING_GOAL_MS = 5.0
# What a started stack may cost doing nothing, in percent of one core.
IDLE_CPU_GOAL_PERCENT = 2.0


def latency(name: str, call: Callable[[], requests.Response], count: int) -> list[str]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code < 300, response.text
    samples.sort()
    return [
        name,
        str(count),
        f"{statistics.median(samples):.1f}",
        f"{samples[int(count * 0.95) - 1]:.1f}",
        f"{samples[-1]:.1f}",
    ]


def request_latency(report: Report, stack: LocalStack, count: int = 200) -> None:
    api = ApiClient(stack.api_url)
    id_token = api.local_id_token("bench@example.com").json()["token"]
    signed_in = api.sign_in_with_google({"token": id_token}).json()
    user = api.with_token(signed_in["token"])
    refresh = {"token": signed_in["refreshToken"]}

    def rotate() -> requests.Response:
        response = api.refresh({"refreshToken": refresh["token"]})
        refresh["token"] = response.json()["refreshToken"]
        return response

    rows = [
        latency("GET /health", api.health, count),
        latency("GET /users/me", user.my_profile, count),
        latency(
            "POST /auth/google (returning user)",
            lambda: api.sign_in_with_google({"token": id_token}),
            count // 4,
        ),
        latency("POST /auth/refresh", rotate, count // 4),
    ]
    report.table(
        "Warm request latency through the local stack (ms)", ["route", "n", "p50", "p95", "max"], rows
    )


def point_at(stack: LocalStack) -> Composition:
    """This process on the stack's AWS, with every function's settings, and its parts: the figures
    that call use cases call them as functions do."""
    from imagegen.composition import Composition

    os.environ.update(stack.env_of_every_function())
    return Composition()


def coin_contention(report: Report, stack: LocalStack, racers: int = 30, affordable: int = 10) -> None:
    """``racers`` charges at once on one balance that covers ``affordable`` of them."""
    from imagegen.errors import Busy, InsufficientCoins
    from imagegen.models.coins import LedgerReason

    parts = point_at(stack)
    coins = parts.coins
    user_id = f"BENCH{uuid.uuid4().hex[:8]}"
    parts.transactions.write(coins.open_account(user_id, affordable * 100))

    def charge(index: int) -> bool:
        try:
            coins.charge(user_id, 100, LedgerReason.GENERATE, image_id=f"IMG{index}")
        except (InsufficientCoins, Busy):
            return False
        return True

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=racers) as pool:
        outcomes = list(pool.map(charge, range(racers)))
    elapsed = (time.perf_counter() - started) * 1000
    accepted, balance = sum(outcomes), coins.balance(user_id)
    exact = accepted == affordable and balance == 0
    report.table(
        "Racing charges on one balance (serialized moto; goal: exactly what it covers accepted, none less)",
        ["racers", "affordable", "accepted", "balance after", "total ms", "met"],
        [
            [
                str(racers),
                str(affordable),
                str(accepted),
                str(balance),
                f"{elapsed:.0f}",
                report.goal(
                    "racing charges: accepted, balance", f"{accepted}, {balance}", f"{affordable}, 0", exact
                ),
            ]
        ],
    )


BURST_P95_GOAL_MS = 5000


def wallet_burst(report: Report, stack: LocalStack, burst: int = 40) -> None:
    """``burst`` generate requests at once for one user who can afford them all, through the API,
    on warm functions: each answers 202, or 429 with Retry-After having charged nothing; no 5xx.
    """
    email = f"burst-{uuid.uuid4().hex[:8]}@example.com"
    api = ApiClient(stack.api_url, timeout=30)
    id_token = api.local_id_token(email).json()["token"]
    signed_in = api.sign_in_with_google({"token": id_token}).json()
    point_at(stack).coins.grant(signed_in["user"]["id"], 100 * (burst + 10), note="bench")

    def generate(index: int) -> tuple[int, float]:
        started = time.perf_counter()
        # A client of its own for each request, as a burst of browsers sends them (no shared pool).
        with contextlib.closing(ApiClient(stack.api_url, signed_in["token"], timeout=60)) as user:
            response = user.generate({"prompt": f"burst {index}"})
        return response.status_code, (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(max_workers=10) as pool:  # ten warm environments, as a busy service has
        list(pool.map(generate, range(10)))
    with ThreadPoolExecutor(max_workers=burst) as pool:
        outcomes = list(pool.map(generate, range(burst)))
    statuses = [status for status, _ in outcomes]
    samples = sorted(ms for _, ms in outcomes)
    p95 = samples[int(burst * 0.95) - 1]
    errors = sum(status >= 500 for status in statuses)
    report.table(
        f"One wallet, {burst} generate requests at once (ms; goal: p95 <= {BURST_P95_GOAL_MS}, no 5xx)",
        ["answers", "p50", "p95", "max", "met"],
        [
            [
                " ".join(f"{status}x{statuses.count(status)}" for status in sorted(set(statuses))),
                f"{statistics.median(samples):.0f}",
                f"{p95:.0f}",
                f"{samples[-1]:.0f}",
                report.goal(
                    f"burst of {burst} on one wallet: p95, 5xx",
                    f"{p95:.0f} ms, {errors}",
                    f"<= {BURST_P95_GOAL_MS} ms, 0",
                    p95 <= BURST_P95_GOAL_MS and errors == 0,
                ),
            ]
        ],
    )


def gallery_page_signing(report: Report, stack: LocalStack, images: int = 100) -> None:
    """What a full gallery page costs in presigning: two GET URLs per image, computed locally, beside
    what botocore's ``generate_presigned_url`` takes for the same URLs."""
    from imagegen.models.images import Image, ImageMetadata, ImageStatus, ImageType

    services = point_at(stack)
    image = Image(
        user_id="U",
        image_id="01JABCDEFGHJKMNPQRSTVWXYZ1",
        type=ImageType.UPLOADED,
        status=ImageStatus.COMPLETED,
        object_key="images/U/01JABCDEFGHJKMNPQRSTVWXYZ1.jpg",
        thumbnail_key="thumbnails/U/01J/512.webp",
        metadata=ImageMetadata(width=1, height=1, format="JPEG", content_type="image/jpeg", size=1),
        coins_used=50,
        created_at="t",
        updated_at="t",
    )
    services.image_views.image(image)  # first use builds the client
    started = time.perf_counter()
    for _ in range(images):
        services.image_views.image(image)
    elapsed = (time.perf_counter() - started) * 1000
    bucket = services.settings.images.bucket
    started = time.perf_counter()
    for _ in range(images):
        for key, content_type in (
            (image.object_key, "image/jpeg"),
            (image.thumbnail_key or "", "image/webp"),
        ):
            services.aws.s3.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": key, "ResponseContentType": content_type}
            )
    botocore = (time.perf_counter() - started) * 1000
    report.table(
        "Image views with presigned URLs (no network): a page of images, signed here beside botocore",
        ["images", "total ms", "per image ms", "botocore ms", "goal ms", "met"],
        [
            [
                str(images),
                f"{elapsed:.1f}",
                f"{elapsed / images:.3f}",
                f"{botocore:.1f}",
                f"<= {SIGNING_GOAL_MS:.0f}",
                report.goal(
                    f"signing a page of {images} images",
                    f"{elapsed:.1f} ms",
                    f"<= {SIGNING_GOAL_MS:.0f} ms",
                    elapsed <= SIGNING_GOAL_MS,
                ),
            ]
        ],
    )


def to_completed(report: Report, stack: LocalStack, count: int = 20) -> None:
    """How soon an image is COMPLETED with its thumbnail, as the gallery sees it: an upload from the
    browser's POST to the bucket (the object-created event, the metadata and thumbnail functions), a
    generation from its 202 (the queue, the worker and the local Gemini, the thumbnail)."""
    api = ApiClient(stack.api_url)
    id_token = api.local_id_token("bench-up@example.com").json()["token"]
    signed_in = api.sign_in_with_google({"token": id_token}).json()
    user = api.with_token(signed_in["token"])
    point_at(stack).coins.grant(signed_in["user"]["id"], 1000 * count, note="bench")
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 80, 40)).save(picture, "PNG")

    def completed(image_id: str, started: float) -> float:
        while True:
            image = user.get_image(image_id).json()["image"]
            if image["status"] == "FAILED" or (image["status"] == "COMPLETED" and image["thumbnailUrl"]):
                break
            time.sleep(0.01)
        assert image["status"] == "COMPLETED", image
        return (time.perf_counter() - started) * 1000

    def upload() -> float:
        body: UploadRequest = {
            "filename": "a.png",
            "contentType": "image/png",
            "size": len(picture.getvalue()),
        }
        requested = user.request_upload(body).json()
        started = time.perf_counter()
        posted = user.post_form(requested["upload"], "a.png", picture.getvalue(), "image/png")
        assert posted.status_code == 204, posted.text
        return completed(requested["image"]["id"], started)

    def generate() -> float:
        started = time.perf_counter()
        accepted = user.generate({"prompt": "a lighthouse"})
        assert accepted.status_code == 202, accepted.text
        return completed(accepted.json()["image"]["id"], started)

    rows = []
    for name, run in (("upload", upload), ("generate", generate)):
        samples = [run() for _ in range(count)]
        warm = sorted(samples[1:])
        rows.append(
            [
                name,
                str(count),
                f"{samples[0]:.0f}",
                f"{statistics.median(warm):.0f}",
                f"{warm[int(len(warm) * 0.95) - 1]:.0f}",
                f"{warm[-1]:.0f}",
            ]
        )
    report.table(
        "To COMPLETED with a thumbnail through the local stack (ms; the first starts the functions cold)",
        ["image", "n", "first", "warm p50", "warm p95", "warm max"],
        rows,
    )


def process_tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and every process below it (the functions'
    environments and their fork server), from /proc: Linux only."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    utime, stime = (int(field) for field in stat.rsplit(")", 1)[1].split()[11:13])
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):  # a thread that ended meanwhile
            children += [int(child) for child in (task / "children").read_text().split()]
    return (utime + stime) / os.sysconf("SC_CLK_TCK") + sum(map(process_tree_cpu_seconds, children))


def idle_cpu(report: Report, seconds: float = 30.0) -> None:
    """What the started stack costs while nobody uses it, warm environments included."""
    before, started = process_tree_cpu_seconds(os.getpid()), time.perf_counter()
    time.sleep(seconds)
    used = process_tree_cpu_seconds(os.getpid()) - before
    percent = used / (time.perf_counter() - started) * 100
    report.table(
        f"Idle local stack: CPU over {seconds:.0f} s without requests (% of one core)",
        ["measured", "goal", "met"],
        [
            [
                f"{percent:.2f}",
                f"< {IDLE_CPU_GOAL_PERCENT:.0f}",
                report.goal(
                    "idle local stack, % of a core",
                    f"{percent:.2f}",
                    f"< {IDLE_CPU_GOAL_PERCENT:.0f}",
                    percent < IDLE_CPU_GOAL_PERCENT,
                ),
            ]
        ],
    )


# Each section by name, in the order a full run runs them; the first need the local stack.
STACK_SECTIONS: dict[str, Callable[[Report, LocalStack], None]] = {
    "cold-starts": lambda report, stack: cold_starts(
        report, stack.template, {name: stack.env(name) for name in stack.template.functions()}
    ),
    "latency": request_latency,
    "contention": coin_contention,
    "burst": wallet_burst,
    "signing": gallery_page_signing,
    "overhead": warm_overhead,
    "scaling": gallery_scaling,
    "completed": to_completed,
    "page": the_page,
    "idle": lambda report, _: idle_cpu(report),
}
OTHER_SECTIONS: dict[str, Callable[[Report], None]] = {
    "imaging": imaging.main,
    "layer": layer_size,
    "export": export.main,
}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Every section, written to BENCHMARKS.md; or only the sections named, printed alone"
        " (BENCHMARKS.md is left as it is).",
    )
    parser.add_argument("sections", nargs="*", choices=[*STACK_SECTIONS, *OTHER_SECTIONS], metavar="section")
    parser.epilog = f"sections: {' '.join([*STACK_SECTIONS, *OTHER_SECTIONS])}"
    return parser.parse_args()


def main() -> None:
    named = arguments().sections
    every = not named
    report = Report()
    report.line(f"make bench: Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    if not every:
        report.line(f"only: {' '.join(named)}")
    stack_sections = [section for name, section in STACK_SECTIONS.items() if every or name in named]
    if stack_sections:
        started = time.perf_counter()
        # The bench measures wallets under contention and pages of thousands: no user limit may stop it.
        unlimited = {"GenerationsPerMinute": "100000", "UploadsPerMinute": "100000"}
        with LocalStack(api_port=0, aws_port=0, parameters=unlimited) as stack:
            first = time.perf_counter()
            ApiClient(stack.api_url, timeout=30).health()
            cold = (time.perf_counter() - first) * 1000
            report.line(
                f"local stack up in {(first - started) * 1000:.0f} ms; first request (cold) {cold:.0f} ms"
            )
            for section in stack_sections:
                section(report, stack)
    for name, other in OTHER_SECTIONS.items():
        if every or name in named:
            other(report)
    report.summary()
    if every:
        record(report)
    sys.exit(0 if all(goal.met for goal in report.goals) else 1)


def record(report: Report) -> None:
    """Keeps this run in BENCHMARKS.md, with the command that made it."""
    (ROOT / "BENCHMARKS.md").write_text(
        "# Benchmarks\n\n"
        "The last run of `make bench` (`python -m bench`), which writes this file; every figure is\n"
        "measured on loopback against the local stack, beside its goal where it has one, and the\n"
        "goals are listed at the end, met or not. A cold start's floor is what the function must load\n"
        "anyway: boto3 with the same clients, pydantic, Powertools' Logger and the Powertools utility\n"
        "of its kind; what it costs beyond that is ours. README.md (Performance notes) says what\n"
        "decided what.\n\n"
        f"Run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n\n"
        f"```\n{report.text.strip()}\n```\n"
    )


if __name__ == "__main__":
    main()
