"""Every example of docs/partners.md, run as written against a real service over HTTP: the
shell ones with bash and curl, the Python ones with this Python."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.helpers import PARTNER_KEYS
from tests.process import ROOT

GUIDE = ROOT / "docs" / "partners.md"
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.S | re.M)
SUBSCRIBE = "## 9. Subscribe to the port's events"  # needs a subscriber: tests/integration/test_subscription_guide.py


def examples(text: str | None = None) -> list[tuple[str, str]]:
    """(language, code) of each runnable block (of the guide before its subscriptions' section,
    or of `text`); the one that only sets the variables is left out."""
    text = GUIDE.read_text().split(SUBSCRIBE)[0] if text is None else text
    return [(lang, code) for lang, code in BLOCK.findall(text) if "export PORT_PULSE" not in code]


@pytest.fixture
def guide_service(tmp_path, redis_url, port_id, start_service):
    service = start_service(tmp_path, redis_url=redis_url, port_id=port_id)
    env = {**os.environ, "PORT_PULSE": service.base, "PARTNER_KEY": PARTNER_KEYS["terminal.haitian"]}
    return service, env


def run(lang: str, code: str, env: dict) -> str:
    if lang == "sh" and not shutil.which("curl"):
        pytest.fail("curl is not installed: apt-get install -y curl (make test does it when run as root)")
    command = ["bash", "-euo", "pipefail", "-c", code] if lang == "sh" else [sys.executable, "-c", code]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{lang} example failed:\n{code}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    return done.stdout


def test_the_guide_has_the_examples_it_promises():
    kinds = [lang for lang, _ in examples()]
    assert kinds == ["sh", "python", "sh", "sh", "python", "sh"]


def test_every_example_of_the_partner_guide_runs_as_written(guide_service):
    service, env = guide_service
    outputs = [run(lang, code, env) for lang, code in examples()]
    single, batch, dcsa, rejects, backlog, takeback = outputs
    assert json.loads(single) == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert batch.splitlines()[0] == "2 accepted, 0 duplicates"
    assert "did you mean MSCU7654329?" in batch
    dcsa_answer = json.loads(dcsa)
    assert dcsa_answer["accepted"] == 2 and dcsa_answer["rejected"] == []
    rejected = json.loads(rejects)
    assert rejected["source"] == "terminal.haitian" and rejected["count"] == 1
    assert "did you mean MSCU7654329?" in rejected["rejects"][0]["reasons"][0]["problem"]
    assert [json.loads(line) for line in backlog.splitlines()] == [
        {"accepted": 12, "duplicates": 0, "rejected": 0}, {"accepted": 0, "duplicates": 12, "rejected": 0}]
    assert json.loads(takeback) == {"accepted": 1, "duplicates": 0, "rejected": [{
        "index": 1, "id": "no-such-retracted", "errors": [{
            "field": "data.retracted_id",
            "problem": "no event of yours with this id (never sent, or older than the log keeps)"}]}]}
    assert run(*examples()[1], env).splitlines()[0] == "0 accepted, 2 duplicates"  # a retry is safe
