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


def test_the_embedded_model_goes_once_to_personas_without_a_model(root):
    image, run = root
    assert run(provision._without_embedded) == ["ALFRED", "BRICK", "ROBIN", "BABS"]

    def give(root_):
        store = store_of(root_)
        store.personas["ROBIN"] = "k-own"  # ROBIN has a model of its own
        provision._mark(root_, "embedded", "ALFRED", "k-embedded")
        store.personas["ALFRED"] = "k-embedded"

    run(give)
    assert run(provision._without_embedded) == ["BRICK", "BABS"]
    run(lambda r: store_of(r).personas.pop("ALFRED"))  # removed by the user: not given again
    assert "ALFRED" not in run(provision._without_embedded)


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
    settings = config.load({}, environ={}).models
    assert settings.default_for("ALFRED", "gpu") == "Qwen/Qwen2.5-Coder-7B-Instruct"
    assert settings.default_for("BABS", "cpu") == settings.default_for("ROBIN", "cpu")
    own = config.load({}, environ={"BATOS_MODELS_PROFILE": "cpu"}).models
    assert own.profile == "cpu"
    with pytest.raises(Exception, match="models.profile"):
        config.load({}, environ={"BATOS_MODELS_PROFILE": "tpu"})
    with pytest.raises(Exception, match="models.cpu_form"):
        config.load({}, environ={"BATOS_CPU_FORM": "int4"})
