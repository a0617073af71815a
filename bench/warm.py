"""Warm requests: what each API handler spends beyond its own AWS calls, and how a gallery page's
time grows with the gallery.

Overhead is measured in this process: each handler, loaded from where the template says it is,
runs on its sample event from ``events/`` against the local stack's AWS, warm. botocore's own
events time every AWS call from the moment it is made until its answer is parsed; what remains of
the invocation (routing, validation, our services, presigned URLs, logging) is the overhead.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from bench.report import Report
from devstack.lambdas import LambdaContext
from devstack.stack import LocalStack
from stacktools.api_client import ApiClient
from stacktools.samples import sample_event

if TYPE_CHECKING:
    from imagegen.composition import Composition

OVERHEAD_GOAL_MS = 2.0
SCALING_GOAL = 1.2


class AwsClock:
    """Milliseconds spent inside AWS calls, from botocore's events on our clients."""

    def __init__(self) -> None:
        self.spent_ms = 0.0
        self._local = threading.local()

    def watch(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.*.*", self._started)
        client.meta.events.register("after-call.*.*", self._ended)
        client.meta.events.register("after-call-error.*.*", self._ended)

    def _started(self, **_: Any) -> None:
        self._local.started = time.perf_counter()

    def _ended(self, **_: Any) -> None:
        self.spent_ms += (time.perf_counter() - self._local.started) * 1000


def function_of(path: str, logical_id: str) -> ModuleType:
    """The function whose code is at ``path``, loaded (its ``lambda_handler``, its ``composition``)."""
    module_spec = importlib.util.spec_from_file_location(f"bench_{logical_id}", path)
    assert module_spec
    assert module_spec.loader
    module: ModuleType = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """The handlers' JSON logs go where Lambda's would not disturb this report: nowhere."""
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


@dataclass
class Gallery:
    token: str
    user_id: str
    image_id: str


def signed_in(stack: LocalStack, email: str) -> tuple[str, str]:
    api = ApiClient(stack.api_url, timeout=30)
    id_token = api.local_id_token(email).json()["token"]
    answer = api.sign_in_with_google({"token": id_token}).json()
    return answer["token"], answer["user"]["id"]


def seed_images(services: Composition, user_id: str, count: int) -> list[str]:
    """``count`` COMPLETED images for ``user_id``, written straight to the table; their ids."""
    from imagegen.ids import new_id, now_iso
    from imagegen.models.images import Image, ImageMetadata, ImageStatus, ImageType

    table = services.settings.images.table
    made: list[str] = []
    for start in range(0, count, 25):
        requests_ = []
        for _ in range(min(25, count - start)):
            newest = new_id()
            made.append(newest)
            image = Image(
                user_id=user_id,
                image_id=newest,
                type=ImageType.UPLOADED,
                status=ImageStatus.COMPLETED,
                object_key=f"images/{user_id}/{newest}.png",
                thumbnail_key=f"thumbnails/{user_id}/{newest}/512.webp",
                metadata=ImageMetadata(
                    width=640, height=480, format="PNG", content_type="image/png", size=1000
                ),
                coins_used=50,
                created_at=now_iso(),
                updated_at=now_iso(),
            )
            item = dict(services.image_records.create_write(image).item["Put"]["Item"])
            item.pop("unfinished", None)  # as ImageRepository.complete leaves a finished image
            requests_.append({"PutRequest": {"Item": item}})
        services.aws.dynamodb.batch_write_item(RequestItems={table: requests_})  # type: ignore[dict-item]
    return made


def warm_overhead(report: Report, stack: LocalStack, calls: int = 200) -> None:
    """Each API handler's warm p50, minus its AWS calls, held to its goal. The handlers run in a
    process of their own, as in Lambda: the local stack's AWS, its queue pollers and its functions
    share no interpreter (nor its lock) with them."""
    from imagegen.composition import Composition

    services = Composition()  # this process was pointed at the stack
    api = ApiClient(stack.api_url, timeout=30)
    token, user_id = signed_in(stack, "bench-warm@example.com")
    services.coins.grant(user_id, 1000 * calls, note="bench")
    plan = {
        "calls": calls,
        "token": token,
        "image": seed_images(services, user_id, 20)[-1],
        "doomed": seed_images(services, user_id, calls + 5),  # one image to delete per call
        "idToken": api.local_id_token("bench-warm@example.com").json()["token"],
        "handlers": {
            name: str(spec.code_dir / "app.py") for name, spec in stack.template.functions().items()
        },
    }
    environment = {**os.environ, **stack.env_of_every_function()}
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.warm", json.dumps(plan)],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for measured in json.loads(completed.stdout.strip().splitlines()[-1]):
        overhead = measured["overhead"]
        rows.append(
            [
                measured["route"],
                measured["function"],
                f"{measured['total']:.2f}",
                f"{measured['total'] - overhead:.2f}",
                f"{overhead:.2f}",
                f"<= {OVERHEAD_GOAL_MS}",
                report.goal(
                    f"warm overhead {measured['route']}",
                    f"{overhead:.2f} ms",
                    f"<= {OVERHEAD_GOAL_MS} ms",
                    overhead <= OVERHEAD_GOAL_MS,
                ),
            ]
        )
    report.table(
        f"Warm handlers, {calls} calls each, in a process of their own (ms, p50): the invocation,"
        " its AWS calls, the rest",
        ["route", "function", "total", "AWS calls", "overhead", "goal", "met"],
        rows,
    )


def measure_overheads(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """In the child: every case, warmed, then timed ``calls`` times with its AWS calls apart."""
    token, doomed = plan["token"], iter(plan["doomed"])
    upload = {"filename": "a.png", "contentType": "image/png", "size": 1000}
    cases: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
        ("HealthFunction", "GET /health", lambda: sample_event("health/get_health.json", None)),
        ("AuthFunction", "GET /auth/me", lambda: sample_event("auth/me.json", token)),
        ("UsersFunction", "GET /users/me", lambda: sample_event("users/my_profile.json", token)),
        (
            "AuthFunction",
            "POST /auth/google",
            lambda: sample_event("auth/sign_in_with_google.json", None, body={"token": plan["idToken"]}),
        ),
        (
            "UsersFunction",
            "GET /users/me/transactions",
            lambda: sample_event("users/my_transactions.json", token),
        ),
        (
            "ListImagesFunction",
            "GET /images (20, URLs signed)",
            lambda: sample_event("images/list_images.json", token),
        ),
        (
            "ListImagesFunction",
            "GET /images/{id}",
            lambda: sample_event("images/get_image.json", token, path_id=plan["image"]),
        ),
        ("GenerateFunction", "GET /models", lambda: sample_event("images/list_models.json", None)),
        (
            "GenerateFunction",
            "POST /images/generate",
            lambda: sample_event("images/generate.json", token, body={"prompt": "a lighthouse at dusk"}),
        ),
        (
            "UploadUrlFunction",
            "POST /images/upload",
            lambda: sample_event("images/request_upload.json", token, body=upload),
        ),
        (
            "DeleteImageFunction",
            "DELETE /images/{id}",
            lambda: sample_event("images/delete_image.json", token, path_id=next(doomed)),
        ),
    ]
    clock = AwsClock()
    watched: set[int] = set()
    functions: dict[str, ModuleType] = {}
    measured = []
    for logical_id, route, event in cases:
        function = functions.setdefault(logical_id, function_of(plan["handlers"][logical_id], logical_id))
        composition = getattr(function, "composition", None)  # the health check has none
        totals, overheads = [], []
        with quiet_stdout():
            for attempt in range(plan["calls"] + 5):
                prepared = event()
                # An invocation's own context: its time left starts at the function's timeout.
                context = LambdaContext(function_name=logical_id)
                if attempt == 4 and composition is not None:  # warm now: watch every client it may use
                    for service in ("dynamodb", "s3", "sqs", "secretsmanager", "ssm"):
                        client = composition.aws.client(service)
                        if id(client) not in watched:
                            clock.watch(client)
                            watched.add(id(client))
                spent_before = clock.spent_ms
                started = time.perf_counter()
                answer = function.lambda_handler(prepared, context)
                total = (time.perf_counter() - started) * 1000
                assert answer["statusCode"] < 300, (route, answer)
                if attempt >= 5:
                    totals.append(total)
                    overheads.append(total - (clock.spent_ms - spent_before))
        measured.append(
            {
                "route": route,
                "function": logical_id,
                "total": statistics.median(totals),
                "overhead": statistics.median(overheads),
            }
        )
    return measured


def gallery_scaling(
    report: Report, stack: LocalStack, large: int = 10_000, small: int = 20, rounds: int = 40
) -> None:
    """The first page of a gallery of ``large`` images against one of ``small``, through the API."""
    from imagegen.composition import Composition

    services = Composition()  # this process was pointed at the stack
    api = ApiClient(stack.api_url, timeout=60)
    galleries = {}
    for size in (large, small):
        token, user_id = signed_in(stack, f"bench-gallery-{size}@example.com")
        seed_images(services, user_id, size)
        galleries[size] = api.with_token(token)
    samples: dict[int, list[float]] = {large: [], small: []}
    for _ in range(rounds):
        for size, gallery in galleries.items():
            started = time.perf_counter()
            page = gallery.list_images(limit=20)
            samples[size].append((time.perf_counter() - started) * 1000)
            assert page.status_code == 200, page.text
            assert len(page.json()["images"]) == 20, page.text
    ratio = statistics.median(samples[large]) / statistics.median(samples[small])
    report.table(
        f"GET /images?limit=20 through the local stack, {rounds} alternating rounds (ms, p50; moto's query"
        " reads every item of the partition, so the local figure carries moto's cost, not DynamoDB's)",
        ["images", "p50", "ratio", "goal", "met"],
        [
            [str(small), f"{statistics.median(samples[small]):.1f}", "", "", ""],
            [
                str(large),
                f"{statistics.median(samples[large]):.1f}",
                f"{ratio:.2f}",
                f"<= {SCALING_GOAL}",
                report.goal(
                    f"gallery page: {large} images / {small}",
                    f"{ratio:.2f}",
                    f"<= {SCALING_GOAL}",
                    ratio <= SCALING_GOAL,
                ),
            ],
        ],
    )


if __name__ == "__main__":
    print(json.dumps(measure_overheads(json.loads(sys.argv[1]))))
