"""Who gets which first model: the embedded one once, the profile's default once (a real image, no models loaded).

The background steps themselves run against real models in tests/test_real_models.py
(the embedded import) and tests/test_personas.py (the pull from local directories).
"""

from __future__ import annotations

import pytest

from bat_os import config
from bat_os.models import provision
from bat_os.models.records import store_of


@pytest.fixture
def root(awake_image):
    image = awake_image
    return image, lambda fn: image.run(lambda: fn(image.connection.root()))


GGUF_05, GGUF_15 = ("a" * 64, "gguf"), ("b" * 64, "gguf")


def test_the_embedded_model_goes_once_to_personas_without_a_model(root):
    image, run = root
    wanted = dict.fromkeys(("ALFRED", "BRICK", "ROBIN", "BABS"), GGUF_05)
    assert run(lambda r: provision._wanting_embedded(r, wanted)) == ["ALFRED", "BRICK", "ROBIN", "BABS"]
    assert run(lambda r: provision._wanting_embedded(r, {"BRICK": GGUF_05})) == ["BRICK"]  # only those with one

    def give(root_):
        store = store_of(root_)
        store.personas["ROBIN"] = "k-own"  # ROBIN has a model of its own
        store.models["k-embedded"] = _record("k-embedded", GGUF_05)
        provision._mark(root_, "embedded", "ALFRED", "k-embedded")
        store.personas["ALFRED"] = "k-embedded"

    run(give)
    assert run(lambda r: provision._wanting_embedded(r, wanted)) == ["BRICK", "BABS"]
    run(lambda r: store_of(r).personas.pop("ALFRED"))  # removed by the user: not given again
    assert "ALFRED" not in run(lambda r: provision._wanting_embedded(r, wanted))


def test_a_persona_still_on_the_model_the_image_gave_it_gets_todays_choice(root):
    """An image from an earlier release: ALFRED and BRICK were given the 0.5B model converted for transformers,
    ROBIN was given it too but has since a model of the user's. Today ALFRED's choice is the 1.5B model and
    llama.cpp runs the GGUF form: ALFRED and BRICK get theirs, ROBIN keeps the user's."""
    image, run = root

    def earlier(root_):
        store = store_of(root_)
        store.models["k-converted"] = _record("k-converted", (GGUF_05[0], "hf"))
        for persona in ("ALFRED", "BRICK", "ROBIN"):
            provision._mark(root_, "embedded", persona, "k-converted")
            store.personas[persona] = "k-converted"
        store.personas["ROBIN"] = "k-users"

    run(earlier)
    today = {"ALFRED": GGUF_15, "BRICK": GGUF_05, "ROBIN": GGUF_05}
    assert run(lambda r: provision._wanting_embedded(r, today)) == ["ALFRED", "BRICK"]
    same = {"ALFRED": (GGUF_05[0], "hf"), "BRICK": (GGUF_05[0], "hf")}
    assert run(lambda r: provision._wanting_embedded(r, same)) == []  # today's choice already: nothing to do


def _record(key: str, wanted: tuple[str, str]):
    from persistent.mapping import PersistentMapping

    from bat_os.models.records import ModelRecord

    return ModelRecord(key, "embedded", None, None, None, "qwen2", PersistentMapping(), 0.0, key,
                       provenance={"format": "gguf", "sha256": wanted[0]}, format=wanted[1])


def test_defaults_are_pulled_for_no_model_or_only_the_embedded_one_and_once(root):
    image, run = root
    settings = config.load({}, environ={}).models
    defaults = {p: settings.default_for(p, "cpu") for p in ("ALFRED", "BRICK", "ROBIN", "BABS")}
    assert defaults["ALFRED"] == "Qwen/Qwen2.5-Coder-1.5B-Instruct"

    def state(root_):
        store = store_of(root_)
        provision._mark(root_, "embedded", "ALFRED", "k-embedded")
        store.personas["ALFRED"] = "k-embedded"  # only the embedded one: pulled over
        store.personas["BRICK"] = "k-chosen"  # chosen by the user: left alone
        provision._mark(root_, "pulled", "ROBIN", defaults["ROBIN"])  # pulled before: never again

    run(state)
    assert run(lambda r: provision._never_pulled(r, defaults)) == {"ALFRED": defaults["ALFRED"], "BABS": defaults["BABS"]}


def test_the_profiles_defaults_and_a_persona_of_ones_own():
    from bat_os.models import embedded

    settings = config.load({}, environ={}).models
    assert embedded.resolve_profile("auto", cuda=True, ram=2**40) == "gpu"
    assert embedded.resolve_profile("auto", cuda=False, ram=16 * 2**30) == "cpu"
    assert embedded.resolve_profile("auto", cuda=False, ram=4 * 2**30) == "small"
    assert embedded.resolve_profile("cpu", cuda=True, ram=1) == "cpu"
    assert set(embedded.wanted(settings, cuda=False, ram=4 * 2**30).values()) == {embedded.MODELS[embedded.DEFAULT]}
    # the cpu profile's choice is made for llama.cpp: without it (or with the transformers engine), the small one's
    names = lambda got: {p: m.name for p, m in got.items()}  # noqa: E731
    big = 16 * 2**30
    assert names(embedded.wanted(settings, cuda=False, llama=True, ram=big)) == settings.embedded_for("cpu")
    assert names(embedded.wanted(settings, cuda=False, llama=False, ram=big)) == settings.embedded_for("small")
    plain = config.load({}, environ={"BATOS_MODELS_ENGINE": "transformers"}).models
    assert names(embedded.wanted(plain, cuda=False, llama=True, ram=big)) == settings.embedded_for("small")
    assert names(embedded.wanted(settings, cuda=True, llama=False, ram=big)) == settings.embedded_for("gpu")
    assert settings.default_for("ALFRED", "small") == "Qwen/Qwen2.5-Coder-0.5B-Instruct"
    assert settings.default_for("ALFRED", "gpu") == "Qwen/Qwen2.5-Coder-7B-Instruct"
    assert settings.default_for("BABS", "cpu") == settings.default_for("ROBIN", "cpu")
    own = config.load({}, environ={"BATOS_MODELS_PROFILE": "cpu"}).models
    assert own.profile == "cpu"
    with pytest.raises(Exception, match="models.profile"):
        config.load({}, environ={"BATOS_MODELS_PROFILE": "tpu"})
    with pytest.raises(Exception, match="models.cpu_form"):
        config.load({}, environ={"BATOS_CPU_FORM": "int4"})


def test_the_profile_asks_torch_about_cuda_only_where_an_nvidia_driver_is():
    """A kernel starting offline without a GPU (every start until its defaults are pulled) does not import torch to
    learn there is no CUDA: the import ran beside the first requests and slowed each ~2x (bench/perf/bench_send.py)."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys\n"
        "from bat_os.models import engines, provision, quantize\n"
        "engines.cuda_hint = lambda: False\n"
        "assert provision._cuda_available() is False and 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)\n"
        "engines.cuda_hint = lambda: True\n"
        "quantize.cuda_available = lambda: 'asked torch'\n"
        "assert provision._cuda_available() == 'asked torch'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
