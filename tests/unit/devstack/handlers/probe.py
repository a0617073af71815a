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
    return {
        "pid": os.getpid(),
        "invocations": COLD["invocations"],
        "env": {key: os.environ.get(key) for key in event.get("env", [])},
        "function": context.function_name,
        "remaining": context.get_remaining_time_in_millis(),
    }
