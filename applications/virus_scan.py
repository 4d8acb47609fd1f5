"""Virus scans by ClamAV's clamd, over its INSTREAM protocol, on a TCP or a Unix socket.

``LINGHUO_CLAMD_ADDRESS`` is ``tcp://host:3310``, ``host:3310``, ``unix:///run/clamav/clamd.ctl``
or a socket path. Without it, or when clamd does not answer, the scan says
``unavailable`` and the check flags the document "not scanned for viruses" for
the caseworker (where ``LINGHUO_VIRUS_SCAN_REQUIRED``), rather than pass it
unscanned or refuse a citizen's upload because a server is down.
"""

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

CHUNK = 64 * 1024
CONNECT_TIMEOUT = 2.0
CLEAN, INFECTED, UNAVAILABLE = "clean", "infected", "unavailable"


@dataclass(frozen=True)
class ScanResult:
    state: str  # clean, infected or unavailable
    signature: str = ""
    detail: str = ""


def _connect(address: str) -> socket.socket:
    if address.startswith("unix://") or address.startswith("/"):
        path = address[len("unix://") :] if address.startswith("unix://") else address
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(CONNECT_TIMEOUT)
        try:
            connection.connect(path)
        except OSError:
            connection.close()
            raise
        return connection
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme != "tcp" or not parts.hostname or not parts.port:
        raise OSError(f"LINGHUO_CLAMD_ADDRESS is not tcp://host:port or unix:///path: {address!r}")
    return socket.create_connection((parts.hostname, parts.port), timeout=CONNECT_TIMEOUT)


def _reply(connection: socket.socket) -> str:
    received = b""
    while not received.endswith(b"\0") and len(received) < 4096:
        chunk = connection.recv(4096)
        if not chunk:
            break
        received += chunk
    return received.rstrip(b"\0").decode("utf-8", errors="replace").strip()


def scan_bytes(data: bytes, *, address: str | None = None) -> ScanResult:
    """Sends the file to clamd and reads its verdict: ``stream: OK`` or ``stream: <signature> FOUND``."""
    address = address or settings.LINGHUO_CLAMD_ADDRESS
    if not address:
        return ScanResult(UNAVAILABLE, detail="not configured")
    try:
        with _connect(address) as connection:
            connection.settimeout(settings.LINGHUO_CLAMD_TIMEOUT)
            try:
                connection.sendall(b"zINSTREAM\0")
                for start in range(0, len(data), CHUNK):
                    chunk = data[start : start + CHUNK]
                    connection.sendall(len(chunk).to_bytes(4, "big") + chunk)
                connection.sendall(b"\0\0\0\0")
            except BrokenPipeError:
                pass  # clamd stops reading past its StreamMaxLength and says so in its reply
            reply = _reply(connection)
    except OSError as exc:
        return ScanResult(UNAVAILABLE, detail=type(exc).__name__)
    verdict = reply.split(":", 1)[1].strip() if ":" in reply else reply
    if verdict == "OK":
        return ScanResult(CLEAN)
    if verdict.endswith(" FOUND"):
        return ScanResult(INFECTED, signature=verdict[: -len(" FOUND")].strip()[:100])
    return ScanResult(UNAVAILABLE, detail=verdict[:100] or "no answer")
