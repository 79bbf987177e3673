"""Checking a ``--scheduler`` address before any work: its form, and that a Dask scheduler answers.

A Dask scheduler greets every new connection first: an 8-byte little-endian length, then a small
msgpack handshake (``compression``, ``python``, ``pickle-protocol``). Anything else on the other end
(a web server, the Dask dashboard's port, a proxy, a service that waits for a request) would make
``distributed.Client`` read garbage as a frame length and try a multi-exabyte allocation, or wait
forever. :func:`check_scheduler` reads that greeting with a plain socket (no dask needed) and
refuses clearly when it is not there.

Example:
    >>> check_address("localhost:8786")
    'localhost:8786'
    >>> check_address("http://localhost:8786")
    Traceback (most recent call last):
    ...
    hybridxai.exceptions.InvalidArgumentError: scheduler='http://localhost:8786' is invalid: \
uses the protocol 'http://', which Dask does not speak (tcp://, tls://, ucx://, ws://, wss://). \
Fix: pass the address a running 'dask scheduler' prints, e.g. --scheduler tcp://10.0.0.5:8786 \
(the dashboard's http:// address is not it).
"""

from __future__ import annotations

import math
import re
import socket
import struct

from hybridxai.exceptions import ServiceUnavailableError, invalid_argument

__all__ = ["check_address", "check_scheduler", "probe_scheduler"]

_PROTOCOLS = ("tcp", "tls", "ucx", "ws", "wss")
_FORM = re.compile(r"^(?:(?P<protocol>[A-Za-z][A-Za-z0-9+.-]*)://)?"
                   r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})$")
_EXAMPLE = "pass the address a running 'dask scheduler' prints, e.g. --scheduler tcp://10.0.0.5:8786"
_GREETING_LIMIT = 1 << 20  # a scheduler's handshake is ~60 bytes; anything huge is not one
_GREETING_KEYS = (b"compression", b"pickle-protocol")


def check_address(address: object) -> str:
    """Validate the form of a scheduler address such as ``"tcp://10.0.0.5:8786"`` or ``"host:8786"``.

    Args:
        address: The address given by the user.

    Returns:
        It, as a ``str`` without surrounding blanks.

    Raises:
        InvalidArgumentError: Not of the form ``[protocol://]host:port`` with a Dask protocol and a
            port in 1..65535.
    """
    text = address.strip() if isinstance(address, str) else None
    match = _FORM.match(text) if text else None
    if match is None:
        raise invalid_argument("scheduler", address, "is not a Dask scheduler address", _EXAMPLE)
    protocol = match["protocol"]
    if protocol is not None and protocol.lower() not in _PROTOCOLS:
        raise invalid_argument("scheduler", address,
                               f"uses the protocol '{protocol}://', which Dask does not speak "
                               f"({', '.join(p + '://' for p in _PROTOCOLS)})",
                               f"{_EXAMPLE} (the dashboard's http:// address is not it)")
    if not 1 <= int(match["port"]) <= 65535:
        raise invalid_argument("scheduler", address, f"has the port {match['port']}, outside 1..65535",
                               _EXAMPLE)
    return text


def _split(address: str) -> tuple[str | None, str, int]:
    match = _FORM.match(address)
    assert match is not None  # checked by check_address
    protocol = match["protocol"].lower() if match["protocol"] else None
    return protocol, match["host"].strip("[]"), int(match["port"])


def _unavailable(address: str, why: str) -> ServiceUnavailableError:
    return ServiceUnavailableError(
        f"no Dask scheduler answered at {address} ({why}). Fix: start one with 'dask scheduler' "
        f"(and workers with 'dask worker {address}'), check the address and firewall, or drop "
        "--scheduler to use local processes.")


def _not_dask(address: str, why: str) -> ServiceUnavailableError:
    return ServiceUnavailableError(
        f"the server at {address} is not a Dask scheduler ({why}). Fix: pass the address a running "
        "'dask scheduler' prints (its scheduler port, 8786 by default, not the dashboard's 8787), "
        "or drop --scheduler to use local processes.")


def probe_scheduler(address: str, timeout: float = 5.0) -> None:
    """Connect to ``address`` and check that a Dask scheduler greets, without dask.

    For ``tcp://`` (and protocol-less) addresses the greeting is read and checked; for TLS and
    websockets only that something listens at ``host:port``; UCX addresses (their own transport)
    are left to Dask.

    Args:
        address: An address accepted by :func:`check_address`.
        timeout: Seconds to wait for the connection and for the greeting.

    Raises:
        ServiceUnavailableError: Nothing listens there, or what listens is not a Dask scheduler
            (it sent something else, or nothing within ``timeout``).
    """
    protocol, host, port = _split(address)
    if protocol == "ucx":
        return
    try:
        conn = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:  # refused, unreachable, unknown host, timed out
        raise _unavailable(address, f"{type(exc).__name__}: {exc or 'timed out'}") from exc
    with conn:
        if protocol not in (None, "tcp"):
            return
        conn.settimeout(timeout)
        received = b""
        try:
            while len(received) < 8 or len(received) < 8 + _length(received):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                received += chunk
                if len(received) >= 8 and _length(received) > _GREETING_LIMIT:
                    break
        except TimeoutError:
            if not received:
                raise _not_dask(address, f"it accepted the connection but sent nothing within {timeout:g} s; "
                                         "a Dask scheduler greets first") from None
        except OSError as exc:
            raise _unavailable(address, f"{type(exc).__name__}: {exc}") from exc
    if len(received) < 8:
        raise _not_dask(address, "it closed the connection without a greeting" if not received
                        else f"it sent {received!r}")
    if _length(received) > _GREETING_LIMIT or not all(key in received for key in _GREETING_KEYS):
        first = received[:40].split(b"\r\n")[0].decode("ascii", "replace")
        kind = "a web (HTTP) server" if first.startswith("HTTP/") else "something else"
        raise _not_dask(address, f"it answered like {kind}: {first!r}")


def _length(data: bytes) -> int:
    return struct.unpack("<Q", data[:8])[0]


def check_scheduler(address: object, timeout: float = 5.0) -> str:
    """Check a ``--scheduler`` value completely: its form, then that a Dask scheduler answers.

    Call it where the arguments are parsed, before any model or data work.

    Args:
        address: The address given by the user.
        timeout: Seconds to wait for the scheduler (a positive number).

    Returns:
        The address, as a ``str``.

    Raises:
        InvalidArgumentError: A malformed address (see :func:`check_address`) or ``timeout``.
        ServiceUnavailableError: No Dask scheduler answers there (see :func:`probe_scheduler`).
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not (
            timeout > 0 and math.isfinite(timeout)):
        raise invalid_argument("timeout", timeout, "must be a positive number of seconds",
                               "pass e.g. timeout=5")
    text = check_address(address)
    probe_scheduler(text, timeout)
    return text
