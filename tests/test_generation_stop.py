"""Generation that ends with its code block (bat_os.models.generation: stop_after_block)."""

from __future__ import annotations

from bat_os.models.generation import block_closed, through_block


def test_the_text_ends_with_the_first_closed_code_block():
    reply = "```python\ndef f(self):\n    return 1\n```\n\n### Explanation\nThis function returns one."
    assert through_block(reply) == "```python\ndef f(self):\n    return 1\n```\n" and block_closed(reply)
    bare = "def f(self):\n    return 1\n```\nmore words"  # no opening fence: the closing one still ends it
    assert through_block(bare) == "def f(self):\n    return 1\n```\n"
    asserts = "Here:\n```python\nassert obj.f(1) == 2\n```\nassert obj.f(1) == 2\nassert obj.f(1) == 2"
    assert through_block(asserts) == "Here:\n```python\nassert obj.f(1) == 2\n```\n"


def test_an_open_block_or_prose_is_left_as_it_is():
    assert not block_closed("```python\ndef f(self):\n    ret")
    assert through_block("no code at all\n```\n") == "no code at all\n```\n"
    assert not block_closed("```json\n[\"a\"]\n")
