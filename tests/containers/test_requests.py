"""Reading a client's requests off the byte stream (greengate/containers/requests.py)."""

from __future__ import annotations

from greengate.containers.requests import EngineRequest, RequestStream, classify

CID = "c" * 64


def seen(*chunks: bytes) -> tuple[list[EngineRequest], RequestStream]:
    got: list[EngineRequest] = []
    stream = RequestStream(got.append)
    for chunk in chunks:
        stream.feed(chunk)
    return got, stream


def test_what_each_request_means() -> None:
    assert classify("POST", f"/v1.41/containers/{CID}/start") == EngineRequest(started=CID)
    assert classify("POST", "/containers/my%20db/restart") == EngineRequest(started="my db")
    assert classify("POST", "/v1.41/build?t=x&version=2") == EngineRequest(
        build=True, buildkit=True
    )
    assert classify("POST", "/v1.41/build?t=x") == EngineRequest(build=True, buildkit=False)
    assert classify("POST", "/v1.41/build?q=1") == EngineRequest(build=True, quiet=True)
    assert classify("GET", f"/v1.41/containers/{CID}/start") == EngineRequest()
    assert classify("POST", f"/v1.41/containers/{CID}/stop") == EngineRequest()
    assert classify("POST", "/v1.41/containers/create") == EngineRequest()


def test_requests_after_bodies_on_a_kept_alive_connection() -> None:
    body = b'{"Image": "x", "Cmd": ["sh"]}'
    create = (
        b"POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    start = f"POST /v1.41/containers/{CID}/start HTTP/1.1\r\nHost: docker\r\n\r\n".encode()
    stream_bytes = create + start
    # Split anywhere, even inside a header or the body: the same two requests.
    for cut in range(1, len(stream_bytes)):
        got, _ = seen(stream_bytes[:cut], stream_bytes[cut:])
        assert got == [EngineRequest(), EngineRequest(started=CID)], cut


def test_a_chunked_build_context_is_skipped() -> None:
    build = (
        b"POST /v1.41/build?t=img HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"a\r\n0123456789\r\n"
        b"5;ext=1\r\nPOST \r\n"  # a chunk that looks like a request line is still body
        b"0\r\n\r\n"
    )
    start = f"POST /containers/{CID}/start HTTP/1.1\r\n\r\n".encode()
    got, stream = seen(build, start)
    assert got == [EngineRequest(build=True), EngineRequest(started=CID)]
    assert not stream.raw


def test_after_a_protocol_switch_the_stream_is_not_read() -> None:
    attach = (
        f"POST /v1.41/containers/{CID}/attach?stream=1 HTTP/1.1\r\n"
        "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
    ).encode()
    # What the container's stdin carries next is not a request, whatever it looks like.
    fake = f"POST /containers/{'d' * 64}/start HTTP/1.1\r\n\r\n".encode()
    got, stream = seen(attach, fake)
    assert got == [EngineRequest()]
    assert stream.raw


def test_bytes_that_are_not_http_stop_the_reading() -> None:
    got, stream = seen(b"\x16\x03\x01 not a request\r\n\r\n")
    assert got == [] and stream.raw
