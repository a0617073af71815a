"""The generate queue's adapter: a job goes to SQS as the worker reads it, and SQS's refusal is
QueueUnavailable."""

from __future__ import annotations

import pytest

from imagegen.adapters.queue import GenerationQueue
from imagegen.composition import Composition
from imagegen.errors import QueueUnavailable
from imagegen.models.images import GenerationJob


def test_a_job_is_sent_as_the_worker_reads_it(services: Composition) -> None:
    url = services.settings.generation.queue_url
    GenerationQueue(services.aws.sqs, url).send(GenerationJob(user_id="U1", image_id="I1"))

    (message,) = services.aws.sqs.receive_message(QueueUrl=url)["Messages"]
    assert GenerationJob.model_validate_json(message["Body"]) == GenerationJob(user_id="U1", image_id="I1")


def test_a_queue_sqs_refuses_is_queue_unavailable(services: Composition) -> None:
    queue = GenerationQueue(services.aws.sqs, f"{services.settings.generation.queue_url}-gone")

    with pytest.raises(QueueUnavailable):
        queue.send(GenerationJob(user_id="U1", image_id="I1"))
