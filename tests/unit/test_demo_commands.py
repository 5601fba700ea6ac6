"""`run.py simulate` without --out/--report: which command goes to the running demo."""

from __future__ import annotations

import pytest

from run import parse_args
from simulator.commands import command_of


@pytest.mark.parametrize("argv, expected", [
    (["--speed", "120"], {"action": "speed", "speed": 120.0}),
    (["--scenario", "typhoon", "--speed", "600"], {"action": "start", "scenario": "typhoon", "seed": 1, "speed": 600.0}),
    (["--scenario", "typhoon"], {"action": "start", "scenario": "typhoon", "seed": 1}),
    ([], {"action": "start", "scenario": "normal", "seed": 1}),
    (["--pause"], {"action": "pause"}),
    (["--resume"], {"action": "resume"}),
    (["--jump", "2"], {"action": "jump", "hours": 2.0}),
    (["--reset"], {"action": "reset"}),
], ids=["speed-only", "scenario-and-speed", "scenario", "nothing", "pause", "resume", "jump", "reset"])
def test_shell_arguments_become_the_demo_command(argv, expected):
    assert command_of(parse_args(["simulate", *argv])) == expected


def test_serve_is_the_default_command_and_takes_its_flags():
    args = parse_args(["--port", "9000", "--no-simulator"])
    assert args.command == "serve" and args.port == 9000 and args.no_simulator


@pytest.mark.parametrize("action, args, problem", [
    ("start", {"scenario": "typhoon", "seed": {}}, "seed must be a number"),
    ("start", {"scenario": "typhoon", "seed": 2 ** 64}, "seed must be a whole number"),
    ("start", {"scenario": "typhoon", "seed": 1.5}, "seed must be a whole number"),
    ("start", {"scenario": 7}, "scenario must be"),
    ("speed", {"speed": "600"}, "speed must be a number"),
    ("speed", {"speed": True}, "speed must be a number"),
    ("jump", {"hours": "2"}, "hours must be a number"),
    ("jump", {"hours": -1}, "hours must be more than 0"),
    ("jump", {"hours": 1000}, "at most 48"),
    ("pause", {"speed": 60}, "pause takes no arguments"),
    ("launch", {}, "unknown action 'launch' (one of start, pause, resume, speed, jump, reset, stop)"),
], ids=["seed-object", "seed-over-32-bits", "seed-fraction", "scenario-number", "speed-text", "speed-bool",
        "hours-text", "hours-negative", "hours-too-many", "pause-with-argument", "unknown-action"])
def test_a_wrong_demo_command_is_refused_before_it_touches_the_run(action, args, problem):
    from feeds.profile import load_profile
    from simulator.live import LiveSimulator

    simulator = LiveSimulator(load_profile("xiamen"), publish=lambda batch: None)
    before = simulator.status
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        simulator.command(action, **args)
    assert simulator.status is before and simulator.status.running is False
