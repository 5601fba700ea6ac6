"""The `tally` of the hostile-input tests: what each tried, one line of
test-artifacts/hostile-input.jsonl."""

import json
import time
from datetime import datetime, timezone

import pytest

from tests.reliability.hostile_strategies import ARTIFACT, INPUTS, Tally


@pytest.fixture
def tally(request):
    counted = Tally(request.node.name)
    yield counted
    seconds = round(time.monotonic() - counted.started, 2)
    line = {"test": request.node.nodeid, "inputs": counted.inputs, "requests": counted.requests,
            "events_in_requests": counted.items, "log_entries": counted.log_entries,
            "statuses": dict(sorted(counted.statuses.items())), "log_entry_kinds": dict(counted.kinds),
            "valid_events_applied": counted.valid_applied, "finished": counted.finished,
            "seconds": seconds, "inputs_total_this_run": INPUTS["total"],
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    print(f"\n[hostile-input] {request.node.name}: {counted.inputs} inputs tried "
          f"({counted.requests} HTTP requests carrying {counted.items} events, {counted.log_entries} log "
          f"entries); statuses {line['statuses']}; {counted.valid_applied} valid events applied; "
          f"{seconds} s; {INPUTS['total']} inputs in this run so far")
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    with ARTIFACT.open("a") as out:
        out.write(json.dumps(line) + "\n")
