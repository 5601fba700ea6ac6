"""A fault-injecting TCP proxy on 127.0.0.1, standard library only: Redis as the service sees it
through a bad network (latency, thin bandwidth, cut connections, truncated replies, Redis down).

    with FaultProxy("127.0.0.1", 6379) as proxy:      # or proxy.start() ... proxy.stop()
        url = proxy.url                                # redis://127.0.0.1:<port>/0
        proxy.set_latency(0.2); proxy.cut_all(); proxy.clear()

One asyncio loop runs in a background thread; every connection is two pumps (client -> server
"up", server -> client "down"), each a reader that timestamps chunks and a writer that forwards them
in order once `latency` has passed, throttled to `bandwidth`. The fault setters may be called from
any thread at any time; the ones that act on connections (cut_all, refuse, cut_mid_message) have
done so when they return. Cuts are abrupt: SO_LINGER 0, so the peers get an RST.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from typing import Self

CHUNK = 64 * 1024
QUEUE_CHUNKS = 64  # per direction: then the reader stops reading and TCP pushes back
SLICE_SECONDS = 0.05  # a throttled write is cut in slices of this many seconds' worth of bytes


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close at once, dropping whatever is buffered; the peer gets an RST."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


class _Conn:
    def __init__(self, client: asyncio.StreamWriter, server: asyncio.StreamWriter,
                 cut_after: int | None):
        self.client, self.server = client, server
        self.cut_after = cut_after  # bytes still forwarded downstream before a truncating cut
        self.tasks: list[asyncio.Task] = []
        self.cut = False


class FaultProxy:
    """Counters: connections_accepted (every accept, refused ones too), connections_cut (by a
    fault: cut_all, cut_mid_message, refuse; not by stop), bytes_up / bytes_down (forwarded to
    the server / to the client)."""

    def __init__(self, upstream_host: str, upstream_port: int, listen_port: int | None = None):
        self.upstream_host, self.upstream_port = upstream_host, upstream_port
        self.listen_port = listen_port or 0
        self.port: int | None = None
        self.url: str | None = None
        self.connections_accepted = 0
        self.connections_cut = 0
        self.bytes_up = 0
        self.bytes_down = 0
        self._lock = threading.Lock()
        self._latency = 0.0
        self._bandwidth: float | None = None
        self._cut_after: int | None = None
        self._refusing = False
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._conns: set[_Conn] = set()
        self._handlers: set[asyncio.Task] = set()

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> str:
        if self._thread is not None:
            return self.url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=f"faultproxy-{id(self):x}",
                                        daemon=True)
        self._closing = False
        self._thread.start()
        try:
            self._call(self._listen())
        except BaseException:
            self.stop()
            raise
        self.url = f"redis://127.0.0.1:{self.port}/0"
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """Close the listener and every connection; the loop thread has ended on return."""
        if self._thread is None:
            return
        try:
            self._call(self._shutdown(), timeout)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:  # the default executor (getaddrinfo of a host name) has threads of its own
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.run_until_complete(self._loop.shutdown_default_executor())
            self._loop.close()

    def _call(self, coro, timeout: float = 10.0):
        """Run a coroutine on the proxy's loop and wait for it (from any thread but that one);
        nothing to do while the proxy is not running."""
        if self._thread is None:
            coro.close()
            return None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.listen_port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        self._closing = True
        if self._server is not None:
            self._server.close()
        for conn in list(self._conns):
            self._cut(conn, count=False)
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    # -- faults (any thread) -----------------------------------------------------------------
    def set_latency(self, seconds: float) -> None:
        """Each chunk waits this long in each direction: a round trip takes twice as long."""
        with self._lock:
            self._latency = max(0.0, float(seconds))

    def set_bandwidth(self, bytes_per_second: float | None) -> None:
        if bytes_per_second is not None and bytes_per_second <= 0:
            raise ValueError("bandwidth must be positive, or None for unlimited")
        with self._lock:
            self._bandwidth = bytes_per_second

    def cut_all(self) -> None:
        """Reset every open connection now; new ones are still accepted."""
        self._call(self._cut_all())

    def cut_mid_message(self, after_bytes: int) -> None:
        """Every connection (open now or opened until clear()) forwards `after_bytes` more bytes
        downstream, then only part of the next chunk, then is reset: a truncated reply."""
        with self._lock:
            self._cut_after = max(0, int(after_bytes))
        self._call(self._arm_cut())

    def refuse(self, on: bool = True) -> None:
        """While on, new connections are accepted and reset at once; open ones are cut."""
        with self._lock:
            self._refusing = bool(on)
        if on:
            self.cut_all()

    def clear(self) -> None:
        """Back to a clean pipe (connections already cut stay cut)."""
        with self._lock:
            self._latency, self._bandwidth, self._refusing = 0.0, None, False
            self._cut_after = None
        self._call(self._arm_cut())

    async def _cut_all(self) -> None:
        for conn in list(self._conns):
            self._cut(conn)

    async def _arm_cut(self) -> None:
        with self._lock:
            after = self._cut_after
        for conn in self._conns:
            conn.cut_after = after

    def _cut(self, conn: _Conn, count: bool = True) -> None:
        if conn.cut:
            return
        conn.cut = True
        if count:
            self.connections_cut += 1
        _abort(conn.client)
        _abort(conn.server)
        for task in conn.tasks:
            if task is not asyncio.current_task():
                task.cancel()

    # -- connections -------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._handlers.add(asyncio.current_task())
        try:
            self.connections_accepted += 1
            with self._lock:
                refusing, cut_after = self._refusing, self._cut_after
            if refusing or self._closing:
                self.connections_cut += not self._closing
                _abort(writer)
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(self.upstream_host,
                                                                     self.upstream_port)
            except OSError:  # upstream down: the client sees a reset, as with Redis away
                _abort(writer)
                return
            conn = _Conn(writer, up_writer, cut_after)
            self._conns.add(conn)
            try:
                conn.tasks = [asyncio.create_task(self._pump(conn, reader, up_writer, up=True)),
                              asyncio.create_task(self._pump(conn, up_reader, writer, up=False))]
                await asyncio.gather(*conn.tasks, return_exceptions=True)
            finally:
                self._conns.discard(conn)
                if not conn.cut:
                    conn.client.close()
                    conn.server.close()
        except asyncio.CancelledError:  # stop(): streams would log a cancelled handler
            _abort(writer)
        finally:
            self._handlers.discard(asyncio.current_task())

    async def _pump(self, conn: _Conn, src: asyncio.StreamReader, dst: asyncio.StreamWriter,
                    up: bool) -> None:
        queue: asyncio.Queue = asyncio.Queue(QUEUE_CHUNKS)

        async def read() -> None:
            try:
                while data := await src.read(CHUNK):
                    await queue.put((time.monotonic(), data))
            except OSError:
                pass
            await queue.put((time.monotonic(), b""))

        reading = asyncio.create_task(read())
        try:
            while True:
                arrived, data = await queue.get()
                with self._lock:
                    latency = self._latency
                wait = arrived + latency - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:  # EOF: pass on the half-close
                    if dst.can_write_eof() and not dst.is_closing():
                        dst.write_eof()
                    return
                cut = False
                if not up and conn.cut_after is not None:
                    if len(data) > conn.cut_after:  # this chunk crosses the line: send a part
                        data, cut = data[:conn.cut_after or len(data) // 2], True
                    conn.cut_after -= len(data)
                await self._send(dst, data, up)
                if cut:
                    self._cut(conn)
                    return
        except (OSError, RuntimeError):
            if not conn.cut:  # one side went away: the other goes too
                _abort(conn.client)
                _abort(conn.server)
        finally:
            reading.cancel()
            await asyncio.wait([reading])

    async def _send(self, dst: asyncio.StreamWriter, data: bytes, up: bool) -> None:
        view = memoryview(data)
        while view:
            with self._lock:
                bandwidth = self._bandwidth
            size = len(view) if bandwidth is None else max(1, int(bandwidth * SLICE_SECONDS))
            piece, view = view[:size], view[size:]
            dst.write(piece)
            await dst.drain()
            if up:
                self.bytes_up += len(piece)
            else:
                self.bytes_down += len(piece)
            if bandwidth is not None:
                await asyncio.sleep(len(piece) / bandwidth)
