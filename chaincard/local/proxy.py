"""A TCP proxy between two processes of a local chain, whose link can be cut, delayed or made lossy.

gRPC runs over TCP (and TLS inside it), so the proxy only moves bytes: it never reads them. The
chaos runs (docs/reliability.md) put one in front of every region and between every store agent and
its region; the store tests put one between the agent under test and region E.

"Dropping packets" at this level cannot drop a segment (TCP would resend it): a lossy link instead
resets a connection on a forwarded chunk with probability ``loss``, which is what a peer sees when
loss lasts long enough for TCP to give up, only sooner.
"""

from __future__ import annotations

import random
import select
import socket
import threading
import time


class LinkProxy:
    """Listens on ``127.0.0.1:<free port>`` and forwards every connection to ``upstream``.

    ``cut()`` resets every connection and refuses new ones (the link is down); ``restore()`` lets
    connections through again and clears any delay or loss; ``degrade(delay, loss)`` adds
    ``delay`` seconds before each forwarded chunk and resets a connection on a chunk with
    probability ``loss``."""

    def __init__(self, upstream: str, *, seed: int | None = None) -> None:
        host, port = upstream.rsplit(":", 1)
        self.upstream = (host, int(port))
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.endpoint = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.down = False
        self.delay = 0.0
        self.loss = 0.0
        self._random = random.Random(seed)
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True, name=f"proxy-{self.endpoint}").start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _lose(self) -> bool:
        with self._lock:
            return self.loss > 0 and self._random.random() < self.loss

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while not self.down:
                ready, _, _ = select.select([a, b], [], [], 0.1)
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        raise OSError("closed")
                    if self.delay:
                        time.sleep(self.delay)
                    if self._lose():
                        raise OSError("lost")
                    (b if source is a else a).sendall(data)
        except OSError:
            pass
        for sock in (a, b):
            try:
                sock.close()
            except OSError:
                pass
        with self._lock:
            self._sockets = [sock for sock in self._sockets if sock not in (a, b)]

    def cut(self) -> None:
        self.down = True
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._sockets.clear()

    def degrade(self, delay: float = 0.0, loss: float = 0.0) -> None:
        self.delay, self.loss = delay, loss

    def restore(self) -> None:
        self.delay, self.loss = 0.0, 0.0
        self.down = False

    def close(self) -> None:
        self.cut()
        self.listener.close()
