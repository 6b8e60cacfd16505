"""The image: first awakening, resuming, migrations, transactions, corrupt files."""

import hashlib
import logging

import pytest
import transaction

from bat_os.errors import Busy, ImageError, NotFound
from bat_os.image.image import SCHEMA_KEY, Image
from bat_os.image.migrations import Migration, MigrationContext, default_migrations as _default_migrations
from bat_os.image.objects import UvmObject
from bat_os.cognition.cycle.states import STATES
from bat_os.image.primordial import PERSONAS

ROOT_NAMES = [
    "traits_obj", "pLLM_obj", "genesis_obj", "knowledge_catalog_obj", "psm_prototypes_obj",
    "orchestrator_obj", "alfred_prototype_obj", "brick_prototype_obj", "robin_prototype_obj", "babs_prototype_obj",
]


@pytest.fixture
def image_path(tmp_path):
    return tmp_path / "img" / "live_image.fs"


def open_image(path):
    return Image(path)


def test_first_awakening_incarnates_the_primordial_objects(image_path):
    image = open_image(image_path)
    try:
        ran = image.awaken()
        assert ran == ["incarnate the primordial objects", "a registry of cognitive cycles", "a store for persona models and adapters", "semantic memory: metadata index, embeddings, change log", "the chronicle of backups and restores", "the cycle's states follow the table (SPECIFYING: tests before code)",
        "traits learn clone, new and dispatch (objects made by methods; a message chosen at run time)",
        "the cycle's states follow the table (PLANNING: a hard request learned in parts)",
        "plans are gone: a planning cycle writes its method whole, its parts end, PLANNING leaves the table",
        "the cycle's states follow the table (without PLANNING)"]
        root = image.connection.root()
        image.session.abandon()
        image.tm.begin()
        for name in ROOT_NAMES:
            assert name in root, name
        genesis = root["genesis_obj"]
        assert list(genesis.parents) == [root["traits_obj"], root["pLLM_obj"]]
        assert genesis.send("describe")["name"] == "genesis"
        for persona, spec in PERSONAS.items():
            obj = root[spec["root"]]
            codex = obj.send("codex")
            assert obj.send("name") == persona
            assert {"core_identity", "system_prompt", "model_ref", "generation", "lora_adapter"} <= set(codex)
        states = root["psm_prototypes_obj"]
        assert [states.send(s).send("name") for s in STATES] == list(STATES)
        assert states.send("COMPLETE").send("terminal") is True
        catalog = root["knowledge_catalog_obj"]
        assert catalog.document_count() > 10
        assert catalog.search("Watercourse Way")[0]["metadata"]["source"] == "persona_codex"
        assert image.schema_version == 10
        assert root["orchestrator_obj"].send("cycles").summary() == {"cycles": 0, "unfinished": []}
        image.tm.abort()
    finally:
        image.close()
    assert image_path.with_name("live_image.blobs").is_dir()


def test_awakening_is_idempotent_and_resumes_unchanged(image_path):
    image = open_image(image_path)
    image.awaken()
    image.run(lambda: image.connection.root()["genesis_obj"].set_slot("mark", [1, 2]))
    size = image.size_bytes()
    image.close()

    image = open_image(image_path)
    try:
        assert image.awaken() == []  # nothing ran again
        assert image.size_bytes() == size  # nothing was written
        assert image.read(lambda: list(image.connection.root()["genesis_obj"].send("mark"))) == [1, 2]
        log = image.read(lambda: list(image.connection.root()["batos_migrations"]))
        assert [entry["version"] for entry in log] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    finally:
        image.close()


def test_incarnation_completes_a_partial_image(image_path):
    image = open_image(image_path)
    image.awaken()
    root = image.connection.root()

    def lose_some():
        del root["orchestrator_obj"]
        root[SCHEMA_KEY] = 0
        return root["genesis_obj"]._p_oid

    genesis_oid = image.run(lose_some)
    assert image.awaken() == ["incarnate the primordial objects", "a registry of cognitive cycles", "a store for persona models and adapters", "semantic memory: metadata index, embeddings, change log", "the chronicle of backups and restores", "the cycle's states follow the table (SPECIFYING: tests before code)",
        "traits learn clone, new and dispatch (objects made by methods; a message chosen at run time)",
        "the cycle's states follow the table (PLANNING: a hard request learned in parts)",
        "plans are gone: a planning cycle writes its method whole, its parts end, PLANNING leaves the table",
        "the cycle's states follow the table (without PLANNING)"]
    assert image.read(lambda: "orchestrator_obj" in root and root["genesis_obj"]._p_oid == genesis_oid)
    image.close()


def test_migrations_run_once_in_order(image_path):
    calls = []

    def add_colour(root, ctx):
        calls.append("colour")
        root["genesis_obj"].set_slot("colour", "blue")

    def add_size(root, ctx):
        calls.append("size")
        assert root["genesis_obj"].send("colour") == "blue"  # 2 ran before 3
        root["genesis_obj"].set_slot("size", 3)

    image = open_image(image_path)
    image.awaken(_default_migrations()[:1])  # an older kernel's image at version 1
    image.close()

    upgraded = _default_migrations()[:2] + [Migration(4, "size", add_size), Migration(3, "colour", add_colour)]
    image = open_image(image_path)
    ran = image.awaken(upgraded, MigrationContext(codex_path=None, now=lambda: 42.0))
    assert ran == ["a registry of cognitive cycles", "colour", "size"]  # the defaults' 3rd is not in this kernel
    assert image.schema_version == 4
    image.close()

    image = open_image(image_path)
    try:
        assert image.awaken(upgraded) == []
        assert calls == ["colour", "size"]
        log = image.read(lambda: [dict(e) for e in image.connection.root()["batos_migrations"]])
        assert [(e["version"], e["name"]) for e in log] == [
            (1, "incarnate the primordial objects"), (2, "a registry of cognitive cycles"), (3, "colour"), (4, "size")
        ]
        assert log[2]["at"] == 42.0
    finally:
        image.close()


def test_a_failing_migration_changes_nothing(image_path):
    def broken(root, ctx):
        root["genesis_obj"].set_slot("half", "done")
        raise RuntimeError("boom")

    image = open_image(image_path)
    image.awaken()
    newest = max(m.version for m in _default_migrations())
    with pytest.raises(RuntimeError):
        image.awaken(_default_migrations() + [Migration(newest + 1, "broken", broken)])
    assert image.schema_version == newest
    assert image.read(lambda: "half" not in image.connection.root()["genesis_obj"].slots)
    image.close()


def test_run_commits_and_aborts(image_path):
    image = open_image(image_path)
    image.awaken()
    genesis = lambda: image.connection.root()["genesis_obj"]  # noqa: E731
    image.run(lambda: genesis().set_slot("x", 1))

    def fail():
        genesis().set_slot("x", 2)
        raise ValueError("no")

    with pytest.raises(ValueError):
        image.run(fail)
    assert image.read(lambda: genesis().send("x")) == 1
    image.close()


def test_conflicts_are_retried_then_refused(image_path):
    image = open_image(image_path)
    image.awaken()
    other_tm = transaction.TransactionManager()
    other = image.db.open(other_tm)
    attempts = []

    def conflicting_write(always):
        def work():
            attempts.append(1)
            genesis = image.connection.root()["genesis_obj"]
            genesis.set_slot("n", len(attempts))
            if always or len(attempts) == 1:  # another connection commits the same object meanwhile
                other_tm.begin()
                other.root()["genesis_obj"].set_slot("n", -1)
                other_tm.commit()
            return len(attempts)

        return work

    assert image.run(conflicting_write(always=False), retries=3) == 2
    assert image.read(lambda: image.connection.root()["genesis_obj"].send("n")) == 2

    attempts.clear()
    with pytest.raises(Busy):
        image.run(conflicting_write(always=True), retries=2)
    assert len(attempts) == 3
    other.close()
    image.close()


def test_resolve_targets(image_path):
    image = open_image(image_path)
    image.awaken()
    try:
        image.session.abandon()
        image.tm.begin()
        genesis = image.resolve("genesis_obj")
        assert isinstance(genesis, UvmObject)
        hex_id = "0x%02x" % int.from_bytes(genesis._p_oid, "big")
        assert image.resolve(hex_id) is genesis
        assert image.root_name_of(genesis) == "genesis_obj"
        for bad in ("nothing_here", "0xffffff", "0xnothex", "", None, 5, "batos_schema_version"):
            with pytest.raises(NotFound):
                image.resolve(bad)
        image.tm.abort()
    finally:
        image.close()


def test_corrupt_image_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "corrupt.fs"
    path.write_bytes(b"this is not a FileStorage" * 100)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ImageError) as info:
        Image(path)
    assert "corrupt" in str(info.value)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_second_opener_is_refused(image_path):
    image = open_image(image_path)
    try:
        with pytest.raises(ImageError) as info:
            Image(image_path)
        assert "in use" in str(info.value)
    finally:
        image.close()


def test_truncated_last_transaction_is_recovered_and_logged(image_path, caplog):
    image = open_image(image_path)
    image.awaken()
    image.run(lambda: image.connection.root()["genesis_obj"].set_slot("kept", 1))
    good_size = image_path.stat().st_size
    image.run(lambda: image.connection.root()["genesis_obj"].set_slot("torn", "x" * 5000))
    image.close()
    for suffix in (".index", ".lock", ".tmp"):
        image_path.with_name(image_path.name + suffix).unlink(missing_ok=True)
    with image_path.open("r+b") as fh:  # tear the last transaction in half
        fh.truncate(good_size + 2600)

    with caplog.at_level(logging.WARNING):
        image = open_image(image_path)
    try:
        assert "incomplete transaction" in caplog.text
        assert image_path.stat().st_size == good_size
        genesis_slots = image.read(lambda: dict(image.connection.root()["genesis_obj"].slots))
        assert genesis_slots["kept"] == 1 and "torn" not in genesis_slots
    finally:
        image.close()


def test_connections_for_awaiting_work_are_reused_and_see_new_commits(image_path):
    image = open_image(image_path)
    image.awaken()
    try:
        pair = image.acquire()
        tm, conn = pair
        tm.begin()
        assert "late" not in conn.root()["genesis_obj"].slots
        tm.abort()
        image.release(pair)
        image.run(lambda: image.connection.root()["genesis_obj"].set_slot("late", 1))
        again = image.acquire()
        assert again is pair  # kept open and reused
        tm.begin()
        assert conn.root()["genesis_obj"].slots["late"] == 1  # begin() brought it up to date
        tm.abort()
        image.release(again)
    finally:
        image.close()
