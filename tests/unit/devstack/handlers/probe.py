"""A Lambda handler for testing the local runtime: reports what its execution environment looks like."""

import os
import time

COLD = {"invocations": 0}

if os.environ.get("PROBE_FAIL_AT_IMPORT"):
    raise RuntimeError("init failed")
if os.environ.get("PROBE_EXIT_AT_IMPORT"):
    os._exit(3)


def handler(event, context):  # type: ignore[no-untyped-def]
    COLD["invocations"] += 1
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("raise"):
        raise ValueError(event["raise"])
    if event.get("aws"):  # one AWS call, through botocore as a function's code makes it
        import boto3

        call = event["aws"]
        getattr(boto3.client(call["service"]), call["method"])(**call["params"])
    return {
        "pid": os.getpid(),
        "invocations": COLD["invocations"],
        "env": {key: os.environ.get(key) for key in event.get("env", [])},
        "function": context.function_name,
        "remaining": context.get_remaining_time_in_millis(),
    }
