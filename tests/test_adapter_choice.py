"""bat_os.models.adapter_choice: refused adapters and their reasons; PEFT adapters loaded into a resident and
switched, with the tiny transformers models and real LoRA adapters built here."""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace

import pytest

from bat_os.errors import ModelUnavailable
from bat_os.models import engines
from bat_os.models.adapter_choice import UNCHANGED, Refusals, Switch, select_adapter
from bat_os.models.loadspec import AdapterSpec
from bat_os.models.residents import LinkDirs, load_transformers
from tiny_support import adapter_spec, build_tiny, refs, spec


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def resident(tiny, tmp_path):
    """tiny-llama loaded in transformers, as the manager would have it."""
    links = LinkDirs(tmp_path / "work")
    loaded = load_transformers(spec(tiny, "tiny-llama"), "tiny-llama", links=links, device="cpu", cpu_form="fp32", cache=None)
    yield loaded
    links.release(loaded.directory)


def test_an_adapter_the_engine_cannot_apply_is_refused_with_the_reason_and_the_persona_keeps_its_base(tiny):
    refusals = Refusals()
    alfred = spec(tiny, "tiny-llama", "ALFRED", adapter="alfred")  # PEFT weights only: no llama.cpp form
    usable = refusals.usable(alfred, engines.LLAMA, "llama", {})
    assert usable == replace(alfred, adapter=None)
    why = refusals.status()["ALFRED"]
    assert why["adapter"] == "alfred" and "no llama.cpp form" in why["why"] and 'models.engine = "llama"' in why["why"]
    plain = spec(tiny, "tiny-llama", "ALFRED")
    assert refusals.usable(plain, engines.LLAMA, "llama", {}) is plain  # no adapter: nothing to refuse
    assert refusals.status() == {}  # asked again: the persona's old refusal is gone
    brick = spec(tiny, "tiny-llama", "BRICK", adapter="brick")
    assert refusals.usable(brick, engines.TRANSFORMERS, "auto", {}) is brick  # transformers applies it


def test_a_refused_adapter_stays_refused_by_its_digest_until_it_changes(tiny):
    refusals = Refusals()
    alfred = spec(tiny, "tiny-llama", "ALFRED", adapter="alfred")
    refusals.refuse(alfred, "adapter alfred does not fit")
    brick_with_it = replace(alfred, persona="BRICK")  # another persona naming the same adapter
    assert refusals.usable(brick_with_it, engines.TRANSFORMERS, "auto", {}).adapter is None
    assert refusals.status() == {"ALFRED": {"adapter": "alfred", "why": "adapter alfred does not fit"},
                                 "BRICK": {"adapter": "alfred", "why": "adapter alfred does not fit"}}
    changed = replace(alfred, adapter=replace(alfred.adapter, digest="new files"))
    assert refusals.usable(changed, engines.TRANSFORMERS, "auto", {}) is changed
    shown = refusals.status()
    shown["BRICK"]["why"] = "edited"
    assert refusals.status()["BRICK"]["why"] == "adapter alfred does not fit"  # status hands out a copy


def test_adapters_load_once_switch_and_disable(tiny, resident):
    lock = threading.Lock()
    alfred, brick = spec(tiny, "tiny-llama", "ALFRED", "alfred"), spec(tiny, "tiny-llama", "BRICK", "brick")
    first = select_adapter(resident, alfred, verified={}, lock=lock)
    assert (first.changed, first.loaded, first.adapter) == (True, True, "alfred") and first.seconds > 0
    base = resident.model.get_base_model()
    assert select_adapter(resident, alfred, verified={}, lock=lock) is UNCHANGED
    second = select_adapter(resident, brick, verified={}, lock=lock)
    assert (second.changed, second.loaded, second.adapter) == (True, True, "brick")
    back = select_adapter(resident, alfred, verified={}, lock=lock)
    assert (back.changed, back.loaded) == (True, False)  # loaded once: only switched
    assert resident.model.active_adapter == "alfred" and resident.model.get_base_model() is base
    assert resident.adapters == {"alfred": alfred.adapter.digest, "brick": brick.adapter.digest}
    plain = select_adapter(resident, spec(tiny, "tiny-llama", "ROBIN"), verified={}, lock=lock)
    assert plain == Switch(True) and resident.active is None  # generation runs with the adapters disabled
    assert select_adapter(resident, spec(tiny, "tiny-llama", "ROBIN"), verified={}, lock=lock) is UNCHANGED
    adapters = resident.directory.with_name(resident.directory.name + "-adapters")
    assert sorted(p.name.split("-")[0] for p in adapters.iterdir()) == ["alfred", "brick"]  # linked beside the model


def test_an_adapter_changed_since_it_was_loaded_is_loaded_again(tiny, resident):
    lock = threading.Lock()
    alfred = spec(tiny, "tiny-llama", "ALFRED", "alfred")
    select_adapter(resident, alfred, verified={}, lock=lock)
    retrained = replace(alfred, adapter=AdapterSpec("alfred", adapter_spec(tiny, "brick").files, "retrained"))
    again = select_adapter(resident, retrained, verified={}, lock=lock)
    assert again.loaded and resident.adapters == {"alfred": "retrained"}


def test_an_adapter_for_another_base_does_not_fit(tiny, resident):
    with pytest.raises(ModelUnavailable, match="adapter qwen does not fit BABS's base model tiny-llama"):
        select_adapter(resident, spec(tiny, "tiny-llama", "BABS", "qwen"), verified={}, lock=threading.Lock())
    assert resident.adapters == {} and resident.active is None


def test_a_damaged_adapter_file_is_refused_before_it_is_loaded(tiny, resident, tmp_path):
    damaged = tmp_path / "alfred"
    shutil.copytree(tiny["adapters"]["alfred"], damaged)
    files = refs(damaged)
    weights = damaged / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-64] + bytes(64))  # changed under its recorded sha256
    broken = AdapterSpec("alfred", files, "damaged")
    with pytest.raises(ModelUnavailable, match="ALFRED's adapter alfred is unavailable: .*sha256"):
        select_adapter(resident, replace(spec(tiny, "tiny-llama", "ALFRED"), adapter=broken), verified={},
                       lock=threading.Lock())
    assert resident.adapters == {} and not resident.directory.with_name(resident.directory.name + "-adapters").exists()
