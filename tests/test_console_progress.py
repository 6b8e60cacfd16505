"""bat_os.console.progress and screen: what the user sees while a request runs."""

from __future__ import annotations

import io

from bat_os.console.progress import Progress, RawEvents
from bat_os.console.screen import Screen

PLAIN = {"TERM": "xterm-256color"}  # a pipe (StringIO is no terminal)
TERMINAL = {"TERM": "xterm-256color", "TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": "80"}


def event(**fields: object) -> dict:
    return {"id": 1, "status": "event", "event": fields}


CYCLE = [
    event(type="started"),
    event(type="state", cycle="c1", state="DECOMPOSING"),
    event(type="token", cycle="c1", persona="BRICK", text='["current'),
    event(type="token", cycle="c1", persona="BRICK", text=' time"]'),
    event(type="state", cycle="c1", state="SYNTHESIZING"),
    event(type="token", cycle="c1", persona="ALFRED", text="def f(self):\n"),
    event(type="token", cycle="c1", persona="ALFRED", text="    return 1"),
    event(type="state", cycle="c1", state="COMPLETE"),
]


def screen(environ: dict) -> tuple[Screen, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Screen(out, err, environ=environ), out, err


def test_on_a_pipe_one_line_per_state_and_each_persona_as_a_block() -> None:
    shown, out, err = screen(PLAIN)
    assert not shown.live
    with Progress(shown, "working") as progress:
        for frame in CYCLE:
            progress.event(frame)
    assert out.getvalue().splitlines() == [
        "● DECOMPOSING", 'BRICK: ["current time"]', "● SYNTHESIZING", "ALFRED:", "  def f(self):", "      return 1", "● COMPLETE",
    ]
    assert "\x1b" not in out.getvalue() and err.getvalue() == ""


def test_words_still_speaking_at_the_end_are_printed() -> None:
    shown, out, _ = screen(PLAIN)
    with Progress(shown, "asking") as progress:
        progress.event(event(type="token", persona="ROBIN", text="a living "))
        progress.event(event(type="token", persona="ROBIN", text="image"))
        progress.event(event(type="token", persona="BRICK", text="yes"))
    assert out.getvalue().splitlines() == ["ROBIN: a living image", "BRICK: yes"]


def test_stages_and_ingest_progress_only_change_the_status() -> None:
    shown, out, _ = screen(PLAIN)
    with Progress(shown, "working") as progress:
        progress.event(event(type="translation", stage="model", attempt=1))
        assert progress.detail == "model (attempt 1)"
        progress.event(event(type="progress", sentences_done=256, sentences_total=1000, chunks=12))
        assert progress.detail == "256/1000 sentences, 12 chunks"
        progress.event({"id": 1, "status": "event", "event": "not a map"})  # ignored
    assert out.getvalue() == ""


def test_on_a_terminal_a_spinner_shows_the_state_the_words_and_the_time() -> None:
    shown, out, _ = screen(TERMINAL)
    assert shown.live
    now = [100.0]
    with Progress(shown, "working", clock=lambda: now[0]) as progress:
        progress.event(CYCLE[1])
        progress.event(CYCLE[2])
        now[0] += 7.4
        frame = io.StringIO()
        Screen(frame, frame, environ=TERMINAL).out.print(progress._render())
        assert "working DECOMPOSING  7s" in frame.getvalue()
        assert 'BRICK: ["current' in frame.getvalue()  # the words so far, as they arrive
        for item in CYCLE[3:]:
            progress.event(item)
    text = out.getvalue()
    for line in ("● DECOMPOSING", 'BRICK: ["current time"]', "● SYNTHESIZING", "ALFRED:", "● COMPLETE"):
        assert line in text


def test_raw_events_print_each_one() -> None:
    shown, out, _ = screen(PLAIN)
    with RawEvents(shown) as raw:
        raw.event(CYCLE[0])
        raw.event(CYCLE[1])
    assert out.getvalue().splitlines() == ["... started", '... state {"cycle": "c1", "state": "DECOMPOSING"}']


def test_problems_go_to_stderr_in_one_shot_and_stdout_in_a_session() -> None:
    out, err = io.StringIO(), io.StringIO()
    Screen(out, err, environ=PLAIN).problem("error [x]: y")
    assert err.getvalue() == "error [x]: y\n" and out.getvalue() == ""
    out, err = io.StringIO(), io.StringIO()
    Screen(out, err, session=True, environ=PLAIN).problem("error [x]: y")
    assert out.getvalue() == "error [x]: y\n" and err.getvalue() == ""


def test_json_mode_keeps_stdout_for_json() -> None:
    out, err = io.StringIO(), io.StringIO()
    shown = Screen(out, err, as_json=True, environ=PLAIN)
    shown.say("brief: status")
    shown.json({"status": "ok", "result": {"b": b"\x01"}})
    assert out.getvalue() == '{"status": "ok", "result": {"b": {"$bytes": "AQ=="}}}\n'
    assert err.getvalue() == "brief: status\n"


def test_markup_and_long_lines_are_written_as_they_are() -> None:
    shown, out, _ = screen(PLAIN)
    line = "[bold]not markup[/bold] :smile: " + "x" * 300
    shown.result(line)
    assert out.getvalue() == line + "\n"


def test_words_the_reply_carries_are_shown_live_only() -> None:
    shown, out, _ = screen(PLAIN)
    with Progress(shown, "asking", keep_words=False) as progress:
        progress.event(event(type="token", persona="ROBIN", text="a living image"))
        assert progress.words == ["a living image"]  # under the spinner meanwhile
    assert out.getvalue() == ""


def test_a_pack_s_progress_is_its_stage_and_how_far_it_read() -> None:
    from bat_os.console.progress import _progress_detail

    assert _progress_detail({"type": "progress", "stage": "copy", "done": 250, "total": 1000}) == "copy 25%"
    assert "backup" in _progress_detail({"type": "progress", "stage": "backup"})
