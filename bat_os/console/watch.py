"""``chat_client.py --watch [TOPIC ...]``: the kernel's event stream, live.

The kernel's ``status`` names the stream's endpoint; a SUB socket takes the topics asked for (prefixes:
``cycle.`` every cycle's moves, ``persona.ROBIN.`` ROBIN's words, ``method.``, ``commit``; none: all). Each
event is a line: its topic and what it says, coloured by kind (``--json``: the event as one JSON object). A
jump in a topic's own count is shown as events missed (a watcher that fell behind the stream's queue).

A cycle's question (``cycle.c3.question``) is shown with its call, its numbered choices and the line that
answers it from a console (``/answer c3 q1 <letter|value|raises NAME|skip>``); ``cycle.c3.answered`` says how it
was settled.
"""

from __future__ import annotations

from typing import Any, Callable

from bat_os import protocol

from .questions import (also_shown, answer_hint, condition, is_confirm, is_question, outcome, render_call,
                        render_choice, settled_by)
from .render import compact
from .screen import Screen

EXIT_OK, EXIT_ERROR, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 0, 1, 2, 130
KINDS = (("cycle.", "state"), ("persona.", "persona"), ("method.", "answer"), ("commit", "note"))
MAX_TOPIC = 200


def check_topics(topics: list[str]) -> str | None:
    """Why ``topics`` cannot be watched (None: they can)."""
    for topic in topics:
        if len(topic) > MAX_TOPIC or not topic.isprintable() or " " in topic:
            return f"a topic is a prefix such as cycle. or persona.ROBIN., not {topic[:40]!r}"
    return None


def watch(status: Callable[[], dict | None], screen: Screen, topics: list[str], *, as_json: bool = False,
          stop: Callable[[int], bool] | None = None, idle_ms: int = 500) -> int:
    """Print the stream's events until interrupted (or ``stop(count)`` says so); the exit code.
    ``status()``: the kernel's status result, or None when it cannot be reached."""
    import zmq

    problem = check_topics(topics)
    if problem is not None:
        screen.problem(problem)
        return 64
    figures = status()
    if figures is None:
        screen.problem("the kernel cannot be reached")
        return EXIT_UNREACHABLE
    stream = figures.get("events")
    if not stream:
        screen.problem("the kernel publishes no events (its events_endpoint is off, or the stream could not bind)")
        return EXIT_ERROR
    socket = zmq.Context.instance().socket(zmq.SUB)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(stream["endpoint"])
    for topic in topics or [""]:
        socket.setsockopt(zmq.SUBSCRIBE, topic.encode("utf-8"))
    screen.say(f"watching {stream['endpoint']} ({', '.join(topics) or 'every topic'}); Ctrl+C to stop", "note")
    seen: dict[str, int] = {}
    count = 0
    try:
        while stop is None or not stop(count):
            if not socket.poll(idle_ms):
                continue
            _topic, payload = socket.recv_multipart()
            event = protocol.decode(payload)
            count += 1
            missed = _missed(seen, event)
            if as_json:
                screen.json(event)
                continue
            if missed:
                screen.warn(f"... {missed} event(s) of {event.get('topic')} missed")
            screen.result(line(event), _kind(str(event.get("topic", ""))))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        socket.close(linger=0)
    return EXIT_OK


def line(event: dict[str, Any]) -> str:
    """An event for people: its topic, then what it says."""
    topic = str(event.get("topic", "?"))
    body = {k: v for k, v in event.items() if k not in ("seq", "topic_seq", "at", "topic")}
    if topic.startswith("persona.") and isinstance(body.get("text"), str):
        return f"{topic} {body['text']!r}"
    if topic.endswith(".question") and is_question(body.get("question")):
        return question_lines(topic, body["question"], waiting=body.get("waiting") is not False)
    if topic.endswith(".answered") and "question" in body:
        return f"{topic} {body['question']}: {settled_by(body)}"
    return f"{topic} {compact(body)}"


def question_lines(topic: str, question: dict, *, waiting: bool = True) -> str:
    """A question as the watcher sees it: its call, its numbered choices, and how to answer it."""
    confirm = is_confirm(question)
    lines = [f"{topic} {question['id']} ({'confirm' if confirm else 'disagreement'}): "
             f"{condition(question)}{render_call(question.get('selector'), question.get('call'))}"]
    lines.extend(f"  {render_choice(n, choice)}" + ("   <- will be installed; a accepts" if confirm else "")
                 for n, choice in enumerate(question["choices"], 1))
    lines.extend(f"  {n}) {condition(shown)}{render_call(question.get('selector'), shown.get('call'))} -> {outcome(shown)}"
                 f"   (also shown: {n}: VALUE if not)" for n, shown in enumerate(also_shown(question) if confirm else [], 2))
    after = "" if waiting else "   (the cycle does not wait: answering tries it again)"
    lines.append(f"  {answer_hint(question['cycle'], question['id'])}{after}")
    return "\n".join(lines)


def _missed(seen: dict[str, int], event: dict[str, Any]) -> int:
    topic, number = str(event.get("topic")), event.get("topic_seq")
    if not isinstance(number, int):
        return 0
    last = seen.get(topic)
    seen[topic] = number
    return number - last - 1 if last is not None and number > last + 1 else 0


def _kind(topic: str) -> str | None:
    if topic.endswith(".question"):
        return "brief"
    return next((kind for prefix, kind in KINDS if topic.startswith(prefix)), None)
