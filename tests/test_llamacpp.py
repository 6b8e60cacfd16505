"""llama.cpp running a real GGUF model (SmolLM2-135M-Instruct, Q4_1): streaming, stops, limits, bad input, and
the prompt evaluated once for many candidates (bat_os.models.llamacpp)."""

from __future__ import annotations

import codecs
import threading
import time
from pathlib import Path

import pytest

from bat_os.errors import LLMError
from bat_os.models.llamacpp import LlamaModel, PromptStates, common_prefix
from gguf_support import need_llama, real_gguf

PROMPT = "Write a Python function named double that returns twice its argument."
VOICES = ("You are ALFRED, a careful butler who writes small, clear Python.", "You are a plain programmer.")


@pytest.fixture(scope="module")
def smol() -> Path:
    need_llama()
    return real_gguf("smollm2-135m")


@pytest.fixture(scope="module")
def model(smol):
    loaded = LlamaModel.load(smol, context=1024, threads=2)
    yield loaded
    loaded.close()


def ask(model: LlamaModel, system: str = VOICES[0], prompt: str = PROMPT, *, timeout: float = 60,
        cancel: threading.Event | None = None, **settings) -> tuple[str, int, list[str]]:
    pieces: list[str] = []
    text, count = model.generate(system, prompt, settings={"max_new_tokens": 48, **settings}, persona="ALFRED",
                                 emit=pieces.append, stop=cancel or threading.Event(), timeout=timeout)
    return text, count, pieces


def test_a_reply_streams_in_pieces_that_make_its_text(model):
    text, count, pieces = ask(model)
    assert count > 0 and text.strip()
    assert "".join(pieces).startswith(text) and len(pieces) > 3
    again, _, _ = ask(model)
    assert again == text  # greedy: the same reply, whatever the model evaluated before


def test_stop_strings_and_the_end_of_a_code_block(model):
    text, _, _ = ask(model, max_new_tokens=96)
    word = text.split()[2]
    cut, _, _ = ask(model, max_new_tokens=96, stop=[word])
    assert word not in cut and text.startswith(cut)
    block, _, _ = ask(model, "You write code.", "Write the Python function add(a, b) in a ```python block, then explain it.",
                      max_new_tokens=200, stop_after_block=True)
    assert block.rstrip().endswith("```") and block.count("```") == 2


def test_min_new_tokens_goes_past_the_end_of_the_text(model):
    _, short, _ = ask(model, "Answer with one word.", "Say yes.", max_new_tokens=64)
    _, fixed, _ = ask(model, "Answer with one word.", "Say yes.", max_new_tokens=64, min_new_tokens=64)
    assert short < 64 and fixed == 64


def test_a_prompt_longer_than_the_context_is_refused_and_the_model_stays_usable(smol):
    small = LlamaModel.load(smol, context=256, threads=2)
    try:
        with pytest.raises(LLMError, match="more than the model's context of 256"):
            ask(small, prompt="word " * 400)
        text, count, _ = ask(small)
        assert count > 0 and text
        _, count, _ = ask(small, prompt="word " * 200, max_new_tokens=500, min_new_tokens=500)
        assert count == 256 - len(small.prompt_tokens(VOICES[0], "word " * 200))  # the reply stops where the context ends
    finally:
        small.close()


def test_a_timeout_and_a_cancel_stop_the_generation(model):
    with pytest.raises(LLMError, match="passed its 1e-06s limit and was stopped"):
        ask(model, timeout=1e-6, max_new_tokens=200)
    stop = threading.Event()
    pieces: list[str] = []

    def cancel_on_first(piece: str) -> None:
        pieces.append(piece)
        stop.set()

    with pytest.raises(LLMError, match="was cancelled"):
        model.generate(VOICES[0], PROMPT, settings={"max_new_tokens": 200}, persona="ALFRED", emit=cancel_on_first,
                       stop=stop, timeout=60)
    assert 1 <= len(pieces) <= 2
    text, count, _ = ask(model)  # usable after both
    assert count > 0


def test_a_seeded_sample_is_the_same_each_time_and_another_seed_samples_apart(model):
    first, _, _ = ask(model, temperature=0.9, seed=7, max_new_tokens=40)
    ask(model, VOICES[1])  # another prompt in between: the first's state comes back from the kept ones
    second, _, _ = ask(model, temperature=0.9, seed=7, max_new_tokens=40)
    others = {ask(model, temperature=0.9, seed=seed, max_new_tokens=40)[0] for seed in (8, 9, 10)}
    assert first == second and others - {first}


def test_many_candidates_evaluate_their_shared_prompt_once(smol):
    """A cycle's candidates: the same request in two voices by turns, greedy then sampled. Each prompt is
    evaluated once; every later candidate evaluates one token of it (the state is kept), where a model that
    keeps no state evaluates all of them again each time the voice changes."""
    def candidates(states: PromptStates) -> tuple[int, int, list[str]]:
        model = LlamaModel.load(smol, context=1024, threads=2)
        model.states = states
        try:
            texts = []
            for attempt in range(8):
                settings = {"temperature": 0.7, "seed": attempt} if attempt >= 2 else {}
                texts.append(ask(model, VOICES[attempt % 2], max_new_tokens=24, **settings)[0])
            return model.counts.prompt_tokens, model.counts.prompt_evaluated, texts
        finally:
            model.close()

    vocabulary = _vocabulary(smol)
    prompts = [vocabulary.prompt_tokens(voice, PROMPT) for voice in VOICES]
    vocabulary.close()
    lengths, shared = [len(p) for p in prompts], common_prefix(*prompts)
    asked, evaluated, texts = candidates(PromptStates())
    asked_plain, evaluated_plain, texts_plain = candidates(PromptStates(kept=0))
    assert asked == asked_plain == 4 * sum(lengths)
    assert evaluated == lengths[0] + (lengths[1] - shared) + 6  # each prompt once; then one token per candidate
    assert evaluated_plain >= 7 * (min(lengths) - shared)  # without kept states, every change of voice pays again
    assert texts == texts_plain  # and the kept states change no reply


def _vocabulary(path: Path) -> LlamaModel:
    """The same file's tokenizer and chat template, without its weights (what the prompts are, in tokens)."""
    import llama_cpp

    return LlamaModel(llama_cpp.Llama(str(path), vocab_only=True, verbose=False), llama_cpp, path, 0, 0.0)


def test_a_reply_cut_inside_a_character_decodes_cleanly(smol, model):
    """A token that ends mid-character (the reply stopped there) gives a replacement character, never an
    error: what generate does with each token's bytes, on the real vocabulary's pieces."""
    llama = model.llama
    tokens = llama.tokenize("a bat 🦇 蝙蝠".encode("utf-8"), add_bos=False, special=False)
    pieces = [llama.detokenize([t]) for t in tokens]
    assert any(_partial(piece) for piece in pieces)  # some token ends inside a character
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    assert "".join(decoder.decode(p) for p in pieces) + decoder.decode(b"", final=True) == "a bat 🦇 蝙蝠"
    cut = next(i for i, p in enumerate(pieces) if _partial(p))
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    text = "".join(decoder.decode(p) for p in pieces[: cut + 1]) + decoder.decode(b"", final=True)
    assert text.endswith("\ufffd") and "\ufffd" not in text[:-1]


def _partial(piece: bytes) -> bool:
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_kept_states_are_bounded_and_the_longest_prefix_wins():
    states = PromptStates(kept=2, max_bytes=10)
    states.put((1, 2, 3), b"abc")
    states.put((1, 2, 9), b"abd")
    assert states.longest([1, 2, 3, 4]) == ((1, 2, 3), 3)
    states.put((7,), b"x")  # three kept: the least recently used goes ((1, 2, 9): (1, 2, 3) was just used)
    assert len(states) == 2 and (1, 2, 9) not in states and (1, 2, 3) in states
    states.put((8,), b"0123456789")  # over the bytes: older ones go until it fits
    assert len(states) == 1 and states.bytes == 10
    assert states.longest([5]) == (None, 0)


def test_loading_a_file_llama_cpp_cannot_read_says_why(tmp_path):
    need_llama()
    from bat_os.errors import ModelUnavailable
    from gguf_support import write_gguf

    with pytest.raises(ModelUnavailable, match="llama.cpp could not load odd.gguf: .*unknown model architecture"):
        LlamaModel.load(write_gguf(tmp_path / "odd.gguf", "fakearch"))
    started = time.perf_counter()
    with pytest.raises(ModelUnavailable, match="could not load gone.gguf"):
        LlamaModel.load(tmp_path / "gone.gguf")
    assert time.perf_counter() - started < 5


def test_the_threads_follow_the_budget_token_by_token(smol):
    loaded = LlamaModel.load(smol, context=1024, threads=2)
    try:
        asked: list[int] = []

        def threads() -> int:  # 2 threads, then 1 from the 6th question on (a jailed run began)
            asked.append(1)
            return 2 if len(asked) <= 5 else 1

        pieces: list[str] = []
        text, count = loaded.generate(VOICES[0], PROMPT, settings={"max_new_tokens": 24, "min_new_tokens": 24},
                                      persona="ALFRED", emit=pieces.append, stop=threading.Event(), timeout=60,
                                      threads=threads)
        assert count == 24 and text
        assert len(asked) >= count  # asked before the prompt and after every token
        status = loaded.status()
        assert status["threads"] == 1 and status["thread_changes"] == 1  # set once, when the number changed
        again, _ = loaded.generate(VOICES[0], PROMPT, settings={"max_new_tokens": 24, "min_new_tokens": 24},
                                   persona="ALFRED", emit=pieces.append, stop=threading.Event(), timeout=60,
                                   threads=lambda: 2)
        assert loaded.status()["threads"] == 2 and loaded.status()["thread_changes"] == 2
    finally:
        loaded.close()
