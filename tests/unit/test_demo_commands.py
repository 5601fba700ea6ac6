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
