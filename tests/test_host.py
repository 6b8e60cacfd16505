"""The kernel side of a jailed method's ``self``: ImageHost, and LazyHost's snapshot-first runs.

Real parts: a ZODB FileStorage image in a temp dir and a real jail (worker processes).
"""

from __future__ import annotations

import asyncio
import os

import pytest

from bat_os.cognition.methods.service import Cognition
from bat_os.cognition.methods.host import ImageHost, LazyHost, Prepared, StaleSnapshot
from bat_os.image.image import Image
from bat_os.jail.runner import Jail
from bat_os.image.objects import CovenantList, CovenantMapping, oid_to_hex

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the jail needs fork")

BUMP = "def bump(self):\n    self.n = self.n + 1\n    return self.n\n"
READ = "def read(self):\n    return {'n': self.n, 'name': self.name}\n"
ME = "def me(self):\n    return self\n"


@pytest.fixture
def image(tmp_path):
    image = Image(tmp_path / "image" / "live.fs")
    image.awaken()

    def setup():
        genesis = image.connection.root()["genesis_obj"]
        genesis.set_slot("n", 1)
        genesis.set_slot("tags", ["a", "b"])
        genesis.set_slot("seen", {"a": 1})
        for selector, source in (("bump", BUMP), ("read", READ), ("me", ME)):
            genesis.add_method(selector, source, origin="generated", author="ALFRED")

    image.run(setup)
    yield image
    image.close()


def genesis(image):
    return image.connection.root()["genesis_obj"]


def set_n(image, value):
    image.run(lambda: genesis(image).set_slot("n", value))


def read_n(image):
    return image.read(lambda: genesis(image).slots["n"])


ANY_SLOT = "def pass_on(self):\n    return helper(self)\n"  # self passed on: it may read any slot


def test_prepare_takes_the_small_slots_and_the_serials_of_what_it_read(image):
    def check():
        receiver = genesis(image)
        prepared = ImageHost(image.connection, receiver).prepare(ANY_SLOT)
        assert prepared.source == ANY_SLOT
        assert prepared.snapshot["n"] == 1 and prepared.snapshot["tags"] == ["a", "b"] and prepared.snapshot["seen"] == {"a": 1}
        tags, seen = receiver.slots["tags"], receiver.slots["seen"]
        assert isinstance(tags, CovenantList) and isinstance(seen, CovenantMapping)
        read = dict(prepared.serials)
        assert len(read) == 4
        for obj in (receiver, receiver.slots, tags, seen):  # containers are objects of their own: their serials are kept too
            assert read[obj._p_oid] == obj._p_serial
        return True

    assert image.read(check)


def test_prepare_takes_only_the_slots_the_method_reads_where_the_source_says_which(image):
    def check():
        receiver = genesis(image)
        read_n_and_tags = "def f(self):\n    return [self.n, self['tags'], self.missing]\n"
        prepared = ImageHost(image.connection, receiver).prepare(read_n_and_tags)
        assert prepared.snapshot == {"n": 1, "tags": ["a", "b"]}
        assert {oid for oid, _serial in prepared.serials} == {
            receiver._p_oid, receiver.slots._p_oid, receiver.slots["tags"]._p_oid}  # not "seen": not read
        assert set(ImageHost(image.connection, receiver).prepare(ANY_SLOT).snapshot) >= {"n", "tags", "seen", "name"}
        return True

    assert image.read(check)


def test_a_slot_the_snapshot_left_out_is_asked_for(image):
    """Were the reading of a source to miss a slot, the run would ask for it: a round trip, not a wrong answer."""
    async def body(cognition):
        with image.session.held():
            receiver = genesis(image)
            read = [receiver, receiver.slots]
            partial = ImageHost._snapshot(receiver, read, frozenset({"n"}))  # READ reads "name" too
            prepared = Prepared(READ, partial, tuple((obj._p_oid, obj._p_serial) for obj in read))
            host = LazyHost(image, receiver._p_oid, prepared)
        try:
            result = await cognition.jail.run(READ, "read", [], {}, host, fresh=False)
            assert host._pair is not None  # it asked the image
            return host.finish(result)
        finally:
            host.close()

    assert with_cognition(image, body) == {"n": 1, "name": "genesis"}


async def _send(image, cognition, selector):
    """What the kernel does: launch in the request's transaction, abort it, then await."""
    with image.session.held():
        receiver = genesis(image)
        _holder, method = receiver.lookup(selector)
        answer = cognition.launch(receiver, method, selector, [], {})
    return await answer(None)


def with_cognition(image, body):
    async def main():
        jail = Jail(workers=1)
        await jail.start()
        try:
            return await body(Cognition(image, jail, orchestrator=None))
        finally:
            await jail.close()

    return asyncio.run(main())


def test_a_read_only_method_answers_from_the_snapshot_without_a_connection(image):
    spare_before = len(image._spare)

    async def body(cognition):
        with image.session.held():
            receiver = genesis(image)
            host = LazyHost(image, receiver._p_oid, ImageHost(image.connection, receiver).prepare(READ))
        result = await cognition.jail.run(READ, "read", [], {}, host, fresh=False)
        assert host._pair is None  # nothing beyond the snapshot was asked for
        return host.finish(result)

    assert with_cognition(image, body) == {"n": 1, "name": "genesis"}
    assert len(image._spare) == spare_before


def test_a_write_opens_a_transaction_and_commits(image):
    assert with_cognition(image, lambda cognition: _send(image, cognition, "bump")) == 2
    assert read_n(image) == 2


def test_a_snapshot_gone_stale_before_the_write_is_run_again_not_lost(image):
    """The method read n=1 from its snapshot; n became 5 before it wrote: it must not write 2."""

    async def body(cognition):
        with image.session.held():
            receiver = genesis(image)
            _holder, method = receiver.lookup("bump")
            answer = cognition.launch(receiver, method, "bump", [], {})
        set_n(image, 5)  # another request commits meanwhile
        return await answer(None)

    assert with_cognition(image, body) == 6
    assert read_n(image) == 6


def test_finish_refuses_a_stale_run(image):
    async def body(cognition):
        with image.session.held():
            receiver = genesis(image)
            host = LazyHost(image, receiver._p_oid, ImageHost(image.connection, receiver).prepare(BUMP))
        set_n(image, 5)
        try:
            result = await cognition.jail.run(BUMP, "bump", [], {}, host, fresh=False)
            with pytest.raises(StaleSnapshot):
                host.finish(result)
        finally:
            host.close()
        return read_n(image)

    assert with_cognition(image, body) == 5  # the stale write was aborted


def test_a_result_naming_the_receiver_renders_its_reference(image):
    result = with_cognition(image, lambda cognition: _send(image, cognition, "me"))
    assert result["$oid"] == image.read(lambda: oid_to_hex(genesis(image)._p_oid))
    assert result["name"] == "genesis"
