"""Frames on a socket, the worker's side: a :data:`~bat_os.jail.contract.HEADER` and an ormsgpack map.

Blocking reads and writes on a raw fd (the run socket of a child); the template's
control socket is read by :meth:`~.template.Template.serve` itself (fds come with it).
"""

from __future__ import annotations

import os

import ormsgpack

from ..contract import HEADER


def pack(message: dict) -> bytes:
    body = ormsgpack.packb(message)
    return HEADER.pack(len(body)) + body


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


_READ = 64 * 1024
_pending = bytearray()  # bytes read past the end of the last frame (none in a strict request/answer exchange)


def read_frame(fd: int) -> dict:
    """The next frame from ``fd``: usually one ``read`` for a whole small frame."""
    buffer = _pending
    while len(buffer) < 4:
        _fill(fd, buffer, _READ)
    (size,) = HEADER.unpack_from(buffer)
    while len(buffer) < 4 + size:
        _fill(fd, buffer, max(_READ, 4 + size - len(buffer)))
    with memoryview(buffer) as view:
        message = ormsgpack.unpackb(view[4:4 + size])
    del buffer[:4 + size]
    return message


def _fill(fd: int, buffer: bytearray, count: int) -> None:
    chunk = os.read(fd, count)
    if not chunk:
        raise EOFError("the kernel closed the run socket")
    buffer += chunk
