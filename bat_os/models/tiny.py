"""Tiny random-weight chat models, built locally, for tests, benchmarks and smoke runs.

Nothing is downloaded. Each model gets a byte-level BPE tokenizer trained on
the spot from :func:`tokenizer_corpus`, its own chat template and special
tokens, and random weights from ``torch.manual_seed(seed)``. Their output is
noise: they exist to exercise the loading, swapping, adapter and streaming
paths with real ``transformers`` and ``peft`` objects::

    paths = make_tiny(Path("models"))           # {"tiny-llama": ..., "tiny-qwen2": ...}
    adapter = make_tiny_adapter(paths["tiny-llama"], Path("adapters/a"), seed=1)

Layout of one model directory (loads with ``AutoModelForCausalLM`` and
``AutoTokenizer``, ``local_files_only=True``)::

    config.json  generation_config.json  model.safetensors (float32)
    tokenizer.json  tokenizer_config.json  chat_template.jinja
    batos_tiny.json      written last: name, seed, architecture, parameters

The two models differ in architecture, size and chat style:

==============  ==================  ===================  =====  ===================================
name            class               size                 vocab  chat format (eos ends a turn)
==============  ==================  ===================  =====  ===================================
``tiny-llama``  LlamaForCausalLM    hidden 64, 2 layers  1024   ``<|user|>\n...<|end|>``
``tiny-qwen2``  Qwen2ForCausalLM    hidden 96, 3 layers  1280   ChatML ``<|im_start|>user\n...<|im_end|>``
==============  ==================  ===================  =====  ===================================

(The vocab is what the corpus allows, up to those sizes. ``AutoTokenizer``
gives a ``TokenizersBackend`` for tiny-llama and a ``Qwen2Tokenizer`` for
tiny-qwen2; both encode exactly as the saved ``tokenizer.json``.)

Each directory is built in a temporary sibling and renamed into place after
its marker is written, so a killed run may leave a hidden ``.<name>.*.tmp``
directory but never one that looks complete. A directory whose marker is
missing, unreadable or names another seed is rebuilt; a complete one is left
alone.

Stdlib only at import time: torch, transformers, tokenizers and peft are
imported inside the functions, so importing this module costs nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

logger = logging.getLogger(__name__)

TINY_MODELS: tuple[str, ...] = ("tiny-llama", "tiny-qwen2")

MARKER = "batos_tiny.json"
FORMAT_VERSION = 1  # bump when the layout or recipe changes, so old builds are rebuilt

# Files a complete model directory holds besides the marker.
MODEL_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "chat_template.jinja",
)

CODEX_PATH = Path(__file__).resolve().parents[2] / "persona_codex.jsonl"

# Qwen2Tokenizer's split pattern (transformers 5, models/qwen2/tokenization_qwen2.py).
_QWEN2_SPLIT = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

# Zephyr/Phi-3 style: one special token per role, <|end|> closes a turn.
_ROLE_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] not in ['system', 'user', 'assistant'] %}"
    "{{ raise_exception('tiny-llama knows the roles system, user and assistant') }}"
    "{% endif %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}<|end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

# ChatML, as Qwen2 uses it: <|im_start|>role\ncontent<|im_end|>
_CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] not in ['system', 'user', 'assistant'] %}"
    "{{ raise_exception('tiny-qwen2 knows the roles system, user and assistant') }}"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@dataclass(frozen=True)
class _Recipe:
    """How to build one tiny model."""

    architecture: str  # transformers class name
    config_class: str  # transformers config class name
    config: dict[str, Any]  # config keywords besides vocab size and token ids
    vocab_size: int  # BPE training target; the real size is what the corpus allows
    bos: str
    eos: str  # the tokenizer's eos: what ends an assistant turn
    pad: str
    unk: str
    chat_tokens: tuple[str, ...]  # extra special tokens used by the template
    chat_template: str
    stop_tokens: tuple[str, ...]  # generation stops on eos or these
    qwen2_pretokenizer: bool  # Qwen2's digit-splitting regex and NFC instead of GPT-2's byte-level regex


_RECIPES: dict[str, _Recipe] = {
    "tiny-llama": _Recipe(
        architecture="LlamaForCausalLM",
        config_class="LlamaConfig",
        config=dict(
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=4,
            max_position_embeddings=512,
            tie_word_embeddings=False,
        ),
        vocab_size=1024,
        bos="<s>",
        eos="<|end|>",
        pad="<pad>",
        unk="<unk>",
        chat_tokens=("</s>", "<|system|>", "<|user|>", "<|assistant|>"),
        chat_template=_ROLE_TEMPLATE,
        stop_tokens=("</s>",),
        qwen2_pretokenizer=False,
    ),
    "tiny-qwen2": _Recipe(
        architecture="Qwen2ForCausalLM",
        config_class="Qwen2Config",
        config=dict(
            hidden_size=96,
            intermediate_size=192,
            num_hidden_layers=3,
            num_attention_heads=6,
            num_key_value_heads=2,
            max_position_embeddings=512,
            tie_word_embeddings=True,
        ),
        vocab_size=1280,
        bos="<|startoftext|>",
        eos="<|im_end|>",
        pad="<|endoftext|>",
        unk="<unk>",
        chat_tokens=("<|im_start|>",),
        chat_template=_CHATML_TEMPLATE,
        stop_tokens=("<|endoftext|>",),
        qwen2_pretokenizer=True,
    ),
}

_BUILTIN_PARAGRAPHS = (
    "BAT OS is a persistent agent runtime. Its living image is a database of objects that keep their "
    "slots and methods across restarts, and every change is committed before the kernel answers.",
    "The kernel listens on a socket, takes one message at a time, and always replies: ok with a result, "
    "or error with a code and a message. Progress events may come first while a model is thinking.",
    "A method is one small function whose first parameter is self. It reads and writes slots through its "
    "receiver, returns plain data such as numbers, strings, lists and maps, and imports nothing.",
    "The guardian reads generated code before it runs. It refuses imports, file access, the network and "
    "names that begin with an underscore, and it runs what it accepts in a separate process with limits.",
    "ALFRED is the steward and auditor. BRICK is the builder who writes code. ROBIN is gentle and "
    "reflective. BABS is the scout who gathers facts. Each persona has a voice and a codex of examples.",
    "When a message names a selector that no object understands, the system asks a model to write the "
    "missing method, checks it, installs it in the image and then tries the message again.",
    "Models are swapped in and out of memory as personas take turns. A low-rank adapter changes a few "
    "matrices of the base model, so switching from one persona to another takes a few milliseconds.",
    "Tokens stream back to the client as they are generated. The client prints them as they arrive and "
    "shows the final reply, the model that produced it and how many seconds it took.",
    "def greet(self, name):\n    count = self.greetings + 1\n    self.greetings = count\n"
    "    return 'Hello, ' + name + '! (' + str(count) + ')'",
    "for i in range(10):\n    total = total + i * 2\nif total > 42:\n    result = [total, 'big']\n"
    "else:\n    result = {'total': total, 'size': 'small'}",
    "Numbers and dates appear in logs: 2024-05-17 12:30:45, 0.25 seconds, 99.9 percent, 1,000 objects, "
    "port 5555, version 3.11.7, 404 not found, 500 internal error, 16 cores, 128 GiB.",
    "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs. "
    "How vexingly quick daft zebras jump! Sphinx of black quartz, judge my vow.",
    "A watchdog starts the kernel, checks its health every few seconds and restarts it with a growing "
    "delay when it fails. After too many failures in a short window it stops and reports the problem.",
    "Questions and answers: What is the time? It is noon. Who are you? I am a small test model. "
    "Can you help me? Yes, I can try. Thank you very much. You are welcome; have a good day.",
    "The catalog indexes every object by its name, its slots and the text of its methods, so a search "
    "for a word returns the objects that mention it, ranked by how well they match.",
)


def tokenizer_corpus() -> list[str]:
    """The local text the tokenizer is trained on: the persona codex, when present, plus built-in paragraphs.

    ``persona_codex.jsonl`` lives next to the package; each of its lines adds its
    prompt and response. A missing file or a bad line is skipped (logged), so the
    corpus is never empty.
    """
    texts: list[str] = []
    try:
        lines = CODEX_PATH.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        logger.info("tokenizer corpus: no codex at %s (%s); built-in text only", CODEX_PATH, exc)
        lines = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            logger.warning("tokenizer corpus: %s line %d is not JSON; skipped", CODEX_PATH, number)
            continue
        if isinstance(entry, dict):
            texts.extend(str(entry[key]) for key in ("prompt", "response") if entry.get(key))
    texts.extend(_BUILTIN_PARAGRAPHS)
    return texts


def make_tiny(
    out: Path,
    *,
    names: Iterable[str] = TINY_MODELS,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Build each named model into ``out/<name>/`` and return ``{name: path}``.

    ``out`` is created. A complete directory built with the same seed is kept
    as it is; an incomplete one (no marker, or another seed) is rebuilt.
    Unknown names raise ``ValueError`` before anything is built.
    """
    names = list(names)
    unknown = [name for name in names if name not in _RECIPES]
    if unknown:
        raise ValueError("unknown tiny model(s) %s; known: %s" % (unknown, ", ".join(TINY_MODELS)))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda message: None)
    paths: dict[str, Path] = {}
    for name in names:
        target = out / name
        paths[name] = target
        if _is_complete(target, name, seed):
            logger.debug("tiny model %s already complete at %s", name, target)
            say("%s: already built at %s" % (name, target))
            continue
        started = time.perf_counter()
        say("%s: building" % name)
        info = _build_into(target, name, seed)
        seconds = time.perf_counter() - started
        logger.info("built tiny model %s (%d parameters) at %s in %.2fs", name, info["parameters"], target, seconds)
        say("%s: %d parameters, vocab %d, %.2fs" % (name, info["parameters"], info["vocab_size"], seconds))
    return paths


def make_tiny_adapter(
    base: Path,
    out: Path,
    *,
    seed: int,
    rank: int = 4,
    target_modules: Sequence[str] = ("q_proj", "v_proj"),
) -> Path:
    """A PEFT LoRA adapter directory for the model in ``base``; returns ``out``.

    The directory holds ``adapter_config.json`` and ``adapter_model.safetensors``.
    Every ``lora_B`` is filled with normal noise (std 0.5) from a generator seeded
    by ``seed`` (a fresh LoRA has ``lora_B = 0`` and changes nothing), so adapters
    with different seeds give different outputs. ``base_model_name_or_path`` is
    ``str(base)``. The adapter only needs the base's architecture, so the base
    weights are not read. An existing adapter at ``out`` is replaced; any other
    non-empty ``out`` raises ``FileExistsError``.
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM

    base, out = Path(base), Path(out)
    if out.exists() and any(out.iterdir()) and not (out / "adapter_config.json").is_file():
        raise FileExistsError("%s exists and is not an adapter directory" % out)
    config = AutoConfig.from_pretrained(base, local_files_only=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # lora_A's init uses the global generator
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        lora = LoraConfig(task_type="CAUSAL_LM", r=rank, lora_alpha=2 * rank, target_modules=list(target_modules))
        with warnings.catch_warnings():
            # peft 0.21 reads model.is_gradient_checkpointing, which transformers 5 deprecates.
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            peft_model = get_peft_model(model, lora)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in sorted(peft_model.named_parameters()):
            if "lora_B" in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.5)
    peft_model.peft_config["default"].base_model_name_or_path = str(base)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging_dir(out)
    try:
        peft_model.save_pretrained(staging)
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("made LoRA adapter %s for %s (seed %d, rank %d)", out, base, seed, rank)
    return out


def _is_complete(target: Path, name: str, seed: int) -> bool:
    """True when ``target`` holds a finished build of ``name`` with ``seed``."""
    try:
        marker = json.loads((target / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("name") == name
        and marker.get("seed") == seed
        and marker.get("format") == FORMAT_VERSION
        and all((target / filename).is_file() for filename in MODEL_FILES)
    )


def _build_into(target: Path, name: str, seed: int) -> dict[str, Any]:
    """Build ``name`` in a temporary sibling of ``target``, then rename it into place."""
    staging = _staging_dir(target)
    try:
        info = _build(staging, name, seed)
        # The marker goes last: its presence means everything before it was written.
        (staging / MARKER).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        if not _is_complete(target, name, seed):  # else another builder finished first: keep theirs
            if target.exists():
                shutil.rmtree(target)  # incomplete leftovers, or another seed
            try:
                os.replace(staging, target)
            except OSError:
                if not _is_complete(target, name, seed):
                    raise
        if staging.exists():
            logger.info("tiny model %s was finished by another builder; keeping theirs", name)
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return info


def _staging_dir(target: Path) -> Path:
    """A fresh hidden sibling of ``target`` to build in (readable like a normal directory)."""
    staging = Path(tempfile.mkdtemp(prefix=".%s." % target.name, suffix=".tmp", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it 0700; the renamed result should not be private
    return staging


def _build(directory: Path, name: str, seed: int) -> dict[str, Any]:
    """Write model, tokenizer and generation config for ``name`` into ``directory``."""
    import torch
    import transformers
    from transformers import GenerationConfig

    recipe = _RECIPES[name]
    tokenizer = _train_tokenizer(recipe)
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in (recipe.bos, recipe.eos, recipe.pad)}
    stop_ids = [ids[recipe.eos]] + [tokenizer.convert_tokens_to_ids(token) for token in recipe.stop_tokens]
    config = getattr(transformers, recipe.config_class)(
        vocab_size=len(tokenizer),
        bos_token_id=ids[recipe.bos],
        eos_token_id=ids[recipe.eos],
        pad_token_id=ids[recipe.pad],
        dtype="float32",
        **recipe.config,
    )
    with torch.random.fork_rng(devices=[]):  # deterministic, and the caller's generator is untouched
        torch.manual_seed(seed)
        model = getattr(transformers, recipe.architecture)(config).to(torch.float32)
    model.generation_config = GenerationConfig(
        bos_token_id=ids[recipe.bos],
        eos_token_id=stop_ids,
        pad_token_id=ids[recipe.pad],
        do_sample=False,
    )
    with _no_progress_bars():
        model.save_pretrained(directory)
        tokenizer.save_pretrained(directory)
    return {
        "name": name,
        "seed": seed,
        "format": FORMAT_VERSION,
        "architecture": recipe.architecture,
        "model_type": config.model_type,
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocab_size": len(tokenizer),
        "hidden_size": config.hidden_size,
        "num_hidden_layers": config.num_hidden_layers,
    }


@contextlib.contextmanager
def _no_progress_bars() -> Iterator[None]:
    """Silence transformers' tqdm bars ("Writing model shards") for a moment, then restore both switches.

    transformers' switch also flips huggingface_hub's, and the hub warns when
    ``HF_HUB_DISABLE_PROGRESS_BARS`` is set and overrides the call; that warning
    says nothing we need, so it is ignored here.
    """
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars
    from transformers.utils import logging as hf_logging

    transformers_on = hf_logging.is_progress_bar_enabled()
    hub_off = are_progress_bars_disabled()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Cannot (en|dis)able progress bars", category=UserWarning)
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Cannot (en|dis)able progress bars", category=UserWarning)
            if transformers_on:
                hf_logging.enable_progress_bar()
            if hub_off:
                disable_progress_bars()
            else:
                enable_progress_bars()


def _train_tokenizer(recipe: _Recipe) -> Any:
    """A byte-level BPE trained on :func:`tokenizer_corpus`, wrapped for transformers.

    transformers 5 loads a ``qwen2`` model's tokenizer as ``Qwen2Tokenizer``,
    which rebuilds the pipeline from the saved vocabulary and merges with its
    own regex and NFC normaliser; training with that same pipeline keeps what
    we save and what ``AutoTokenizer`` gives back identical.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = [recipe.unk, recipe.bos, recipe.eos, recipe.pad, *recipe.chat_tokens]
    core = Tokenizer(models.BPE(unk_token=recipe.unk))
    if recipe.qwen2_pretokenizer:
        core.normalizer = normalizers.NFC()
        core.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(_QWEN2_SPLIT), behavior="isolated", invert=False),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    else:
        core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        core.post_processor = processors.ByteLevel(trim_offsets=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=recipe.vocab_size,
        min_frequency=1,  # the corpus is small: let rare pairs merge too
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(tokenizer_corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token=recipe.bos,
        eos_token=recipe.eos,
        pad_token=recipe.pad,
        unk_token=recipe.unk,
        extra_special_tokens=list(recipe.chat_tokens),
        model_max_length=recipe.config["max_position_embeddings"],
        clean_up_tokenization_spaces=False,
    )
    tokenizer.chat_template = recipe.chat_template
    return tokenizer
