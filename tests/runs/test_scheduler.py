"""C3: a ``--scheduler`` value that is not a Dask scheduler gives one clear error, fast, before any work."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from hybridxai.exceptions import InvalidArgumentError, ServiceUnavailableError
from hybridxai.runs.execution import check_address, check_scheduler, make_executor


def _serve(handler: Callable[[socket.socket], None]) -> Iterator[str]:
    """A one-shot TCP server on 127.0.0.1 running ``handler`` on each connection; yields its address."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                handler(conn)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        server.close()


def _http(conn: socket.socket) -> None:  # answers whatever it gets (or nothing) like a web server
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")


def _silent(conn: socket.socket) -> None:  # accepts, then waits for a request that never comes
    time.sleep(1.5)


def _huge_length(conn: socket.socket) -> None:  # a frame length of 3 EiB, as C3's traceback showed
    conn.sendall(struct.pack("<Q", 3 << 60) + b"\x00" * 16)


@pytest.fixture(params=[_http, _silent, _huge_length], ids=["http", "silent", "huge-length"])
def impostor(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _serve(request.param)


@pytest.mark.parametrize(("value", "match"), [
    ("http://localhost:1234", r"scheduler='http://localhost:1234' is invalid: uses the protocol 'http://'"),
    ("foo", r"scheduler='foo' is invalid: is not a Dask scheduler address\. Fix: pass the address"),
    ("", r"scheduler='' is invalid"),
    ("tcp://host:70000", r"has the port 70000, outside 1\.\.65535"),
    (8786, r"scheduler=8786 is invalid"),
])
def test_c3_malformed_scheduler_addresses_are_refused_by_name(value: object, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        check_scheduler(value)
    with pytest.raises(InvalidArgumentError, match=match):
        make_executor(scheduler=value)


def test_c3_well_formed_addresses_pass_the_form_check() -> None:
    for address in ("tcp://10.0.0.5:8786", "localhost:8786", "tls://[::1]:8786", " ws://host-1:80 "):
        assert check_address(address) == address.strip()


def test_c3_a_server_that_is_not_a_dask_scheduler_is_refused_quickly(impostor: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ServiceUnavailableError, match=rf"the server at {impostor} is not a Dask scheduler "
                                                      r"\(.*\)\. Fix: pass the address a running"):
        check_scheduler(impostor, timeout=0.5)
    assert time.perf_counter() - start < 5


def test_c3_make_executor_probes_before_connecting(impostor: str) -> None:
    pytest.importorskip("distributed")
    with pytest.raises(ServiceUnavailableError, match="is not a Dask scheduler"):
        make_executor(scheduler=impostor, timeout=0.5)


def test_c3_an_http_server_is_named_as_such() -> None:
    for address in _serve(_http):
        with pytest.raises(ServiceUnavailableError, match=r"answered like a web \(HTTP\) server: "
                                                          r"'HTTP/1\.1 400 Bad Request'"):
            check_scheduler(address, timeout=2)


def test_c3_nothing_listening_is_named_with_the_address() -> None:
    with socket.create_server(("127.0.0.1", 0)) as spare:
        port = spare.getsockname()[1]  # closed below: nothing listens there afterwards
    expected = rf"no Dask scheduler answered at tcp://127\.0\.0\.1:{port} \(ConnectionRefusedError"
    with pytest.raises(ServiceUnavailableError, match=expected):
        check_scheduler(f"tcp://127.0.0.1:{port}", timeout=1)


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), True, "5"])
def test_c3_bad_timeouts_are_refused(timeout: object) -> None:
    with pytest.raises(InvalidArgumentError, match="timeout="):
        check_scheduler("tcp://127.0.0.1:8786", timeout=timeout)


def test_c3_a_real_dask_scheduler_passes() -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp://", host="127.0.0.1",
                                  dashboard_address=":0") as cluster:
        assert check_scheduler(cluster.scheduler_address, timeout=5) == cluster.scheduler_address
        with make_executor(scheduler=cluster.scheduler_address) as executor:
            assert executor.describe() == f"Dask cluster at {cluster.scheduler_address}"
