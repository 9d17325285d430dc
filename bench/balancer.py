"""Real components for the multi-host test and bench (tests/ops/test_multi_host.py,
bench/multi_host.py): a TCP proxy in front of PostgreSQL that the test
can cut (a database outage without touching the shared server), and HAProxy as the load
balancer (round robin, no stickiness), started from Debian's package."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

HAPROXY = shutil.which("haproxy") or (
    "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
)


class TcpProxy:
    """Forwards 127.0.0.1:<port> to (host, port). stop() closes the listener and every open
    connection (what clients of a stopped database see); start() listens again, same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(256)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with self._lock:
                    self._open.discard(sock)
                sock.close()


def haproxy_config(port: int, servers: list[str]) -> str:
    """The balancer of docs/operations.md, on loopback: round robin, no stickiness; a host
    leaves the pool when /readyz fails five times two seconds apart (a short database blip is
    answered by the hosts' own 503 pages); the balancer's own 503 says when to come back."""
    lines = [
        "global",
        "    maxconn 4096",
        "defaults",
        "    mode http",
        "    timeout connect 5s",
        "    timeout client 120s",
        "    timeout server 120s",
        "    option forwardfor",
        "frontend brique",
        f"    bind 127.0.0.1:{port}",
        "    # /metrics is for the monitoring on the internal network, not for the internet.",
        "    http-request deny deny_status 404 if { path_beg /metrics }",
        "    default_backend brique_hosts",
        "backend brique_hosts",
        "    balance roundrobin",
        "    option httpchk GET /readyz",
        "    http-check expect status 200",
        "    http-response set-header X-Served-By %[srv_name]",
        '    http-error status 503 content-type "text/plain; charset=utf-8" hdr Retry-After 10'
        ' string "Brique is unavailable for a moment. / Brique est indisponible un instant."',
    ]
    for n, server in enumerate(servers, start=1):
        lines.append(f"    server host{n} {server} check inter 2s fall 5 rise 1")
    return "\n".join(lines) + "\n"


@contextmanager
def balancer(servers: list[str], workdir: Path) -> Iterator[str]:
    """HAProxy in front of `servers` (host:port) until the block ends; yields its URL."""
    assert HAPROXY is not None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = workdir / "haproxy.cfg"
    config.write_text(haproxy_config(port, servers))
    check = subprocess.run(
        [HAPROXY, "-c", "-f", str(config)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    log = (workdir / "haproxy.log").open("wb")
    process = subprocess.Popen(
        [HAPROXY, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "HAProxy did not start: " + (workdir / "haproxy.log").read_text()
                )
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
