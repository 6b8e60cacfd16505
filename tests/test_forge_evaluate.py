"""The gate's questions asked of real tiny models (:mod:`bat_os.forge.evaluate`): the tokenizer pads the prompts on
the left, and the answers are the ones the same batch padded by hand gives, with a pad token or (eos for one)
without. (The gate end to end, through a kernel: tests/test_forge_gate.py.)"""

from __future__ import annotations

import json
import shutil

import pytest

from bat_os.forge.evaluate import answers
from bat_os.forge.trainer import chat_head
from bat_os.models.tiny import make_tiny

PROMPTS = [{"id": f"q{n}", "system": "You are ALFRED.", "prompt": prompt} for n, prompt in enumerate((
    "Write a Python method named initials that takes a full name and returns the first letter of each word.",
    "Hi.",
    "Write a Python method named double.",
))]
NEW_TOKENS = 12


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny(tmp_path_factory.mktemp("tiny"), names=["tiny-llama", "tiny-qwen2"])


def by_hand(base, prompts, pad_from_eos=False):
    """``{id: answer}`` as the gate made them before the tokenizer padded: one batch, shortest prompt first, each
    prompt's ids behind pad ids and a mask of zeros made here."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    pad = tokenizer.eos_token_id if pad_from_eos else tokenizer.pad_token_id
    model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, dtype=torch.float32).eval()
    heads = [tokenizer(chat_head(tokenizer, p["system"], p["prompt"]), add_special_tokens=False)["input_ids"]
             for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: len(heads[i]))
    width = max(map(len, heads))
    ids = torch.tensor([[pad] * (width - len(heads[i])) + heads[i] for i in order])
    mask = torch.tensor([[0] * (width - len(heads[i])) + [1] * len(heads[i]) for i in order])
    assert len({len(h) for h in heads}) == len(heads)  # every prompt of its own length: all but one are padded
    with torch.no_grad():
        generated = model.generate(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=NEW_TOKENS,
                                   pad_token_id=pad)
    return {prompts[i]["id"]: tokenizer.decode(generated[row][width:], skip_special_tokens=True)
            for row, i in enumerate(order)}


@pytest.mark.parametrize("name", ["tiny-llama", "tiny-qwen2"])
def test_the_tokenizers_left_padding_gives_the_answers_hand_made_padding_gave(tiny, name):
    heard = []
    got = answers(tiny[name], PROMPTS, max_new_tokens=NEW_TOKENS, say=heard.append, batch=len(PROMPTS))
    assert [a["id"] for a in got] == [p["id"] for p in PROMPTS]  # in the prompts' order, though asked by length
    assert {a["id"]: a["text"] for a in got} == by_hand(tiny[name], PROMPTS)
    assert all(a["text"] for a in got)  # something was generated: the comparison is not of empty texts
    assert sorted(line["id"] for line in heard) == sorted(p["id"] for p in PROMPTS)


def test_a_tokenizer_without_a_pad_token_pads_with_its_eos(tiny, tmp_path):
    base = tmp_path / "no-pad"
    shutil.copytree(tiny["tiny-llama"], base)
    config = json.loads((base / "tokenizer_config.json").read_text())
    del config["pad_token"]
    (base / "tokenizer_config.json").write_text(json.dumps(config))
    from transformers import AutoTokenizer

    assert AutoTokenizer.from_pretrained(base, local_files_only=True).pad_token is None
    got = answers(base, PROMPTS, max_new_tokens=NEW_TOKENS, batch=len(PROMPTS))
    assert {a["id"]: a["text"] for a in got} == by_hand(base, PROMPTS, pad_from_eos=True)
    assert answers(base, [], max_new_tokens=NEW_TOKENS) == []  # no prompts: nothing asked
