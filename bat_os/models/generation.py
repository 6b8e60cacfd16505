"""One generation with a loaded transformers model, on the model manager's worker thread.

:func:`generate_text` builds the prompt (the tokenizer's chat template when it
has one), streams the new text to ``emit`` as it comes, stops at the stop
strings, when ``stop`` is set (the call was cancelled) or past ``timeout``
seconds (both raise :class:`~bat_os.errors.LLMError`), and returns the text
and its token count. torch and transformers are imported inside it.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any, Callable

from bat_os.errors import LLMError


def generate_text(
    model: Any, tokenizer: Any, system: str, prompt: str, *, settings: dict[str, Any] | None, persona: str,
    adapters_off: bool, emit: Callable[[str], None], stop: threading.Event, timeout: float, device: str,
) -> tuple[str, int]:
    """Generate with ``model`` (a PeftModel with ``adapters_off``: its adapters disabled) -> (text, tokens).

    ``settings``: the persona's generation settings (max_new_tokens, min_new_tokens, temperature, top_p, stop,
    seed: a sampled generation seeds torch's generator with it first, so that the same call samples the same text)."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList, TextStreamer

    settings = settings or {}
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    if getattr(tokenizer, "chat_template", None):
        inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    else:
        inputs = tokenizer((system + "\n\n" if system else "") + prompt, return_tensors="pt")
    inputs = {k: v.to(device) for k, v in inputs.items()}
    prompt_length = inputs["input_ids"].shape[-1]
    deadline = time.monotonic() + timeout
    expired = threading.Event()

    until_block = bool(settings.get("stop_after_block"))
    checked = [0]

    class Stop(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):  # noqa: ANN001, ANN003, ANN204
            if time.monotonic() > deadline:
                expired.set()
                return True
            if until_block:  # every 8 tokens: has a code block been closed? what follows is prose
                made = input_ids.shape[-1] - prompt_length
                if made - checked[0] >= 8:
                    checked[0] = made
                    if block_closed(tokenizer.decode(input_ids[0][prompt_length:], skip_special_tokens=True)):
                        return True
            return stop.is_set()

    class Stream(TextStreamer):
        def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
            emit(text)

    temperature = float(settings.get("temperature", 0.0) or 0.0)
    kwargs: dict[str, Any] = {
        "max_new_tokens": int(settings.get("max_new_tokens", 256)),
        "min_new_tokens": int(settings.get("min_new_tokens", 0)) or None,
        "stopping_criteria": StoppingCriteriaList([Stop()]),
        "streamer": Stream(tokenizer, skip_prompt=True, skip_special_tokens=True),
        "pad_token_id": tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
    }
    if temperature > 0:
        kwargs.update(do_sample=True, temperature=temperature, top_p=float(settings.get("top_p", 1.0)))
        if settings.get("seed") is not None:  # the manager's one worker thread generates: the global generator is ours
            torch.manual_seed(int(settings["seed"]))
    else:
        kwargs.update(do_sample=False)
    stops = [s for s in settings.get("stop", []) if isinstance(s, str) and s]
    if stops:
        kwargs.update(stop_strings=stops, tokenizer=tokenizer)
    with torch.inference_mode():
        if adapters_off and hasattr(model, "disable_adapter"):
            with model.disable_adapter():
                output = model.generate(**inputs, **kwargs)
        else:
            output = model.generate(**inputs, **kwargs)
    new = output[0][prompt_length:]
    text = tokenizer.decode(new, skip_special_tokens=True)
    if until_block:
        text = through_block(text)
    for s in stops:
        if s in text:
            text = text[: text.index(s)]
    if expired.is_set():
        raise LLMError(f"generation for {persona} passed its {timeout:g}s limit and was stopped ({len(new)} tokens)")
    if stop.is_set():
        raise LLMError(f"generation for {persona} was cancelled")
    return text, int(len(new))


_FENCE_LINE = re.compile(r"^[ \t]*```", re.MULTILINE)


def block_closed(text: str) -> bool:
    """A fenced code block has been written and closed (a fence line after a line of code)."""
    return through_block(text) != text or (text.count("```") >= 2 and text.rstrip().endswith("```"))


def through_block(text: str) -> str:
    """``text`` up to the end of its first closed code block (the fence that closes it included): a
    fence line that follows a line of code closes it, whether or not one opened it."""
    seen_code = False
    offset = 0
    for line in text.splitlines(keepends=True):
        if _FENCE_LINE.match(line):
            if seen_code:
                return text[:offset + len(line)]
        elif line.strip():
            seen_code = seen_code or bool(re.match(r"[ \t]*(def |assert |class |import |from |@)", line))
        offset += len(line)
    return text


__all__ = ["block_closed", "generate_text", "through_block"]
