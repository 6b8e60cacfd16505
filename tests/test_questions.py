"""Questions: as data (bat_os.cognition.judge.questions: reading an answer, the examples it makes; the driver's
Waiting hands it over), then on disagreement, a look before install, and nobody to ask on a real kernel, the replay
backend.

The candidates are the texts the real 0.5B model wrote for ``initials`` (bench runs of issue 38) and, for the
right reading, a text of the kind it writes; the person is this test, answering on the request's own
connection as the console does.
"""

import asyncio
from dataclasses import replace
import json

import pytest

from bat_os.cognition.cycle.driver import Waiting
from bat_os.cognition.judge import questions as asking
from bat_os.kernel.commands.cycles import read_answer
from bat_os.errors import Answered, BadRequest, NotFound
from support import KernelProcess

AL = "def initials(self, name):\n    parts = name.split()\n    return parts[0][0].upper() + parts[1][0].upper()"
AKL = "def initials(self, name):\n    return ''.join(part[0] for part in name.split()).upper()"
AKL_TOO = "def initials(self, name):\n    return ''.join([word[0].upper() for word in name.split()])"
DOTTED = "def initials(self, name):\n    return ''.join(word[0].upper() + '.' for word in name.split())"
DOTTED_TOO = "def initials(self, name):\n    return ''.join(f'{part[0]}.' for part in name.split()).upper()"


def dotted(question):
    """The person: knows the answer for any name (initials with dots)."""
    return {"result": "".join(word[0].upper() + "." for word in question["call"]["args"][0].split())}


def corrected(question):
    """The person at a confirm: the dotted answer at the first call shown that the method answers otherwise (``at``:
    the calls before it were right), else accepted."""
    shown = [{"call": question["call"], "result": question["choices"][0].get("result")}, *question.get("also", [])]
    for at, each in enumerate(shown):
        if dotted(each)["result"] != each.get("result"):
            return {**dotted(each), **({"at": at} if at else {})}
    return {"choose": 0}


def cassette(tmp_path, *codes):
    lines = [{"persona": "BRICK", "contains": "Selector: initials", "response": json.dumps(["initials of a name"])}]
    lines += [{"persona": "ALFRED", "contains": " initials(", "response": f"```python\n{code}\n```"} for code in codes]
    path = tmp_path / "initials.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.fixture
def kernel_for(tmp_path):
    started = []

    def start(*codes, **env):
        settings = {"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette(tmp_path, *codes)),
                    "BATOS_JAIL_WALL_SECONDS": "2", "BATOS_CYCLE_QUESTION_SECONDS": "20", **env}
        kernel = KernelProcess(tmp_path, env=settings).start()
        started.append(kernel)
        return kernel

    yield start
    for kernel in started:
        kernel.stop()


LEARN = {"command": "send", "target": "genesis_obj", "selector": "initials", "args": ["Ada King Lovelace"],
         "intent": "the initials of a full name in capitals"}


def learn(client, answer=None, request=None, timeout=60):
    """Send the learning request with events; ``answer(question) -> fields`` answers each question.
    The final reply and the questions seen."""
    client.send({**(request or LEARN), "id": "learn", "events": True})
    seen = []
    while True:
        reply = client.recv(timeout)
        if reply.get("id") == "learn" and reply.get("status") != "event":
            return reply, seen
        event = reply.get("event") or {}
        if event.get("type") == "question":
            seen.append(event["question"])
            if answer is not None and event.get("waiting"):
                client.send({"command": "answer", "id": f"a{len(seen)}", "cycle": event["cycle"],
                             "question": event["question"]["id"], **answer(event["question"])})
        elif str(reply.get("id", "")).startswith("a") and reply.get("status") != "event":
            assert reply["status"] == "ok", reply


def installed(kernel):
    return kernel.request({"command": "source", "target": "genesis_obj", "selector": "initials"})


def test_a_disagreement_is_asked_and_the_answered_reading_is_installed(kernel_for):
    kernel = kernel_for(AL, AKL, AKL_TOO)
    with kernel.client() as client:
        reply, seen = learn(client, lambda q: {"choose": next(i for i, c in enumerate(q["choices"]) if c.get("result") == "AKL")})
    assert reply["status"] == "ok", reply
    assert reply["result"]["result"] == "AKL"
    question = seen[0]
    assert question["kind"] == "disagreement" and question["call"]["args"] == ["Ada King Lovelace"]
    assert sorted(c["result"] for c in question["choices"]) == ["AK", "AKL"]
    tests = installed(kernel)["result"]["tests"]
    cycle = kernel.request({"command": "cycle", "cycle": reply["result"]["cycle"]})["result"]
    asked = cycle["artifacts"]["questions"]
    assert asked[0]["by"] == "answer" and asked[0]["examples"][0]["result"] == "AKL"
    assert any(t.get("args") == ["Ada King Lovelace"] and t.get("result") == "AKL" for t in json.loads(json.dumps(tests))
               if isinstance(t, dict)), tests  # the answer is one of the method's tests from then on


def test_an_answer_no_candidate_gives_is_an_example_the_next_candidates_hold(kernel_for):
    kernel = kernel_for(AL, AKL, DOTTED, DOTTED_TOO)
    with kernel.client() as client:
        reply, seen = learn(client, dotted)
    assert reply["status"] == "ok", reply
    assert reply["result"]["result"] == "A.K.L."
    assert seen[0]["call"]["args"] == ["Ada King Lovelace"] and {"result": "A.K.L."} not in [
        {"result": c["result"]} for c in seen[0]["choices"]]  # no candidate gave it
    cycle = kernel.request({"command": "cycle", "cycle": reply["result"]["cycle"]})["result"]
    eligible = [c["code"] for c in cycle["artifacts"]["candidates"] if c.get("eligible")]
    assert eligible == [DOTTED, DOTTED_TOO]  # the first two fail the answer now


def test_a_confirm_is_shown_before_install_and_accepted(kernel_for):
    kernel = kernel_for(AKL, AKL_TOO)
    with kernel.client() as client:
        reply, seen = learn(client, lambda q: {"choose": 0})
    assert reply["status"] == "ok", reply
    assert [q["kind"] for q in seen] == ["confirm"]
    # shown first at the call asked (the path of its code it takes, which no answer of the person's supports yet),
    # then on the call with the most to it (a probe of more words than the request's), with what both answer there
    assert seen[0]["call"]["args"] == ["Ada King Lovelace"] and seen[0]["choices"] == [{"result": "AKL", "candidates": 2}]
    assert [(a["call"]["args"], a["result"]) for a in seen[0]["also"]] == [(["Lovelace King Ada extra"], "LKAE")]


def test_a_confirm_corrected_is_an_example_and_the_cycle_goes_on(kernel_for):
    kernel = kernel_for(AKL, AKL_TOO, DOTTED, DOTTED_TOO)
    with kernel.client() as client:
        reply, seen = learn(client, lambda q: corrected(q) if q["kind"] == "confirm" else dotted(q)
                            if q["choices"][0]["result"] != dotted(q)["result"] else {"choose": 0})
    assert reply["status"] == "ok", reply
    assert reply["result"]["result"] == "A.K.L."
    assert seen[0]["kind"] == "confirm"


def test_a_confirm_shows_two_calls_and_an_answer_at_the_second_keeps_the_first_as_shown(kernel_for):
    kernel = kernel_for(AKL, AKL_TOO, BATOS_CYCLE_MAX_ATTEMPTS="2")
    with kernel.client() as client:
        # the person says the first call shown is right and the second is not (it wants dots there)
        reply, seen = learn(client, lambda q: {"at": 1, **dotted(q["also"][0])})
    (question,) = seen
    assert question["kind"] == "confirm" and len(question["also"]) == 1
    first, second = question["call"]["args"], question["also"][0]["call"]["args"]
    assert first != second and second != LEARN["args"]  # two calls, neither the person's own
    assert question["also"][0]["result"] == "".join(w[0] for w in second[0].split()).upper()
    assert reply["status"] == "error" and reply["error"]["code"] == "cycle_failed", reply  # no candidate holds both now
    assert installed(kernel)["status"] == "error"
    kept = kernel.request({"command": "cycle", "cycle": reply["error"]["cycle"]})["result"]["artifacts"]["questions"][0]
    assert kept["answer"] == {"result": dotted(question["also"][0])["result"], "at": 1}
    assert kept["examples"] == [{"args": first, "kwargs": {}, "result": question["choices"][0]["result"]},
                                {"args": second, "kwargs": {}, "result": dotted(question["also"][0])["result"]}]


def test_nobody_listening_installs_nothing_and_a_later_answer_retries_and_installs(kernel_for):
    kernel = kernel_for(AL, AKL, AKL_TOO, BATOS_CYCLE_CANDIDATES="2")
    with kernel.client() as client:
        reply = client.request({**LEARN, "id": 1}, timeout=60)  # no events: nobody to ask
        assert reply["status"] == "error" and reply["error"]["code"] == "cycle_failed", reply
        assert reply["error"]["reasons"][0] == "unanswered"
        assert kernel.request({"command": "source", "target": "genesis_obj", "selector": "initials"})["status"] == "error"
        cycle = kernel.request({"command": "cycle", "cycle": reply["error"]["cycle"]})["result"]
        question = cycle["artifacts"]["questions"][-1]
        assert "answer" not in question
        again = client.request({"command": "answer", "id": 2, "cycle": cycle["cycle"], "question": question["id"],
                                "result": "AKL"}, timeout=60)
        assert again["status"] == "ok", again
        assert again["result"]["result"] == "AKL"
        # the question was answered: a second answer is refused, nothing changes
        twice = client.request({"command": "answer", "id": 3, "cycle": cycle["cycle"], "question": question["id"], "result": "AK"})
        assert twice["status"] == "error" and twice["error"]["code"] == "answered"


def test_ask_false_never_asks(kernel_for):
    kernel = kernel_for(AL, AKL, BATOS_CYCLE_CANDIDATES="2")
    with kernel.client() as client:
        reply, seen = learn(client, lambda q: {"choose": 0}, request={**LEARN, "ask": False})
    assert reply["status"] == "error" and reply["error"]["reasons"][0] == "unanswered"
    assert all(not q.get("waiting", False) for q in seen)


def test_bad_answers_are_refused_with_codes_and_change_nothing(kernel_for):
    kernel = kernel_for(AL, AKL, BATOS_CYCLE_CANDIDATES="2")
    with kernel.client() as client:
        reply = client.request({**LEARN, "id": 1}, timeout=60)
        cycle_id = reply["error"]["cycle"]
        question = kernel.request({"command": "cycle", "cycle": cycle_id})["result"]["artifacts"]["questions"][-1]["id"]
        cases = [
            ({"cycle": "c999", "question": "q1", "choose": 0}, "not_found"),
            ({"cycle": cycle_id, "question": "q9", "choose": 0}, "not_found"),
            ({"cycle": cycle_id, "question": question, "choose": 7}, "bad_request"),
            ({"cycle": cycle_id, "question": question, "result": b"\x00bytes"}, "bad_request"),
            ({"cycle": cycle_id, "question": question, "result": "x" * 200_000}, "bad_request"),
            ({"cycle": cycle_id, "question": question, "raises": "not a name"}, "bad_request"),
            ({"cycle": cycle_id, "question": question, "skip": True}, "bad_request"),
            ({"cycle": cycle_id, "question": question}, "bad_request"),
        ]
        for fields, code in cases:
            answer = client.request({"command": "answer", "id": 2, **fields})
            assert answer["status"] == "error" and answer["error"]["code"] == code, (fields, answer)
        after = kernel.request({"command": "cycle", "cycle": cycle_id})["result"]
        assert "answer" not in after["artifacts"]["questions"][-1] and after["state"] == "FAILED"
        assert kernel.request({"command": "ping"})["status"] == "ok"


def test_a_client_gone_mid_question_counts_as_skipped_and_nothing_is_installed(kernel_for):
    import time

    kernel = kernel_for(AL, AKL, BATOS_CYCLE_QUESTION_SECONDS="1", BATOS_CYCLE_CANDIDATES="2")
    client = kernel.client()
    client.send({**LEARN, "id": "learn", "events": True})
    while (event := client.recv(30).get("event") or {}).get("type") != "question":
        pass
    client.close()  # the person walks away
    deadline = time.monotonic() + 30
    while (cycle := kernel.request({"command": "cycle", "cycle": event["cycle"]})["result"])["state"] != "FAILED":
        assert time.monotonic() < deadline, cycle["state"]
        time.sleep(0.2)
    assert cycle["reasons"][0] == "unanswered" and cycle["artifacts"]["questions"][0]["by"] == "timeout"
    assert kernel.request({"command": "source", "target": "genesis_obj", "selector": "initials"})["status"] == "error"
    assert kernel.request({"command": "ping"})["status"] == "ok"


# --- questions as data ------------------------------------------------------------------------------------
ASKED = {"cycle": "c3", "id": "q1", "selector": "initials", "kind": "disagreement",
         "call": {"args": ["Ada King Lovelace"], "kwargs": {}, "slots": {"name": "genesis"}},
         "choices": [{"result": "AKL", "candidates": 3}, {"result": "AK", "slots": {"seen": 1}, "candidates": 2},
                     {"raises": "ValueError", "candidates": 1}]}


def test_the_four_forms_of_an_answer_and_the_examples_they_make():
    assert read_answer(ASKED, {"choose": 1}) == {"choose": 1}
    assert asking.examples_of(ASKED, {"choose": 1}) == [{"args": ["Ada King Lovelace"], "kwargs": {}, "result": "AK", "slots": {"seen": 1}}]
    assert asking.examples_of(ASKED, {"choose": 2}) == [{"args": ["Ada King Lovelace"], "kwargs": {}, "raises": "ValueError"}]
    assert read_answer(ASKED, {"result": "A.K.L.", "slots": {"seen": 2}}) == {"result": "A.K.L.", "slots": {"seen": 2}}
    assert asking.examples_of(ASKED, {"result": "A.K.L."})[0]["result"] == "A.K.L."
    assert read_answer(ASKED, {"raises": "KeyError"}) == {"raises": "KeyError"}
    assert read_answer(ASKED, {"skip": True}) == {"skip": True} and asking.examples_of(ASKED, {"skip": True}) == []
    given = {**ASKED, "given": {"scores": []}}
    assert asking.examples_of(given, {"choose": 0})[0]["given"] == {"scores": []}  # a probe's slots: the example's too


CONFIRM = {"cycle": "c3", "id": "q2", "selector": "initials", "kind": "confirm",
           "call": {"args": ["Jane Smith"], "kwargs": {}, "slots": {}}, "choices": [{"result": "JS", "candidates": 2}],
           "also": [{"call": {"args": ["Turing Alan extra"], "kwargs": {}, "slots": {"seen": 0}}, "result": "TA",
                     "given": {"seen": 0}}]}


def test_a_confirm_of_two_calls_accepted_keeps_both_and_a_correction_of_the_second_says_the_first_was_right():
    assert asking.examples_of(CONFIRM, {"choose": 0}) == [
        {"args": ["Jane Smith"], "kwargs": {}, "result": "JS"},
        {"args": ["Turing Alan extra"], "kwargs": {}, "given": {"seen": 0}, "result": "TA"}]
    assert read_answer(CONFIRM, {"result": "TAE", "at": 1}) == {"result": "TAE", "at": 1}
    assert asking.examples_of(CONFIRM, {"result": "TAE", "at": 1}) == [
        {"args": ["Jane Smith"], "kwargs": {}, "result": "JS"},
        {"args": ["Turing Alan extra"], "kwargs": {}, "given": {"seen": 0}, "result": "TAE"}]
    assert read_answer(CONFIRM, {"raises": "ValueError", "at": 0}) == {"raises": "ValueError"}  # at 0: the first call
    assert asking.examples_of(CONFIRM, {"result": "J.S."}) == [{"args": ["Jane Smith"], "kwargs": {}, "result": "J.S."}]


@pytest.mark.parametrize("fields, says", [
    ({"result": "x", "at": 2}, "0 to 1"), ({"result": "x", "at": True}, "0 to 1"), ({"choose": 0, "at": 1}, "goes with"),
    ({"skip": True, "at": 1}, "goes with"),
])
def test_at_names_a_call_shown(fields, says):
    with pytest.raises(BadRequest, match=says):
        read_answer(CONFIRM, fields)
    with pytest.raises(BadRequest):  # a question of one call has no other
        read_answer(ASKED, {"result": "x", "at": 1})


def test_a_question_kept_before_two_calls_were_shown_still_gives_its_example():
    old = {**ASKED, "answer": {"choose": 0}, "by": "answer", "example": {"args": ["Ada King Lovelace"], "kwargs": {}, "result": "AKL"}}
    assert asking.kept(old) == [old["example"]]
    assert asking.kept({**ASKED, "examples": [{"args": [], "kwargs": {}, "result": 1}]}) == [{"args": [], "kwargs": {}, "result": 1}]
    assert asking.kept(ASKED) == []


@pytest.mark.parametrize("fields, says", [
    ({}, "one of 'choose'"), ({"choose": 0, "skip": True}, "one of 'choose'"), ({"choose": 3}, "0 to 2"),
    ({"choose": True}, "0 to 2"), ({"skip": False}, "must be true"), ({"raises": "no such"}, "exception's name"),
    ({"result": b"bytes"}, "plain data"), ({"result": float("nan")}, "plain data"), ({"result": "x" * 70000}, "bytes as JSON"),
    ({"result": 1, "slots": {"not a name": 1}}, "slot names"), ({"result": {1: 2}}, "plain data"),
])
def test_anything_else_is_refused_with_why(fields, says):
    with pytest.raises(BadRequest, match=says):
        read_answer(ASKED, fields)


def test_an_answer_that_contradicts_the_persons_own_example_is_named():
    [example] = asking.examples_of(ASKED, {"result": "AL"})
    assert asking.contradiction(example, [{"args": ["Ada King Lovelace"], "kwargs": {}, "result": "AKL"}]) is not None
    assert asking.contradiction(example, [{"args": ["Ada Lovelace"], "kwargs": {}, "result": "AL"}]) is None
    assert asking.contradiction(example, [{"args": ["Ada King Lovelace"], "kwargs": {}, "result": "AL"}]) is None


def test_waiting_hands_over_one_answer_and_times_out_as_skipped():
    async def main() -> None:
        waiting = Waiting()
        with pytest.raises(NotFound):
            waiting.answer("c1", "q1", {"choose": 0})  # nobody waits
        task = asyncio.ensure_future(waiting.wait("c1", "q1", 5))
        await asyncio.sleep(0)
        assert waiting.waiting("c1", "q1")
        waiting.answer("c1", "q1", {"choose": 0})
        with pytest.raises(Answered):
            waiting.answer("c1", "q1", {"choose": 1})  # the first word stands
        assert await task == {"choose": 0} and not waiting.waiting("c1", "q1")
        assert await waiting.wait("c1", "q2", 0.01) is None

    asyncio.run(main())



def test_a_confirm_keeps_its_second_look_built_as_a_question_and_hidden_from_the_person() -> None:
    from bat_os.cognition.judge import decide as choosing

    calls = [({"args": [n], "kwargs": {}, **({"coverage": "a path"} if n == 5 else {})}, f'["value", {n * 2}]') for n in (5, 6, 7)]
    second = choosing.Split(calls[0][0], {calls[0][1]: [0, 1]}, tuple(calls[1:]))
    look = choosing.Decision(choosing.CONFIRM, "shown", winner=1, split=choosing.Split({"args": [1], "kwargs": {}},
                             {'["value", 2]': [0, 1]}, (), second))
    asked = asking.question("c1", 2, "double", look, {"name": "x"})
    more = asked["more"]
    assert more["kind"] == "confirm" and more["call"]["args"] == [5] and more["choices"] == [{"result": 10, "candidates": 2}]
    assert more["coverage"] == "a path" and [a["call"]["args"] for a in more["also"]] == [[6], [7]] and "more" not in more
    assert asking.examples_of(more, {"choose": 0}) == [{"args": [n], "kwargs": {}, "result": n * 2} for n in (5, 6, 7)]
    assert "more" not in asking.shown(asked) and "more" not in asking.question("c1", 2, "double", replace(
        look, split=replace(look.split, rest=None)), {})
