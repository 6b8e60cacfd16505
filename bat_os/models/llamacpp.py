"""A GGUF model run by llama.cpp (``llama-cpp-python``), on the model manager's worker thread.

:meth:`LlamaModel.load` opens a GGUF file where it lies (the image's
committed blob file: memory-mapped, never copied or converted) and
:meth:`LlamaModel.generate` answers one chat prompt the way the transformers
path (:func:`bat_os.models.generation.generate_text`) does: the GGUF file's
own chat template (no template: the plain text), the persona's settings
(``max_new_tokens``, ``min_new_tokens``, ``temperature``, ``top_p``,
``stop``, ``seed``, ``stop_after_block``), the new text streamed to ``emit``
as it comes, a stop when ``stop`` is set or past ``timeout`` seconds (both
:class:`~bat_os.errors.LLMError`), and the text and its token count back.

**The prompt is evaluated once for many candidates.** A cycle asks the same
prompt again and again (one candidate after another, sampled); llama.cpp
keeps the tokens it evaluated last and re-uses the longest common prefix
(``Llama.generate``). Beside that live state, :class:`PromptStates` keeps
the evaluated state of the last few prompts (llama.cpp's state, KV cache
included: about 12 KiB a token for the 0.5B model), so that prompts that
alternate (the persona's voice and the plain one, BRICK's cases and ALFRED's
method on one shared model) each cost their own new tokens only. Every call
counts what it evaluated (:attr:`LlamaModel.counts`: ``prompt_tokens``,
``prompt_evaluated``), which ``status`` shows and a test checks.

Bad input: a prompt longer than the context is an LLMError before anything
is evaluated, and the model stays usable; a reply whose bytes are not UTF-8
(a token that ends mid-character) is decoded with replacement characters.
llama.cpp's own log lines go to this module's logger (DEBUG) and the last
ones name why a file could not be loaded.

``llama_cpp`` is imported on first use, on the worker thread.
"""

from __future__ import annotations

import codecs
import collections
import ctypes
import logging
import os
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from bat_os.errors import LLMError, ModelUnavailable
from bat_os.models.generation import block_closed, through_block

logger = logging.getLogger(__name__)

DEFAULT_CONTEXT = 4096  # tokens of context (models.context)
STATES_KEPT = 4  # evaluated prompts kept beside the live one
STATES_BYTES = 512 * 2**20  # ... and the most memory they may take together
SAMPLE_TOP_K = 50  # sampling as transformers' generate samples by default (top-k 50, then top-p)
BLOCK_CHECK_EVERY = 8  # tokens between two looks for a closed code block (stop_after_block)

_log_tail: collections.deque[str] = collections.deque(maxlen=40)
_log_callback: Any = None  # the ctypes callback llama.cpp calls: kept alive here
_log_lock = threading.Lock()


def _install_log(llama_cpp: Any) -> None:
    """Route llama.cpp's log lines to this module's logger (once per process)."""
    global _log_callback
    with _log_lock:
        if _log_callback is not None:
            return

        @llama_cpp.llama_log_callback
        def callback(level: int, text: bytes, user_data: Any) -> None:  # noqa: ARG001
            line = text.decode("utf-8", "replace").rstrip()
            if line:
                _log_tail.append(line)
                logger.debug("llama.cpp: %s", line)

        _log_callback = callback
        llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


def _import() -> Any:
    try:
        import llama_cpp
    except (ImportError, OSError) as exc:  # not built here, or its native library does not load
        raise ModelUnavailable(f"llama.cpp is not available here ({type(exc).__name__}: {exc}); ./run.sh setup builds "
                               "it, or set [models] engine = \"transformers\"") from exc
    _install_log(llama_cpp)
    return llama_cpp


def _last_errors() -> str:
    lines = [line for line in _log_tail if "error" in line.lower() or "failed" in line.lower()]
    return "; ".join(lines[-3:])[:400]


class PromptStates:
    """The evaluated states of the last few prompts, keyed by their tokens (least recently used first)."""

    def __init__(self, kept: int = STATES_KEPT, max_bytes: int = STATES_BYTES) -> None:
        self.kept = kept
        self.max_bytes = max_bytes
        self._states: collections.OrderedDict[tuple[int, ...], bytes] = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self._states)

    @property
    def bytes(self) -> int:
        return sum(len(data) for data in self._states.values())

    def __contains__(self, tokens: tuple[int, ...]) -> bool:
        return tokens in self._states

    def longest(self, tokens: list[int]) -> tuple[tuple[int, ...] | None, int]:
        """The kept prompt sharing the longest prefix with ``tokens``, and that prefix's length."""
        best, length = None, 0
        for key in self._states:
            n = common_prefix(key, tokens)
            if n > length:
                best, length = key, n
        if best is not None:
            self._states.move_to_end(best)
        return best, length

    def get(self, key: tuple[int, ...]) -> bytes:
        return self._states[key]

    def put(self, key: tuple[int, ...], data: bytes) -> None:
        self._states[key] = data
        self._states.move_to_end(key)
        while self._states and (len(self._states) > self.kept or self.bytes > self.max_bytes):
            self._states.popitem(last=False)

    def clear(self) -> None:
        self._states.clear()


def common_prefix(a: Any, b: Any) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


@dataclass
class Counts:
    calls: int = 0
    prompt_tokens: int = 0  # tokens of the prompts asked
    prompt_evaluated: int = 0  # of them, evaluated (the rest came from the live or a kept state)
    generated: int = 0
    states_restored: int = 0
    thread_changes: int = 0  # times a generation's threads were set to another number (bat_os.models.cores)


class LlamaModel:
    """One GGUF model loaded by llama.cpp. Used from one thread at a time (the manager's worker)."""

    engine = "llama.cpp"

    def __init__(self, llama: Any, llama_cpp: Any, path: Path, bytes_: int, seconds: float) -> None:
        self.llama = llama
        self._lib = llama_cpp
        self.path = path
        self.bytes = bytes_  # the file (memory-mapped) and the KV cache of the whole context
        self.load_seconds = seconds
        self.counts = Counts()
        self.states = PromptStates()
        self._evaluated: list[int] = []  # tokens of each evaluation since the call began
        self._threads = int(getattr(llama, "n_threads", 0) or 0)  # what llama.cpp decodes with now
        evaluate = llama.eval

        def counted(tokens: Any) -> None:
            self._evaluated.append(len(tokens))
            evaluate(tokens)

        llama.eval = counted  # generate() evaluates through self.eval: the prompt first, then one token at a time
        template = llama.metadata.get("tokenizer.chat_template")
        self._chat = None
        if template:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            model = llama._model
            eos, bos = llama.token_eos(), llama.token_bos()
            self._chat = Jinja2ChatFormatter(template, model.token_get_text(eos) if eos != -1 else "",
                                             model.token_get_text(bos) if bos != -1 else "")

    # --- loading ------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike, *, context: int = DEFAULT_CONTEXT, threads: int = 0,
             lora: str | os.PathLike | None = None) -> "LlamaModel":
        """Open ``path`` (memory-mapped) with a context of ``context`` tokens, with the GGUF LoRA adapter ``lora``
        applied where given; ModelUnavailable says why it cannot be."""
        llama_cpp = _import()
        path = Path(path)
        threads = threads or os.cpu_count() or 1
        started = time.perf_counter()
        _log_tail.clear()
        try:
            llama = llama_cpp.Llama(str(path), n_ctx=context, n_threads=threads, n_threads_batch=threads,
                                    use_mmap=True, verbose=False, lora_path=str(lora) if lora else None)
        except (ValueError, RuntimeError, OSError) as exc:
            why = _last_errors() or str(exc)
            raise ModelUnavailable(f"llama.cpp could not load {path.name}: {why}") from exc
        size = path.stat().st_size + (Path(lora).stat().st_size if lora else 0)
        return cls(llama, llama_cpp, path, size + _kv_bytes(llama, llama_cpp), time.perf_counter() - started)

    def close(self) -> None:
        self.states.clear()
        llama, self.llama = self.llama, None
        if llama is not None:
            llama.close()

    # --- generating ---------------------------------------------------------------------------
    def prompt_tokens(self, system: str, prompt: str) -> list[int]:
        """The chat prompt as tokens: the file's chat template with the persona's system text, or the plain text."""
        if self._chat is not None:
            messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
            text = self._chat(messages=messages).prompt
            return self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        return self.llama.tokenize(((system + "\n\n" if system else "") + prompt).encode("utf-8"), add_bos=True, special=False)

    def generate(
        self, system: str, prompt: str, *, settings: dict[str, Any] | None, persona: str, emit: Callable[[str], None],
        stop: threading.Event, timeout: float, threads: Callable[[], int] | None = None,
    ) -> tuple[str, int]:
        """One reply -> (text, tokens generated). See the module docstring. ``threads``: asked before the prompt and
        every token, how many threads llama.cpp may use for the next step (:mod:`bat_os.models.cores`)."""
        settings = settings or {}
        llama = self.llama
        self._use_threads(threads)
        tokens = self.prompt_tokens(system, prompt)
        room = llama.n_ctx() - len(tokens)
        if room < 1:
            raise LLMError(f"the prompt for {persona} is {len(tokens)} tokens, more than the model's context of "
                           f"{llama.n_ctx()} (models.context); nothing was generated")
        most = min(int(settings.get("max_new_tokens", 256)), room)
        least = min(int(settings.get("min_new_tokens", 0) or 0), most)
        temperature = float(settings.get("temperature", 0.0) or 0.0)
        if temperature > 0:
            seed = settings.get("seed")
            llama.set_seed(int(seed) & 0xFFFFFFFF if seed is not None else random.getrandbits(32))
        stops = [s for s in settings.get("stop", []) if isinstance(s, str) and s]
        until_block = bool(settings.get("stop_after_block"))
        self._evaluated.clear()
        self._restore_longest(tokens)
        self._evaluate_all_but_last(tokens)
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        deadline = time.monotonic() + timeout
        text, count, expired = "", 0, False
        vocab = llama._model.vocab
        steps = llama.generate(tokens, top_k=SAMPLE_TOP_K, top_p=float(settings.get("top_p", 1.0)), min_p=0.0,
                               temp=temperature, repeat_penalty=1.0, reset=True)
        try:
            for token in steps:
                if count == 0:
                    self._prompt_done(tokens)
                count += 1
                if self._lib.llama_vocab_is_eog(vocab, token):
                    if count > least:
                        count -= 1  # the end-of-text token is not part of the reply
                        break
                    continue  # min_new_tokens: past the end-of-text token (the benchmarks' fixed lengths)
                piece = decoder.decode(llama.detokenize([token]))
                if piece:
                    text += piece
                    emit(piece)
                if count >= most or any(s in text for s in stops):
                    break
                if until_block and count % BLOCK_CHECK_EVERY == 0 and block_closed(text):
                    break
                if stop.is_set():
                    break
                if time.monotonic() > deadline:
                    expired = True
                    break
                self._use_threads(threads)
        except (RuntimeError, ValueError) as exc:  # a failed decode: the context is full, or llama.cpp refused
            raise LLMError(f"generation for {persona} failed in llama.cpp: {exc}") from exc
        finally:
            steps.close()
        tail = decoder.decode(b"", final=True)
        if tail:
            text += tail
            emit(tail)
        self.counts.generated += count
        if until_block:
            text = through_block(text)
        for s in stops:
            if s in text:
                text = text[: text.index(s)]
        if expired:
            raise LLMError(f"generation for {persona} passed its {timeout:g}s limit and was stopped ({count} tokens)")
        if stop.is_set():
            raise LLMError(f"generation for {persona} was cancelled")
        return text, count

    def _use_threads(self, threads: Callable[[], int] | None) -> None:
        """Set llama.cpp's threads for the next decode when ``threads()`` says another number than the last."""
        if threads is None:
            return
        n = threads()
        if n != self._threads:
            self._lib.llama_set_n_threads(self.llama.ctx, n, n)
            self._threads = n
            self.counts.thread_changes += 1

    # --- the prompt's state -------------------------------------------------------------------
    def _restore_longest(self, tokens: list[int]) -> None:
        """Load the kept state that shares more of ``tokens`` than the live one does, if any."""
        llama = self.llama
        live = common_prefix(llama.input_ids[: llama.n_tokens], tokens)
        key, kept = self.states.longest(tokens)
        if key is None or kept <= live:
            return
        data = self.states.get(key)
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if self._lib.llama_state_set_data(llama.ctx, buffer, len(data)) != len(data):
            logger.warning("a kept prompt state did not load; evaluating the prompt again")
            llama.reset()
            return
        llama.input_ids[: len(key)] = key
        llama.n_tokens = len(key)
        llama._requires_eval = True  # the logits are the state's, not a live decode's
        self.counts.states_restored += 1

    def _evaluate_all_but_last(self, tokens: list[int]) -> None:
        """Evaluate the prompt up to its last token, which generate() then evaluates alone: the logits the first
        token is drawn from come from a one-token step whatever was kept, so that a sampled reply does not depend
        on how much of its prompt was evaluated before (a batch and a single step round differently)."""
        llama = self.llama
        live = common_prefix(llama.input_ids[: llama.n_tokens], tokens)
        if live < len(tokens) - 1:
            llama.n_tokens = live  # eval() drops the KV cache past this point first
            llama.eval(tokens[live:-1])

    def _prompt_done(self, tokens: list[int]) -> None:
        """The prompt has been evaluated (the first token is sampled): count it, and keep its state."""
        self.counts.calls += 1
        self.counts.prompt_tokens += len(tokens)
        self.counts.prompt_evaluated += sum(self._evaluated)
        key = tuple(tokens)
        if key in self.states:
            return
        llama = self.llama
        size = self._lib.llama_state_get_size(llama.ctx)
        buffer = (ctypes.c_uint8 * size)()
        written = self._lib.llama_state_get_data(llama.ctx, buffer, size)
        if 0 < written <= size:
            self.states.put(key, ctypes.string_at(buffer, written))

    def status(self) -> dict[str, Any]:
        c = self.counts
        return {"context": self.llama.n_ctx() if self.llama is not None else None, "calls": c.calls,
                "prompt_tokens": c.prompt_tokens, "prompt_evaluated": c.prompt_evaluated, "generated": c.generated,
                "states_kept": len(self.states), "states_restored": c.states_restored, "threads": self._threads,
                "thread_changes": c.thread_changes}


def _kv_bytes(llama: Any, llama_cpp: Any) -> int:
    """The KV cache of the whole context in f16: layers x context x 2 (K and V) x heads_kv x head size x 2 bytes."""
    model = llama._model.model
    try:
        layers, heads, heads_kv = (llama_cpp.llama_model_n_layer(model), llama_cpp.llama_model_n_head(model),
                                   llama_cpp.llama_model_n_head_kv(model))
        head_size = llama_cpp.llama_model_n_embd(model) // max(heads, 1)
        return int(layers * llama.n_ctx() * 2 * heads_kv * head_size * 2)
    except (AttributeError, ValueError, ZeroDivisionError):
        return 0


__all__ = ["DEFAULT_CONTEXT", "Counts", "LlamaModel", "PromptStates", "common_prefix"]
