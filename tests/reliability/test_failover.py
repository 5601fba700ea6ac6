"""A Redis primary killed under the set behind nginx (dashboard/stack.py): a Redis Cluster of 3
primaries with a replica each, 2 web replicas, 2 ingest workers, partners sending through nginx.

`kill -9` the primary that holds the port's keys (the slot of `dp:{<port>}:events`) while the
partners send; its replica is promoted; the killed node is started again and rejoins as the new
primary's replica (until then `WAIT 1` cannot succeed: with one replica per primary, the ingest
answers 503 NotReplicated, which is what keeps an acknowledged event from being lost).

- partners see only 202, or 503 with Retry-After (then wait that long and send again), or a
  refused connection (then send again);
- every event that got a 202 is in the log exactly once, and the log holds nothing else;
- every web replica (asked on its own port, not through nginx) has applied the log to its head,
  and applied each acknowledged event once (`events_applied` = the acknowledged events);
- the seconds without any 202 around the kill are printed; every process is gone afterwards.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import orjson
import pytest

from dashboard.stack import Stack
from feeds.keys import PortKeys
from feeds.redis_client import connect
from tests.helpers import PARTNER_KEYS, wait_for
from tests.integration.test_redis_cluster import require_valkey
from tests.stack_kit import Partner, assert_all_gone, nginx, partners_set  # noqa: F401  (nginx: a fixture)

RETRY_FOR = 60.0  # a partner gives one batch this long to be taken


@pytest.fixture
def cluster_set(tmp_path, port_id, nginx):
    require_valkey()
    with partners_set(tmp_path, port_id, shards=3) as stack:  # no Redis URL: the set starts its cluster
        yield stack


def test_killing_the_ports_redis_primary_loses_no_acknowledged_event_and_every_replica_applies_each_once(
        cluster_set, port_id):
    stack, started = cluster_set, time.monotonic()
    cluster, events = stack.redis, PortKeys(port_id).events
    pids = set(stack.pids())
    partners = [Partner(stack.base, source, owner, retry_for=RETRY_FOR)
                for source, owner in zip(PARTNER_KEYS, ("AAA", "BBB", "CCC"))]
    supervision = threading.Thread(target=stack.watch, name="the set's watch", daemon=True)  # as run.py stack runs it
    try:
        supervision.start()
        for partner in partners:
            partner.start()
        wait_for(lambda: all(len(p.taken_at) >= 5 for p in partners), timeout=30, interval=0.1,
                 what="every partner's first batches taken before the kill")
        victim = cluster.primary_for(events)
        killed_at = time.monotonic()
        cluster.kill(victim)
        wait_for(lambda: cluster.primary_for(events) is not victim, timeout=30, interval=0.05,
                 what="the killed primary's replica promoted")
        promoted_at = time.monotonic()
        # the set's own supervision starts the killed node again, once its replica took over
        wait_for(victim.alive, timeout=30, interval=0.05, what="the set to start the killed node again")
        pids |= set(stack.pids())
        cluster.wait_ready(30)
        assert victim.role == "replica", f"the restarted node should have rejoined as a replica: {victim}"
        rejoined_at = time.monotonic()
        wait_for(lambda: all(sum(t > rejoined_at for t in p.taken_at) >= 5 for p in partners), timeout=60,
                 interval=0.1, what="every partner's batches taken again after the failover")
        time.sleep(1.0)  # and a while more
    finally:
        stack.interrupted = True
        supervision.join(10)
        for partner in partners:
            partner.halt.set()
        for partner in partners:
            if partner.is_alive():
                partner.join(RETRY_FOR + 20)

    check_partners(partners)
    acknowledged = set().union(*(p.acknowledged for p in partners))
    head = check_log_holds_each_acknowledged_event_once(stack, events, acknowledged)
    applied = check_every_replica_applied_each_once(stack, head, acknowledged)
    taken = sorted(t for p in partners for t in p.taken_at)
    since = [max(t for t in taken if t <= killed_at)] + [t for t in taken if t > killed_at]
    gap = max(b - a for a, b in zip(since, since[1:]))  # the widest stretch without a 202 from the kill on
    widest = max(b - a for a, b in zip(taken, taken[1:]))
    print(f"\nfailover: {gap:.1f} s without a 202 from the kill on (the widest gap of the run {widest:.1f} s); "
          f"kill → promoted {promoted_at - killed_at:.1f} s, → killed node back as a replica "
          f"{rejoined_at - killed_at:.1f} s; partners: {dict(sum((p.statuses for p in partners), Counter()))}, "
          f"refused {sum(p.refused for p in partners)}; {len(acknowledged)} events acknowledged; "
          f"replicas (events_applied, duplicates_in_log): {applied}; {time.monotonic() - started:.1f} s")
    stack.stop()
    assert_all_gone(pids)


def check_partners(partners: list[Partner]) -> None:
    assert not any(p.is_alive() for p in partners), "a partner is still sending"
    unexpected = [item for p in partners for item in p.unexpected]
    assert not unexpected, f"partners got answers they cannot act on: {unexpected[:5]}"
    statuses = sum((p.statuses for p in partners), Counter())
    assert set(statuses) <= {202, 429, 503}, f"partners saw other answers than 202 or 503/429 + Retry-After: {statuses}"


def check_log_holds_each_acknowledged_event_once(stack: Stack, events: str, acknowledged: set[str]) -> str:
    """Read from the cluster as it is now (the new primary) → the log's head."""
    client = connect(stack.redis_url, cluster=True, timeout=10)
    try:
        logged = Counter(orjson.loads(fields[b"event"])["id"] for _, fields in client.xrange(events))
        head = client.xinfo_stream(events)["last-generated-id"].decode()
    finally:
        client.close()
    lost = acknowledged - set(logged)
    assert not lost, f"{len(lost)} acknowledged events are not in the log after the failover: {sorted(lost)[:10]}"
    twice = {event_id: n for event_id, n in logged.items() if n > 1}
    assert not twice, f"events in the log more than once: {dict(list(twice.items())[:10])}"
    unasked = set(logged) - acknowledged
    assert not unasked, f"events in the log that no partner had acknowledged at the end: {sorted(unasked)[:10]}"
    return head


def check_every_replica_applied_each_once(stack: Stack, head: str, acknowledged: set[str]) -> dict:
    """Each web replica on its own port: caught up with the log's head, each event applied once."""
    def healths() -> list[dict | None]:
        return [worker.health() for worker in stack.web]
    try:
        wait_for(lambda: all(h and h["last_stream_id"] == head for h in healths()), timeout=30, interval=0.1,
                 what=f"every web replica to apply the log to its head {head}")
    except AssertionError as exc:
        seen = [(h or {}).get("last_stream_id") for h in healths()]
        raise AssertionError(f"{exc}: the replicas stand at {seen}") from None
    applied = {}
    for worker, health in zip(stack.web, healths()):
        applied[worker.name] = (health["events_applied"], health["duplicates_in_log"])
        assert health["events_applied"] == len(acknowledged), \
            f"{worker.name} applied {health['events_applied']} events; {len(acknowledged)} were acknowledged"
    return applied
