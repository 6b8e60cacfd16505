"""Persona models in llama.cpp, from a real image: the GGUF blob mapped where the image keeps it, swapping
personas under a budget, what status says, and the other engine on the same record (bat_os.models.manager)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bat_os.errors import ModelUnavailable
from bat_os.image.image import Image
from bat_os.models import engines
from bat_os.models.manager import ModelManager
from bat_os.models.personas import persona_table, spec_for
from bat_os.models.store import import_model
from gguf_support import cache, need_llama, real_gguf

GEN = {"max_new_tokens": 12, "temperature": 0}


@pytest.fixture(scope="module")
def files() -> dict[str, Path]:
    need_llama()
    return {"smol": real_gguf("smollm2-135m"), "qwen": real_gguf("qwen2.5-coder-0.5b")}


@pytest.fixture
def image(tmp_path):
    image = Image(tmp_path / "image" / "live.fs")
    image.awaken()
    yield image
    image.close()


def spec(image: Image, persona: str, **generation):
    found = image.read(lambda: spec_for(image.connection.root(), persona))
    return found.__class__(**{**found.__dict__, "generation": {**GEN, **generation}})


def mapped(path: str) -> bool:
    """``path`` is mapped into this process (llama.cpp reads the weights where they lie)."""
    return any(line.rstrip().endswith(path) for line in Path("/proc/self/maps").read_text().splitlines())


def test_a_gguf_persona_runs_from_its_committed_blob(image, files):
    import_model(image, "ALFRED", str(files["smol"]))
    alfred = spec(image, "ALFRED")
    assert alfred.format == engines.GGUF and alfred.gguf_file is not None
    blob = alfred.gguf_file.path
    assert Path(blob).is_relative_to(image.path.parent) and os.stat(blob).st_mode & 0o222 == 0  # a committed, read-only blob

    async def body(manager: ModelManager):
        pieces: list[str] = []
        out = await manager.generate(alfred, "You are ALFRED.", "Say hello.", on_token=pieces.append)
        await asyncio.sleep(0)  # the last pieces are handed to the loop
        assert mapped(blob)  # the blob file itself, memory-mapped: not a copy, not a conversion
        status = manager.status()
        await manager.close()
        assert not mapped(blob)  # unloading unmaps it
        return out, "".join(pieces), status

    out, streamed, status = asyncio.run(body(ModelManager(device="cpu", engine="auto")))
    assert out.tokens > 0 and streamed.startswith(out.text) and out.swapped
    resident = status["resident"][0]
    assert resident["engine"] == "llama.cpp" and resident["form"] is None and resident["bytes"] > alfred.size
    assert resident["llama"]["calls"] == 1 and resident["llama"]["prompt_evaluated"] == resident["llama"]["prompt_tokens"]
    table = image.read(lambda: persona_table(image.connection.root(), lambda f, a: engines.engine_for(
        f, "auto", cuda=False, llama=True, adapter=a)))
    assert table["ALFRED"]["engine"] == "llama.cpp" and table["ALFRED"]["format"] == "gguf" and table["BRICK"]["engine"] is None


def test_personas_swap_under_a_one_model_budget(image, files):
    import_model(image, "ALFRED", str(files["qwen"]), link_source=True)  # the cache's file: linked, as set-up's is
    import_model(image, "ROBIN", str(files["smol"]), link_source=True)
    alfred, robin = spec(image, "ALFRED"), spec(image, "ROBIN")

    async def body(manager: ModelManager):
        answers = []
        for persona in (alfred, robin, alfred):
            out = await manager.generate(persona, "", "Name one colour.")
            answers.append((out.swapped, manager.is_resident(persona.key), manager.is_resident(robin.key if persona is alfred else alfred.key)))
        status = manager.status()
        await manager.close()
        return answers, status

    budget = alfred.size + 64 * 2**20  # the 0.5B model and its context, not both
    answers, status = asyncio.run(body(ModelManager(device="cpu", budget_bytes=budget, engine="auto", context=512)))
    assert answers == [(True, True, False), (True, True, False), (True, True, False)]  # each swap evicted the other
    assert status["counts"]["loads"] == 3 and status["counts"]["evictions"] == 2
    assert status["last_swap"]["engine"] == "llama.cpp" and status["last_swap"]["persona"] == "ALFRED"


def test_the_transformers_engine_runs_the_same_gguf_record_from_its_conversion(image, files, tmp_path):
    import_model(image, "ROBIN", str(files["smol"]))
    robin = spec(image, "ROBIN")

    async def body(manager: ModelManager):
        out = await manager.generate(robin, "", "Name one colour.")
        status = manager.status()
        await manager.close()
        return out, status

    out, status = asyncio.run(body(ModelManager(device="cpu", engine="transformers", cache=cache(), workdir=tmp_path / "w")))
    assert out.tokens > 0 and status["resident"][0]["engine"] == "transformers" and status["resident"][0]["form"]
    assert not (tmp_path / "w").exists() or not any((tmp_path / "w").iterdir())  # the link to the conversion went
    assert any((cache() / "converted").glob(f"{robin.provenance['sha256'][:24]}-bfloat16"))  # kept for next time


def test_llama_cpp_refuses_a_peft_adapter_without_its_gguf_form_and_auto_gives_it_to_transformers(image, files):
    from bat_os.models.manager import AdapterSpec

    import_model(image, "BABS", str(files["smol"]))
    babs = spec(image, "BABS")
    with_adapter = babs.__class__(**{**babs.__dict__, "adapter": AdapterSpec("babs", (), "x")})
    manager = ModelManager(device="cpu", engine="llama")
    assert manager.engine_of(engines.GGUF, adapter=True) == "llama.cpp"
    assert ModelManager(device="cpu", engine="auto").engine_of(engines.GGUF, adapter=True) == "transformers"

    async def body():
        try:
            out = await manager.generate(with_adapter, "", "hi")
            return out, manager.status()
        finally:
            await manager.close()

    out, status = asyncio.run(body())  # refused at load: BABS keeps its base model
    assert out.tokens > 0 and status["resident"][0]["engine"] == "llama.cpp" and status["resident"][0]["adapters"] == []
    assert "no llama.cpp form" in status["adapters_refused"]["BABS"]["why"]


def test_a_damaged_gguf_adapter_is_refused_at_load_and_llama_cpp_runs_the_base(image, files, tmp_path):
    from bat_os.models.files import CommittedFile
    from bat_os.models.manager import AdapterSpec

    import_model(image, "BABS", str(files["smol"]))
    babs = spec(image, "BABS")
    damaged = tmp_path / "adapter.gguf"
    damaged.write_bytes(b"GGUF" + bytes(60))
    adapter = AdapterSpec("babs", (CommittedFile("adapter.gguf", str(damaged), "0" * 64, damaged.stat().st_size),), "d")

    async def body():
        manager = ModelManager(device="cpu", engine="auto")
        try:
            base = await manager.generate(babs, "", "Name one colour.")
            refused = await manager.generate(babs.__class__(**{**babs.__dict__, "adapter": adapter}), "", "Name one colour.")
            return base, refused, manager.status()
        finally:
            await manager.close()

    base, refused, status = asyncio.run(body())
    assert refused.text == base.text and not refused.swapped  # the base's resident, the base's words
    assert "does not match its sha256" in status["adapters_refused"]["BABS"]["why"]
    assert [r["engine"] for r in status["resident"]] == ["llama.cpp"]


def test_status_names_the_engine_each_gguf_persona_runs_on_not_transformers(image, files):
    """The kernel's ``status`` (the command itself, on a real image): the backend is the personas' own models, and
    ``models.engines`` says llama.cpp runs every GGUF persona on a CPU; with ``models.engine = "transformers"``
    it says transformers. Only the cognition around the command is a stand-in (no jail, no memory)."""
    from types import SimpleNamespace

    from bat_os.config import LLMConfig
    from bat_os.kernel.commands.base import Context
    from bat_os.kernel.commands.status import status
    from bat_os.models.backends import AuditedBackend, make_backend
    from bat_os.models.personas import PersonaModels

    for persona in ("ALFRED", "BRICK", "ROBIN"):  # BABS keeps none
        import_model(image, persona, str(files["smol"]), link_source=True)

    def reported(setting: str) -> dict:
        manager = ModelManager(device="cpu", engine=setting)
        models = PersonaModels(image, manager)
        backend = AuditedBackend(make_backend(LLMConfig(backend="transformers"), manager=manager, resolve=models.resolve))
        cognition = SimpleNamespace(backend=backend, models=models, protections={}, capabilities_built=0, memory=None)
        try:
            return image.read(lambda: status(Context(image, stats=dict, cognition=cognition), {"command": "status"}))
        finally:
            asyncio.run(backend.close())

    auto = reported("auto")
    assert auto["llm"] == "models"  # not "transformers": no engine is named for all
    assert auto["models"]["engines"] == {"llama.cpp": ["ALFRED", "BRICK", "ROBIN"]}
    assert auto["models"]["personas"]["ALFRED"]["engine"] == "llama.cpp"
    assert reported("transformers")["models"]["engines"] == {"transformers": ["ALFRED", "BRICK", "ROBIN"]}


def test_the_engine_rule():
    rule = engines.engine_for
    assert rule(engines.HF, "llama", cuda=False, llama=True) == "transformers"  # a model directory: always transformers
    assert rule(engines.GGUF, "auto", cuda=False, llama=True) == "llama.cpp"
    assert rule(engines.GGUF, "auto", cuda=True, llama=True) == "transformers"  # CUDA: 4-bit nf4 in transformers
    assert rule(engines.GGUF, "auto", cuda=False, llama=False) == "transformers"  # not built here
    assert rule(engines.GGUF, "auto", cuda=False, llama=True, adapter=True) == "transformers"
    assert rule(engines.GGUF, "transformers", cuda=False, llama=True) == "transformers"
    assert rule(engines.GGUF, "llama", cuda=True, llama=False) == "llama.cpp"  # asked for: unavailable says why
    assert engines.stores_gguf("auto", cuda=False, llama=True) and not engines.stores_gguf("auto", cuda=True, llama=True)
    with pytest.raises(ValueError):
        rule(engines.GGUF, "vllm", cuda=False, llama=True)
    from bat_os import config

    assert config.ENGINES == engines.SETTINGS


def test_a_truncated_blob_makes_the_persona_unavailable_with_the_reason(image, files, tmp_path):
    """The image's GGUF blob damaged after the import (cut short on disk): the load refuses it by its sha256 (a
    coded model_unavailable), llama.cpp is never handed it, and another persona's model still serves."""
    import_model(image, "ALFRED", str(files["smol"]))
    import_model(image, "BRICK", str(files["qwen"]), link_source=True)
    alfred = spec(image, "ALFRED")
    blob = Path(alfred.gguf_file.path)
    os.chmod(blob, 0o600)
    with open(blob, "r+b") as fh:
        fh.truncate(blob.stat().st_size // 2)

    async def body(manager: ModelManager):
        try:
            with pytest.raises(ModelUnavailable, match="does not match its sha256"):
                await manager.generate(alfred, "", "hi")
            with pytest.raises(ModelUnavailable, match="unavailable"):  # remembered: not hashed again each call
                await manager.generate(alfred, "", "hi")
            out = await manager.generate(spec(image, "BRICK"), "", "Name one colour.")
            return out, manager.status()
        finally:
            await manager.close()

    out, status = asyncio.run(body(ModelManager(device="cpu", engine="auto", cache=cache())))
    assert out.tokens > 0 and alfred.key in status["unavailable"] and not mapped(str(blob))


def test_generations_queue_one_at_a_time_and_a_jailed_run_takes_a_core_from_them(image, files):
    """Two generations at once: one runs, the other waits (status shows both); while a real jailed run spins, the
    generation decodes on the cores left (bat_os.models.cores)."""
    from bat_os.jail.interface import JailLimits
    from bat_os.jail.runner import Jail
    from bat_os.models.cores import CoreBudget

    import_model(image, "ALFRED", str(files["smol"]), link_source=True)
    alfred = spec(image, "ALFRED", max_new_tokens=48, min_new_tokens=48)
    spin = "def spin(self, seconds):\n    import time\n    end = time.time() + seconds\n    while time.time() < end:\n        pass\n    return 1\n"

    class Host:
        receiver = "genesis_obj"

        def get_slot(self, ref, name):
            raise KeyError(name)

        def set_slot(self, ref, name, value):
            raise AssertionError("spin sets nothing")

        def send(self, ref, selector, args, kwargs):
            raise AssertionError("spin sends nothing")

    async def body():
        jail = Jail(JailLimits(cpu_seconds=60, wall_seconds=90), workers=1)  # the spin outlasts any generation here
        await jail.start()
        manager = ModelManager(device="cpu", engine="auto", cores=CoreBudget(cores=2, threads=2))
        manager.cores.count("jail", lambda: jail.running)
        try:
            await manager.generate(alfred, "You are ALFRED.", "Say hello.")  # loaded, decoding on 2 threads
            assert manager.status()["resident"][0]["llama"]["threads"] == 2
            first = asyncio.ensure_future(manager.generate(alfred, "You are ALFRED.", "Count to ten."))
            second = asyncio.ensure_future(manager.generate(alfred, "You are ALFRED.", "Name three colours."))
            seen = None
            while not (first.done() and second.done()):
                queue = manager.status()["queue"]
                if queue["running"] and queue["waiting"]:
                    seen = queue
                await asyncio.sleep(0.01)
            await first, await second
            assert seen is not None, "never saw one generation running and one waiting"
            assert seen["running"]["persona"] == "ALFRED" and len(seen["waiting"]) == 1
            assert manager.status()["queue"] == {"running": None, "waiting": []}  # done: gone from the queue

            running = asyncio.ensure_future(jail.run(spin, "spin", [45], {}, Host()))  # a trial: starts when awaited
            for _ in range(1000):
                if jail.running:
                    break
                await asyncio.sleep(0.01)
            assert manager.status()["cores"] == {"cores": 2, "generation_threads": 1, "wanted": 2, "held": {"jail": 1}}
            await manager.generate(alfred, "You are ALFRED.", "Say goodbye.")
            llama = manager.status()["resident"][0]["llama"]
            assert llama["threads"] == 1 and llama["thread_changes"] >= 1  # decoded beside the spinning run on 1
            assert jail.running == 1 and not running.done()  # the spin still runs: no other reading of the above
            running.cancel()
        finally:
            await manager.close()
            await jail.close()

    asyncio.run(body())
