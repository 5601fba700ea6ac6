"""The fast part of the reliability suite (bench/faults.py at its quick size), in every test run:
each fault ends with nothing lost, nothing counted twice, every rejected input dead-lettered, and
the served state equal to the whole log applied once."""

from __future__ import annotations

import json

import pytest

from bench import faults
from tests.process import ROOT

QUICK = faults.SIZES["quick"]
RESULTS = ROOT / "test-artifacts" / "faults-quick.jsonl"


def record(result: dict) -> dict:
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a") as out:
        out.write(json.dumps(result) + "\n")
    return result


def assert_nothing_lost(result: dict) -> None:
    assert result["lost"] == 0, f"{result['lost']} events lost"
    assert result["duplicates_counted"] == 0, f"{result['duplicates_counted']} events counted twice"
    assert result["bad_dead_lettered"] == result["bad_in"], "a rejected input is missing from the dead-letter log"
    assert result["state_matches"], "the served state differs from the whole log applied once"
    assert result["applied"] == result["events_in"]


def test_kill_9_three_times_while_partners_send_loses_nothing(tmp_path):
    result = record(faults.kill9(tmp_path, QUICK))
    assert_nothing_lost(result)
    assert result["retries"] > 0, "the kills should have come while partners were sending"


def test_redis_stopped_5_s_answers_503_and_loses_nothing(tmp_path):
    result = record(faults.redis_stop(tmp_path, QUICK, 5))
    assert_nothing_lost(result)
    assert result["answered_503"] > 0, "partners should have been told to come back (503)"


def test_latency_cuts_and_a_thin_pipe_to_redis_lose_nothing(tmp_path):
    result = record(faults.proxy_faults(tmp_path, QUICK))
    assert_nothing_lost(result)
    assert result["connections_cut"] > 0


def test_a_subscriber_cut_off_by_its_output_buffer_catches_up(tmp_path):
    result = record(faults.pubsub_cutoff(tmp_path, QUICK))
    assert_nothing_lost(result)
    assert result["subscriber_cut_off"] >= 1, "Redis should have cut the subscriber off"


@pytest.mark.timeout(600)
def test_walls_dropped_and_back_show_the_current_state(tmp_path):
    result = record(faults.walls_dropped(tmp_path, QUICK))
    assert_nothing_lost(result)
    assert result["walls_current"], "a wall that came back does not show the latest update"
