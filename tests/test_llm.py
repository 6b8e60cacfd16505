"""The LLM layer: cassette replay, recording, backend choice, and reply parsing."""

import asyncio
import hashlib
import json
import subprocess
import sys

import pytest

from bat_os.config import LLMConfig
from bat_os.errors import LLMError, NoModel
from bat_os.models.backends import (
    LLM,
    AuditedBackend,
    Completion,
    RecordingBackend,
    ReplayBackend,
    TransformersBackend,
    make_backend,
)


class RecordingSleep:
    """The injected sleep: remembers each delay, yields to the loop once, never waits."""

    def __init__(self):
        self.delays = []

    async def __call__(self, seconds):
        self.delays.append(seconds)
        await asyncio.sleep(0)


def write_cassette(path, *entries):
    path.write_text("".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in entries), encoding="utf-8")
    return path


def replay(path, **kwargs):
    kwargs.setdefault("sleep", RecordingSleep())
    return ReplayBackend(path, **kwargs)


def run(coro):
    return asyncio.run(coro)


# ---------------------------------------------------------------- matching


def test_first_unused_matching_line_in_file_order(tmp_path):
    llm = replay(write_cassette(tmp_path / "c.jsonl", {"response": "one"}, {"response": "two"}, {"response": "three"}))

    async def main():
        return [(await llm.complete("BRICK", "anything")).text for _ in range(3)]

    assert run(main()) == ["one", "two", "three"]
    assert llm.used_count == 3 and llm.remaining == 0


def test_persona_is_compared_case_insensitively(tmp_path):
    llm = replay(
        write_cassette(tmp_path / "c.jsonl", {"persona": "ROBIN", "response": "robin"}, {"persona": "brick", "response": "brick"})
    )
    assert run(llm.complete("Brick", "hi")).text == "brick"
    assert run(llm.complete("robin", "hi")).text == "robin"


def test_contains_must_be_in_the_prompt_not_the_system_text(tmp_path):
    llm = replay(
        write_cassette(
            tmp_path / "c.jsonl",
            {"contains": "def greet", "response": "greet code"},
            {"contains": "def farewell", "response": "farewell code"},
        )
    )
    assert run(llm.complete("BRICK", "please write def farewell(self)")).text == "farewell code"
    with pytest.raises(LLMError):
        run(llm.complete("BRICK", "unrelated", system="the codex mentions def greet"))
    assert run(llm.complete("BRICK", "now def greet")).text == "greet code"


def test_a_line_without_persona_matches_any_persona(tmp_path):
    llm = replay(write_cassette(tmp_path / "c.jsonl", {"persona": "ALFRED", "response": "alfred"}, {"response": "anyone"}))
    assert run(llm.complete("BABS", "hi")).text == "anyone"
    assert run(llm.complete("ALFRED", "hi")).text == "alfred"


def test_used_lines_are_not_reused(tmp_path):
    llm = replay(write_cassette(tmp_path / "c.jsonl", {"persona": "BRICK", "response": "only once"}))
    assert run(llm.complete("BRICK", "x")).text == "only once"
    with pytest.raises(LLMError, match="0 of 1 lines unused"):
        run(llm.complete("BRICK", "x"))


def test_no_match_names_persona_prompt_and_unused_count(tmp_path):
    llm = replay(write_cassette(tmp_path / "c.jsonl", {"persona": "ROBIN", "response": "r"}, {"contains": "zzz", "response": "z"}))
    with pytest.raises(LLMError) as info:
        run(llm.complete("BRICK", "Write the method\n  frobnicate for me"))
    message = str(info.value)
    assert "'BRICK'" in message
    assert "Write the method frobnicate for me" in message
    assert "2 of 2 lines unused" in message and "c.jsonl" in message
    assert llm.used_count == 0


def test_long_prompts_are_shortened_in_the_error(tmp_path):
    llm = replay(write_cassette(tmp_path / "c.jsonl", {"contains": "never", "response": "r"}))
    with pytest.raises(LLMError) as info:
        run(llm.complete("BRICK", "START " + "x" * 5000 + " END"))
    assert len(str(info.value)) < 400
    assert "START" in str(info.value) and "END" in str(info.value)


# ---------------------------------------------------------------- the completion


def test_delay_goes_to_the_injected_sleep_and_clock_gives_seconds(tmp_path):
    sleep = RecordingSleep()
    ticks = iter([10.0, 12.5, 20.0, 20.25])
    llm = ReplayBackend(
        write_cassette(tmp_path / "c.jsonl", {"response": "slow", "delay_s": 2.5}, {"response": "fast"}),
        sleep=sleep,
        clock=lambda: next(ticks),
    )
    first = run(llm.complete("BRICK", "a"))
    second = run(llm.complete("BRICK", "b"))
    assert sleep.delays == [2.5, 0.0]
    assert first.seconds == 2.5 and second.seconds == 0.25


def test_completion_fields(tmp_path):
    llm = replay(write_cassette(tmp_path / "demo.jsonl", {"response": "hello"}))
    completion = run(llm.complete("BRICK", "the prompt", system="the system"))
    assert isinstance(completion, Completion)
    assert completion.text == "hello"
    assert completion.model == "replay:demo.jsonl" == llm.name
    assert completion.prompt_sha256 == hashlib.sha256(b"the system\n\nthe prompt").hexdigest()
    assert isinstance(llm, LLM)


def test_on_token_chunks_join_to_the_response(tmp_path):
    response = "  def greet(self):\n    return 'hi there'\n\n"
    llm = replay(write_cassette(tmp_path / "c.jsonl", {"response": response}, {"response": ""}))
    chunks = []
    completion = run(llm.complete("BRICK", "x", on_token=chunks.append))
    assert "".join(chunks) == response == completion.text
    assert len(chunks) > 1
    empty = []
    assert run(llm.complete("BRICK", "x", on_token=empty.append)).text == ""
    assert "".join(empty) == ""


def test_concurrent_calls_take_different_lines(tmp_path):
    llm = replay(
        write_cassette(
            tmp_path / "c.jsonl",
            {"persona": "BRICK", "response": "first", "delay_s": 1},
            {"persona": "BRICK", "response": "second", "delay_s": 1},
        )
    )

    async def main():
        return await asyncio.gather(llm.complete("BRICK", "same"), llm.complete("BRICK", "same"))

    texts = [c.text for c in run(main())]
    assert sorted(texts) == ["first", "second"]
    assert llm.remaining == 0


# ---------------------------------------------------------------- bad cassettes


def test_blank_lines_are_skipped(tmp_path):
    llm = replay(write_cassette(tmp_path / "c.jsonl", "", {"response": "a"}, "   ", {"response": "b"}))
    assert llm.remaining == 2


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("{not json", "not JSON"),
        ("# a comment", "not JSON"),
        ('["a", "list"]', "expected a JSON object"),
        ('{"persona": "BRICK"}', '"response" must be a string'),
        ('{"response": 42}', '"response" must be a string'),
        ('{"response": "r", "delay_s": -1}', '"delay_s"'),
        ('{"response": "r", "delay_s": "soon"}', '"delay_s"'),
        ('{"response": "r", "delay_s": true}', '"delay_s"'),
        ('{"response": "r", "delay_s": NaN}', '"delay_s"'),
        ('{"response": "r", "persona": 7}', '"persona" must be a string'),
        ('{"response": "r", "contains": ["x"]}', '"contains" must be a string'),
    ],
)
def test_malformed_cassette_names_file_and_line(tmp_path, bad, fragment):
    path = write_cassette(tmp_path / "bad.jsonl", {"response": "fine"}, "", bad)
    with pytest.raises(LLMError) as info:
        ReplayBackend(path)
    assert f"{path} line 3" in str(info.value)
    assert fragment in str(info.value)


def test_missing_cassette(tmp_path):
    with pytest.raises(LLMError, match="does not exist") as info:
        ReplayBackend(tmp_path / "nope.jsonl")
    assert "nope.jsonl" in str(info.value)


def test_cassette_that_is_a_directory(tmp_path):
    with pytest.raises(LLMError, match="cannot read cassette"):
        ReplayBackend(tmp_path)


# ---------------------------------------------------------------- recording


def test_recording_replays_to_the_same_responses(tmp_path):
    source = write_cassette(
        tmp_path / "source.jsonl",
        {"persona": "BRICK", "response": "brick says"},
        {"persona": "ROBIN", "response": "robin \"quotes\" and ünïcode"},
        {"persona": "BRICK", "response": "brick again"},
    )
    record_to = tmp_path / "deep" / "dir" / "recorded.jsonl"
    calls = [
        ("BRICK", "context\nWrite method alpha\n\n"),
        ("ROBIN", "Write method beta"),
        ("BRICK", "context\nWrite method gamma"),
    ]

    async def session(llm):
        out = [(await llm.complete(p, prompt, system="codex")).text for p, prompt in calls]
        await llm.close()
        return out

    recorder = RecordingBackend(replay(source), record_to)
    recorded = run(session(recorder))

    lines = [json.loads(line) for line in record_to.read_text(encoding="utf-8").splitlines()]
    assert [line["contains"] for line in lines] == ["Write method alpha", "Write method beta", "Write method gamma"]
    assert lines[0]["persona"] == "BRICK"
    assert lines[0]["prompt_sha256"] == hashlib.sha256(b"codex\n\n" + calls[0][1].encode()).hexdigest()

    # replayed in a different order of personas' calls, each gets its own answer back
    replayer = replay(record_to)

    async def out_of_order():
        return [
            (await replayer.complete("ROBIN", calls[1][1])).text,
            (await replayer.complete("BRICK", calls[2][1])).text,
            (await replayer.complete("BRICK", calls[0][1])).text,
        ]

    assert run(out_of_order()) == [recorded[1], recorded[2], recorded[0]]
    assert recorded == ["brick says", 'robin "quotes" and ünïcode', "brick again"]


def test_recording_appends_and_caps_contains(tmp_path):
    source = write_cassette(tmp_path / "s.jsonl", {"response": "a"}, {"response": "b"})
    record_to = write_cassette(tmp_path / "r.jsonl", {"response": "already here"})
    recorder = RecordingBackend(replay(source), record_to)
    run(recorder.complete("BABS", "y" * 500))
    run(recorder.complete("BABS", "short"))
    lines = [json.loads(line) for line in record_to.read_text().splitlines()]
    assert [line["response"] for line in lines] == ["already here", "a", "b"]
    assert lines[1]["contains"] == "y" * 200


def test_recording_records_nothing_when_the_inner_call_fails(tmp_path):
    record_to = tmp_path / "r.jsonl"
    recorder = RecordingBackend(replay(write_cassette(tmp_path / "s.jsonl", {"persona": "ROBIN", "response": "r"})), record_to)
    with pytest.raises(LLMError):
        run(recorder.complete("BRICK", "x"))
    assert not record_to.exists() or record_to.read_text() == ""


# ---------------------------------------------------------------- make_backend


def test_make_backend_replay(tmp_path):
    cassette = write_cassette(tmp_path / "c.jsonl", {"response": "from config"})
    llm = make_backend(LLMConfig(backend="replay", cassette=cassette))
    assert isinstance(llm, ReplayBackend)
    assert run(llm.complete("BRICK", "x")).text == "from config"


def test_make_backend_replay_without_cassette():
    with pytest.raises(LLMError, match=r"set BATOS_CASSETTE or \[llm\] cassette"):
        make_backend(LLMConfig(backend="replay", cassette=None))


def test_make_backend_replay_with_bad_cassette_fails_at_once(tmp_path):
    with pytest.raises(LLMError, match="line 1"):
        make_backend(LLMConfig(backend="replay", cassette=write_cassette(tmp_path / "c.jsonl", "[]")))


def test_make_backend_transformers_without_an_image_has_no_models():
    llm = make_backend(LLMConfig(backend="transformers"))
    assert isinstance(llm, TransformersBackend)
    with pytest.raises(NoModel, match="models import BRICK"):
        run(llm.complete("BRICK", "x"))
    run(llm.close())


def test_make_backend_with_record_to(tmp_path):
    cassette = write_cassette(tmp_path / "c.jsonl", {"response": "r"})
    record_to = tmp_path / "out" / "rec.jsonl"
    llm = make_backend(LLMConfig(backend="replay", cassette=cassette), record_to=record_to)
    assert isinstance(llm, RecordingBackend)
    run(llm.complete("BRICK", "x"))
    assert json.loads(record_to.read_text())["response"] == "r"


def test_importing_the_module_imports_nothing_heavy():
    code = (
        "import sys, bat_os.models.backends as m; "
        "m.make_backend(m.LLMConfig(backend='transformers')); "
        "print(sorted(n for n in ('torch', 'transformers', 'accelerate') if n in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_audited_backend_records_every_call_and_passes_the_words_on(tmp_path):
    cassette = tmp_path / "c.jsonl"
    cassette.write_text(json.dumps({"persona": "ROBIN", "contains": "hello", "response": "Hi there, friend"}) + "\n")
    audited = AuditedBackend(ReplayBackend(cassette))
    recorded, words = [], []
    audited.record = lambda event, **fields: recorded.append((event, fields))

    async def main():
        completion = await audited.complete("ROBIN", "hello", system="be kind", on_token=words.append, temperature=0.5)
        with pytest.raises(LLMError):
            await audited.complete("ROBIN", "nothing matches this")
        return completion

    completion = asyncio.run(main())
    assert completion.text == "Hi there, friend" and "".join(words) == "Hi there, friend"
    (event, ok), (_, failed) = recorded
    assert event == "model_call" and ok["persona"] == "ROBIN" and ok["outcome"] == "ok" and ok["model"] == audited.name
    assert ok["tokens"] == len(words) >= 2 and ok["prompt_sha256"] == completion.prompt_sha256
    assert failed["outcome"] == "LLMError" and failed["tokens"] == 0 and "model" not in failed
    audited.record = None  # before the kernel has an audit trail: nothing recorded, nothing fails
    assert audited.name == f"replay:{cassette.name}"
