"""The wire protocol under generated input (Hypothesis), against a real kernel subprocess on a real socket.

Random commands (every command name the kernel knows, and names it does not) with random fields of random types
and sizes, and random frames (bytes that are not msgpack, maps without a command, several frames at once). The
properties, for every one:

- it is answered: one reply, with the request's ``id`` when it had one, ``ok`` or an error whose code is one of
  :data:`bat_os.protocol.ERROR_CODES`;
- an error changes nothing: the image's last transaction is the one before the request;
- the kernel answers ``ping`` throughout.

Left out of the commands drawn: those that write outside the image or run for minutes by design (``backup``,
``pack``, ``forge``, ``ingest``), and those that start a cognitive cycle (``relearn``, ``initiate_cognitive_cycle``,
and a ``send`` of what nothing understands: ``learn`` is forced false):
each is fuzzed by its own tests.

Profiles: ``ci`` (the default: a few hundred requests, well under a minute) and ``soak``
(``BATOS_HYPOTHESIS_PROFILE=soak .venv/bin/python -m pytest --timeout 0 tests/test_protocol_properties.py``:
20,000 requests a test; ``--timeout 0``, or pytest.ini's 300 s a test stops it).
"""

from __future__ import annotations

import os

import ormsgpack
import pytest

import hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bat_os.kernel.commands import get_commands
from bat_os.protocol import ERROR_CODES
from support import Client, KernelProcess

settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=list(HealthCheck),
                          derandomize=True, database=None)
settings.register_profile("soak", max_examples=20_000, deadline=None, suppress_health_check=list(HealthCheck),
                          database=None)
settings.load_profile(os.environ.get("BATOS_HYPOTHESIS_PROFILE", "ci"))

LEFT_OUT = {"backup", "pack", "forge", "ingest", "relearn", "initiate_cognitive_cycle"}
COMMANDS = sorted(set(get_commands()) - LEFT_OUT)
FIELDS = ["target", "selector", "slot", "value", "args", "kwargs", "offset", "limit", "query", "mode", "top_k",
          "filter", "persona", "personas", "prompt", "cycle", "question", "choose", "result", "source", "cases",
          "version", "name", "slots", "keep", "intent", "examples", "force", "target_oid", "mission_brief", "text",
          "doc_id", "event", "cycles", "timeout", "events", "ask", "reason", "conversation", "raises", "skip"]
TARGETS = ["genesis_obj", "traits_obj", "root", "0x00", "0x01", "0x7fffffff", "knowledge_catalog_obj", "nobody", ""]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**64 - 1), st.floats(allow_nan=True),
    st.text(max_size=40), st.binary(max_size=40), st.sampled_from(TARGETS),
    st.integers(min_value=-3, max_value=12_000), st.text(min_size=5000, max_size=20_000),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
                      max_leaves=20)
requests = st.builds(
    lambda command, fields, request_id: {**fields, "command": command, "id": request_id},
    st.integers(0, 9).flatmap(lambda n: st.text(max_size=20) if n == 0 else st.sampled_from(COMMANDS)),  # 9 in 10 known
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=6),
    st.integers(min_value=0, max_value=2**31),
)
frames = st.one_of(
    st.lists(st.binary(max_size=200), min_size=1, max_size=3),
    values.map(lambda v: [ormsgpack.packb(v, option=ormsgpack.OPT_NON_STR_KEYS)]),
)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    process = KernelProcess(tmp_path_factory.mktemp("properties"), env={"BATOS_REQUEST_TIMEOUT": "30"})
    process.start()
    with process.client() as client:
        yield process, client
    process.stop()
    log = process.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]  # a request may fail; the kernel never does


def _ask(client: Client, message: dict, timeout: float = 30) -> dict:
    """Send ``message`` and return its reply, passing over the answers to earlier frames (matched by id)."""
    client.send(message)
    return _reply(client, message["id"], timeout)


def _reply(client: Client, request_id: object, timeout: float = 60) -> dict:
    while True:
        reply = client.recv(timeout=timeout)
        if reply.get("status") != "event" and reply.get("id") == request_id:
            return reply


def _last_transaction(client: Client) -> str:
    return _ask(client, {"command": "status", "id": "tid"})["result"]["image"]["last_transaction"]


@given(request=requests)
def test_every_generated_request_is_answered_with_a_code_and_an_error_changes_nothing(fuzzed, request):
    _process, client = fuzzed
    if request["command"] == "send":
        request["learn"] = False  # a cycle is a minute of work; its own tests drive it
    request.pop("events", None)
    before = _last_transaction(client)
    try:
        frame = ormsgpack.packb(request, option=ormsgpack.OPT_NON_STR_KEYS)
    except (TypeError, ValueError):
        return  # not something a client can send
    client.send_raw(frame)
    reply = _reply(client, request["id"])
    hypothesis.event(reply["status"] if reply["status"] == "ok" else reply.get("error", {}).get("code", "?"))
    assert reply["status"] in ("ok", "error"), reply
    if reply["status"] == "error":
        assert reply["error"]["code"] in ERROR_CODES and reply["error"]["message"], reply
        assert _last_transaction(client) == before, (request, reply)
    assert _ask(client, {"command": "ping", "id": "p"}, timeout=5)["result"]["pong"] is True


@given(message=frames)
def test_every_generated_frame_is_answered_or_dropped_and_the_kernel_goes_on(fuzzed, message):
    _process, client = fuzzed
    before = _last_transaction(client)
    client.send_raw(*message)
    reply = _ask(client, {"command": "ping", "id": "after"})  # the frame's answer, if it has one, is passed over
    assert reply["status"] == "ok" and reply["result"]["pong"] is True
    if not _maybe_a_request(message):
        assert _last_transaction(client) == before


def _maybe_a_request(message: list[bytes]) -> bool:
    """A generated frame that happens to be a command the kernel runs (a map with a string command)."""
    if len(message) != 1:
        return False
    try:
        decoded = ormsgpack.unpackb(message[0])
    except (ValueError, TypeError):
        return False
    return isinstance(decoded, dict) and isinstance(decoded.get("command"), str)


def test_the_profiles_are_sized_as_documented():
    assert settings.get_profile("ci").max_examples <= 300 and settings.get_profile("soak").max_examples == 20_000
