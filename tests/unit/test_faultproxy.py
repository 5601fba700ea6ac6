"""bench/faultproxy.py between redis-py clients and a real embedded valkey-server: each fault does
what it says, and the proxy leaves nothing behind. Timings are lower bounds only."""

from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bench.faultproxy import FaultProxy
from feeds.embedded import EmbeddedRedis

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    server = EmbeddedRedis(tmp_path_factory.mktemp("faultproxy-valkey"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def direct(upstream):
    """A client straight to the server, around the proxy."""
    client = connect(upstream.url)
    yield client
    client.close()


@pytest.fixture
def proxy(upstream):
    with FaultProxy("127.0.0.1", upstream_port(upstream)) as proxy:
        yield proxy


def connect(url: str) -> redis.Redis:
    """No retries (redis-py retries ConnectionError by default: it would hide every fault); a
    socket timeout so that a fault that does nothing fails as a TimeoutError, not a hang."""
    return redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), socket_timeout=5,
                                socket_connect_timeout=5)


def key() -> str:
    return "faultproxy-" + uuid.uuid4().hex[:12]


def upstream_port(upstream: EmbeddedRedis) -> int:
    return int(upstream.url.rsplit(":", 1)[1].split("/")[0])


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_clean_pipe_forwards_set_and_get_and_counts_bytes(proxy, direct):
    """Fails if the plain pipe loses or alters bytes, or the counters do not move."""
    name, value = key(), b"\x00\xffport pulse" * 100
    client = connect(proxy.url)
    assert client.set(name, value)
    assert client.get(name) == value
    assert direct.get(name) == value  # it really went to the server
    assert proxy.connections_accepted == 1 and proxy.connections_cut == 0
    assert proxy.bytes_up > len(value) and proxy.bytes_down > len(value)
    client.close()


def test_latency_delays_a_ping_and_keeps_replies_in_order(proxy):
    """Fails if set_latency does not delay chunks, or delays them out of order."""
    client = connect(proxy.url)
    client.ping()  # the handshake, before the latency
    proxy.set_latency(0.2)
    started = time.monotonic()
    assert client.ping()
    assert time.monotonic() - started >= 0.2
    name = key()
    pipe = client.pipeline(transaction=False)
    for _ in range(50):
        pipe.incr(name)
    assert pipe.execute() == list(range(1, 51))
    client.close()


def test_bandwidth_throttles_a_large_reply(proxy, direct):
    """Fails if set_bandwidth does not throttle the server -> client direction, or corrupts it."""
    name, value = key(), bytes(range(256)) * 800  # 204,800 bytes
    direct.set(name, value)
    client = connect(proxy.url)
    client.ping()
    proxy.set_bandwidth(100_000)
    started = time.monotonic()
    assert client.get(name) == value
    assert time.monotonic() - started >= 1.5
    client.close()


def test_cut_all_breaks_blocked_readers_and_new_clients_still_work(proxy, direct):
    """Fails if cut_all leaves a blocked BLPOP or a waiting pub/sub subscriber hanging, or stops
    the proxy from accepting new connections."""
    errors: dict[str, BaseException | None] = {}
    blocker, listener = connect(proxy.url), connect(proxy.url)
    pubsub = listener.pubsub()
    pubsub.subscribe(key())
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    baseline = direct.info("clients")["blocked_clients"]

    def blpop():
        try:
            blocker.blpop([key()], timeout=20)
            errors["blpop"] = None
        except BaseException as error:  # noqa: BLE001 - the test inspects it
            errors["blpop"] = error

    def listen():
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                pubsub.get_message(timeout=0.2)
            errors["pubsub"] = None
        except BaseException as error:  # noqa: BLE001
            errors["pubsub"] = error

    threads = [threading.Thread(target=blpop), threading.Thread(target=listen)]
    for thread in threads:
        thread.start()
    wait_for(lambda: direct.info("clients")["blocked_clients"] > baseline)
    proxy.cut_all()
    for thread in threads:
        thread.join(5)
        assert not thread.is_alive(), "a client is still blocked after cut_all"
    assert isinstance(errors["blpop"], redis.ConnectionError), errors["blpop"]
    assert isinstance(errors["pubsub"], redis.ConnectionError), errors["pubsub"]
    assert proxy.connections_cut == 2
    fresh = connect(proxy.url)
    assert fresh.ping()
    for client in (fresh, blocker, listener):
        client.close()


def test_cut_mid_message_truncates_a_reply_and_leaves_the_data_intact(proxy, direct):
    """Fails if cut_mid_message lets the whole reply through or cuts it without a partial reply,
    or if what comes after (a fresh connection, the stored value) is harmed."""
    name, value = key(), b"v" * 100_000
    direct.set(name, value)
    client = connect(proxy.url)
    client.ping()
    down_before = proxy.bytes_down
    proxy.cut_mid_message(1000)
    with pytest.raises(redis.ConnectionError):
        client.get(name)
    assert 1000 <= proxy.bytes_down - down_before < len(value)  # a part went through, not all
    assert proxy.connections_cut == 1
    fresh = connect(proxy.url)  # still armed: a 1000-byte budget is plenty for a PING
    assert fresh.ping()
    assert direct.get(name) == value
    proxy.clear()
    assert fresh.get(name) == value
    for c in (client, fresh):
        c.close()


def test_refuse_makes_redis_look_down_until_turned_off(proxy):
    """Fails if refuse(True) lets new or open connections through, or refuse(False) does not
    bring them back."""
    open_client = connect(proxy.url)
    assert open_client.ping()
    proxy.refuse(True)
    with pytest.raises(redis.ConnectionError):
        open_client.ping()  # its connection was cut (redis-py's reconnect is refused too)
    for _ in range(2):
        with pytest.raises(redis.ConnectionError):
            connect(proxy.url).ping()
    assert proxy.connections_accepted >= 3  # the open one and at least the two new ones...
    assert proxy.connections_cut == proxy.connections_accepted  # ...all cut
    proxy.refuse(False)
    again = connect(proxy.url)
    assert again.ping()
    for c in (open_client, again):
        c.close()


def test_stop_leaves_no_thread_and_frees_the_port(upstream):
    """Fails if stop() leaves a thread (the loop, or the resolver's executor: a host name is
    resolved) or a socket behind, or does not close open connections."""
    before = set(threading.enumerate())
    with FaultProxy("localhost", upstream_port(upstream)) as proxy:
        client, subscriber = connect(proxy.url), connect(proxy.url).pubsub()
        assert client.ping()
        subscriber.subscribe(key())
        assert subscriber.get_message(timeout=2)["type"] == "subscribe"
        port = proxy.port
    proxy.stop()  # a second stop does nothing
    assert set(threading.enumerate()) == before
    with pytest.raises(redis.ConnectionError):
        client.ping()  # its connection was closed by stop()
    with socket.socket() as sock:  # no SO_REUSEADDR: a listener or a TIME_WAIT would block it
        sock.bind(("127.0.0.1", port))
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    client.close()
    subscriber.close()
