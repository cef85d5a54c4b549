"""
The canned-response server: nginx when installed, else a minimal asyncio server.

Either runs in its own process, pinned to its own core when the machine has two, and
answers a POST to ``/<name>/`` with ``<name>.xml`` from the responses directory, over
HTTP/1.1 keep-alive. It never looks at the request beyond its path and length: every client
pays for its own signing and serialization, and the server pays the same for all of them.

:class:`ServerProcess` also reads the server's CPU time from ``/proc``, so each measurement
can show how busy the server was: a server that is far from 100% of its core while the
client is at 100% of its own is not the bottleneck.

Run as a script (``python server.py DIR``) it is the fallback server itself, printing its
port on the first line of standard output.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["ServerProcess", "start_server"]

_NGINX_CONF = """\
worker_processes 1;
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log error;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    default_type text/xml;
    types {{ }}
    sendfile on;
    tcp_nopush off;
    tcp_nodelay on;
    keepalive_requests 100000000;
    keepalive_timeout 600s;
    client_body_buffer_size 64k;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {root};
        location ~ ^/(?<name>[a-z0-9]+)/$ {{
            rewrite ^ /$name.xml last;
        }}
        location ~ \\.xml$ {{
            # nginx serves static files to GET only; a POST is answered through this.
            error_page 405 =200 $uri;
        }}
    }}
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """A running canned-response server: its kind, URL, process and CPU clock."""

    def __init__(self, kind: str, port: int, proc: subprocess.Popen[bytes], tmp: Path) -> None:
        self.kind = kind
        self.port = port
        self.proc = proc
        self._tmp = tmp
        self._ticks = os.sysconf("SC_CLK_TCK")

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server process has used so far."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self._ticks

    def stop(self) -> None:
        """Stop the server process (this one only) and remove its files."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM if self.kind == "python" else signal.SIGQUIT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self._tmp, ignore_errors=True)


def _wait_listening(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    proc.kill()
    raise RuntimeError(f"{what} did not listen on port {port} within 10 s")


def _pin(pid: int, core: int | None) -> None:
    if core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(pid, {core})


def start_server(root: Path, *, kind: str = "auto", core: int | None = None) -> ServerProcess:
    """
    Start the server on a free loopback port and wait until it accepts connections.

    Args:
        root: the directory holding ``<name>.xml`` files.
        kind: ``"nginx"``, ``"python"`` or ``"auto"`` (nginx when it is on the PATH).
        core: pin the server process to this CPU.
    """
    nginx = shutil.which("nginx")
    if kind == "auto":
        kind = "nginx" if nginx else "python"
    tmp = Path(tempfile.mkdtemp(prefix="aioec2-bench-server-"))
    if kind == "nginx":
        if nginx is None:
            raise RuntimeError("nginx is not installed; use --server python")
        port = _free_port()
        conf = tmp / "nginx.conf"
        conf.write_text(_NGINX_CONF.format(dir=tmp, port=port, root=root.resolve()))
        proc = subprocess.Popen(
            [nginx, "-p", str(tmp), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_listening(port, proc, "nginx")
    else:
        proc = subprocess.Popen(
            [sys.executable, __file__, str(root.resolve())],
            stdout=subprocess.PIPE,
        )
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        _wait_listening(port, proc, "the Python server")
    _pin(proc.pid, core)
    return ServerProcess(kind, port, proc, tmp)


# -- the fallback server ------------------------------------------------------------------

_HEADER_END = b"\r\n\r\n"


class _Canned(asyncio.Protocol):
    """HTTP/1.1 keep-alive, POST or GET, answered from a dict of prebuilt responses."""

    def __init__(self, answers: dict[bytes, bytes], missing: bytes) -> None:
        self._answers = answers
        self._missing = missing
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        transport = self._transport
        assert transport is not None
        while True:
            end = buffer.find(_HEADER_END)
            if end < 0:
                break
            head = buffer[:end]
            length = 0
            marker = head.lower().find(b"\r\ncontent-length:")
            if marker >= 0:
                stop = head.find(b"\r\n", marker + 2)
                length = int(head[marker + 17 : stop if stop >= 0 else None])
            total = end + 4 + length
            if len(buffer) < total:
                break
            path = head[: head.find(b"\r\n")].split(b" ", 2)[1]
            transport.write(self._answers.get(path, self._missing))
            buffer = buffer[total:]
        self._buffer = buffer


def _response(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


def _answers(root: Path) -> dict[bytes, bytes]:
    return {
        f"/{path.stem}/".encode(): _response("200 OK", path.read_bytes())
        for path in root.glob("*.xml")
    }


async def _serve(answers: dict[bytes, bytes]) -> None:
    missing = _response("404 Not Found", b"<Error><Code>NotFound</Code></Error>")
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Canned(answers, missing), "127.0.0.1", 0, backlog=4096
    )
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(_serve(_answers(Path(sys.argv[1]))))
