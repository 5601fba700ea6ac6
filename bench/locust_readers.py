"""Readers of one box through nginx, for `python -m bench.stack readers` (run by the locust CLI).

Two kinds, each user at the same pace (`BENCH_PER_USER` reads a second), half of them each:
- `api`: `GET /api/v1/containers/<n>` with a read key;
- `page`: a manager opening `/containers/<n>`: the page's HTML, then the router's callback that
  draws the box (`POST /_dash-update-component`, what the browser sends next), with the manager's
  session (one login, made by the benchmark, shared: logins are rate limited and slow on purpose).
Boxes are drawn from `BENCH_BOXES` (one number a line: boxes the service has). FastHttpUser
(geventhttpclient) rather than HttpUser (requests): the generator shares the set's 2 cores, and
requests cost it several times the CPU for the same reads."""

from __future__ import annotations

import os
import random

from locust import FastHttpUser, constant_throughput, task

BOXES = open(os.environ["BENCH_BOXES"]).read().split()
PACE = float(os.environ.get("BENCH_PER_USER", "4"))
SESSION = {"Cookie": f"portpulse={os.environ.get('BENCH_SESSION', '')}"}


class ApiReader(FastHttpUser):
    weight = 1
    wait_time = constant_throughput(PACE)

    @task
    def box(self):
        self.client.get(f"/api/v1/containers/{random.choice(BOXES)}", name="/api/v1/containers/[n]",
                        headers={"Authorization": f"Bearer {os.environ['BENCH_READ_KEY']}"})


class PageReader(FastHttpUser):
    weight = 1
    wait_time = constant_throughput(PACE)

    @task
    def box(self):
        number = random.choice(BOXES)
        self.client.get(f"/containers/{number}?lang=en", name="/containers/[n] (page)", headers=SESSION)
        route = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
                 "inputs": [{"id": "url", "property": "pathname", "value": f"/containers/{number}"}],
                 "state": [{"id": "url", "property": "search", "value": "?lang=en"}],
                 "changedPropIds": ["url.pathname"]}
        with self.client.post("/_dash-update-component", json=route, name="/containers/[n] (its callback)",
                              headers={"Origin": os.environ["BENCH_ORIGIN"], **SESSION}, catch_response=True) as answer:
            if answer.status_code == 200 and number not in answer.text:
                answer.failure("the callback's answer does not show the box")
