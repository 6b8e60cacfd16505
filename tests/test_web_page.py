"""The web inspector's page in a real headless Chromium: a person's way through it.

A real kernel subprocess (the replay backend playing recorded real-model sessions), ``chat_client.py --web`` in
another, and Debian's Chromium driven by selenium (tests/browser.py; ``.ci/run`` installs it and requires it).
Every test asserts on what the page shows, and on the kernel where the page changed something.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from contextlib import nullcontext

import pytest

from browser import open_browser
from support import ROOT, KernelProcess
from web_support import WebProcess

SESSION = ROOT / "cassettes" / "qwen2.5-coder-0.5b_session.jsonl"  # the README's sentence, a real 0.5B model's replies
QUESTIONS = ROOT / "cassettes" / "qwen2.5-coder_questions.jsonl"  # two real candidates that disagree
SENTENCE = "create a method to report the current system time"
DOUBLE = "def double(self, x):\n    return x * 2"


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """One headless Chromium for the file (each test opens its own inspector's URL in it): a browser start is
    seconds of CPU that the real-model tests beside these need."""
    with open_browser(tmp_path_factory.mktemp("chromium")) as browser:
        yield browser


@pytest.fixture
def browser(chromium):
    yield chromium
    chromium.get("about:blank")  # the page of a test that ended lets go of its inspector


@pytest.fixture
def replayed(tmp_path):
    """start(cassette) -> (kernel, web): a kernel replaying ``cassette`` and an inspector on it."""
    started = []

    def start(cassette=SESSION, **env):
        copy = shutil.copy(cassette, tmp_path / cassette.name)
        kernel = KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(copy),
                                              "BATOS_CYCLE_QUESTION_SECONDS": "60", **env}).start()
        web = WebProcess(kernel.endpoint, tmp_path).start()
        started.append((kernel, web))
        return kernel, web

    yield start
    for kernel, web in started:
        web.stop()
        kernel.stop()


def world_ready(browser, web):
    browser.get(web.url)
    browser.wait_js('document.body.dataset.world === "ready" && document.body.dataset.link === "up"', timeout=20)


def inspect(browser, name):
    browser.click(f'[data-card="{name}"]')
    browser.wait_js(f'document.querySelector("#inspector").dataset.target === "{name}"')


def learn_elsewhere(kernel, request: dict) -> tuple[threading.Thread, dict]:
    """A console elsewhere sends ``request`` with events (so the cycle waits for a person); (its thread, the
    final reply once the thread is done)."""
    final: dict = {}

    def learn() -> None:
        with kernel.client() as client:
            client.send({**request, "id": "learn", "events": True})
            while (reply := client.recv(120)).get("id") != "learn" or reply.get("status") == "event":
                pass
            final.update(reply)

    learner = threading.Thread(target=learn)
    learner.start()
    return learner, final


def test_the_world_view_shows_the_roots_and_personas_and_opens_an_inspector(replayed, browser, tmp_path):
    kernel, web = replayed()
    kernel.request({"command": "set_method", "target": "genesis_obj", "selector": "double", "source": DOUBLE,
                    "cases": [{"args": [2], "result": 4}]})
    with nullcontext(browser):
        world_ready(browser, web)
        assert browser.text('[data-card="genesis_obj"]').startswith("genesis_obj")
        assert browser.text('[data-card="genesis_obj"] [data-method="double"]') == "double"
        for persona in ("ALFRED", "BRICK", "ROBIN", "BABS"):
            assert persona in browser.text(f'[data-persona="{persona}"]')
        assert browser.js("window.batos.loadMs") > 0
        assert str(kernel.proc.pid) in browser.text("#kernel-figures")
        browser.screenshot("inspector-world")
        inspect(browser, "genesis_obj")
        assert browser.text('#inspector [data-slot="name"]').startswith("name")
        assert "'genesis'" in browser.text('#inspector [data-slot="name"] .value')
        browser.click('#inspector .own [data-method="double"] a')
        source = browser.wait_for("#method pre.source", text="def double")
        assert source.text == DOUBLE and browser.js('document.querySelectorAll("#method pre.source .kw").length') >= 2
        assert browser.text("#method .tests .test") == "double(2) -> 4"
        assert "1 (current)" in browser.text('#method [data-version="1"]')
        assert browser.text('#method [data-version="1"] .reason') == ""  # an edit with no reason given
        browser.screenshot("inspector-method")
        # a persona's inspector: its codex
        browser.click('[data-persona="ALFRED"]')
        codex = browser.wait_for("#inspector .persona-codex .system-prompt", text="ALFRED")
        assert "steward of BAT OS" in codex.text
        assert "Recent asks" in browser.text("#inspector .persona-codex")


def test_a_slot_is_edited_in_the_inspector_and_bad_values_are_refused_with_the_kernels_words(replayed, browser, tmp_path):
    kernel, web = replayed()
    with nullcontext(browser):
        world_ready(browser, web)
        inspect(browser, "genesis_obj")
        row = '#inspector [data-slot="name"]'
        browser.click(f"{row} .slot-edit")
        field = browser.wait_for(f"{row} .slot-input")
        field.clear()
        field.send_keys("not json at all")
        browser.click(f"{row} .slot-save")
        assert "not JSON" in browser.text(f"{row} .slot-result.error")
        assert kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]["slots"]["name"] == "genesis"
        field.clear()
        field.send_keys('"Genesis the Second"')
        browser.click(f"{row} .slot-save")
        browser.wait_for(f"{row} .value", text="'Genesis the Second'")
        assert kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]["slots"]["name"] == "Genesis the Second"
        # a new slot the kernel refuses: its own error text, nothing added
        browser.wait_for("#inspector .new-slot-name").send_keys("bad name")
        browser.wait_for("#inspector .new-slot-value").send_keys("1")
        browser.click("#inspector .slot-add")
        refused = browser.wait_for("#inspector .slot-result.error", text="bad_request")
        assert "bad name" in refused.text
        assert "bad name" not in kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]["slots"]
        browser.wait_for("#inspector .new-slot-name").clear()
        browser.wait_for("#inspector .new-slot-name").send_keys("colours")
        browser.wait_for("#inspector .new-slot-value").clear()
        browser.wait_for("#inspector .new-slot-value").send_keys('["teal", "ochre"]')
        browser.click("#inspector .slot-add")
        browser.wait_for('#inspector [data-slot="colours"] .value', text="['teal', 'ochre']")
        assert kernel.request({"command": "inspect", "target": "genesis_obj"})["result"]["slots"]["colours"] == ["teal", "ochre"]


def test_a_sentence_teaches_a_method_whose_card_source_and_tests_appear_after_the_person_confirms(replayed, browser, tmp_path):
    kernel, web = replayed()
    with nullcontext(browser):
        world_ready(browser, web)
        browser.wait_for("#talk-text").send_keys(SENTENCE)
        browser.click("#talk-translate")
        brief = browser.wait_for("#brief .brief-json", text="report_the_current_system_time", timeout=30)
        assert json.loads(brief.text)["command"] == "initiate_cognitive_cycle"
        assert "from the model" in browser.text("#brief .origin")
        browser.click("#brief-send")
        # the cycle's card, its states as they pass, and its question: one candidate, shown before it is installed
        question = browser.wait_for('[data-question^="c1/"]', timeout=60)
        assert "will install a method that answers" in question.text
        assert re.search(r"report_the_current_system_time\(\).* -> '.*\d{4}-\d\d-\d\d", question.text)
        trail = browser.text('[data-cycle="c1"] .trail', text="ASKING")
        assert trail.index("DECOMPOSING") < trail.index("SYNTHESIZING") < trail.index("VALIDATING") < trail.index("ASKING")
        assert "candidate" in browser.text('[data-cycle="c1"] .trials')
        browser.screenshot("inspector-question")
        browser.click('[data-question^="c1/"] .accept')
        answer = browser.wait_for("#talk-answer.ok .said", timeout=60)
        assert re.search(r"answer: '.*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", answer.text)
        assert "def report_the_current_system_time" in browser.text("#talk-answer .stream")  # ALFRED's words, as they came
        assert "COMPLETE" in browser.text('[data-cycle="c1"] .trail', text="COMPLETE")
        browser.wait_for('[data-card="genesis_obj"] [data-method="report_the_current_system_time"]', timeout=10)
        inspect(browser, "genesis_obj")
        browser.click('#inspector .own [data-method="report_the_current_system_time"] a')
        assert "def report_the_current_system_time" in browser.text("#method pre.source", text="def ")
        kept = kernel.request({"command": "source", "target": "genesis_obj", "selector": "report_the_current_system_time"})["result"]
        shown = browser.driver.find_elements("css selector", "#method .tests .test")
        assert len(shown) == len(kept["tests"])  # a time's answer varies: no example of it is kept
        assert f"Tests ({len(kept['tests'])})" in browser.text("#method")
        assert kept["author"] in browser.text("#method .meta")
    assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "report_the_current_system_time",
                           "learn": False})["status"] == "ok"


def test_a_question_from_another_client_is_answered_on_the_page(replayed, browser, tmp_path):
    kernel, web = replayed(QUESTIONS)
    task = next(json.loads(line) for line in (ROOT / "bench" / "tasks" / "learning_tasks.jsonl").read_text().splitlines()
                if line.strip() and json.loads(line)["id"] == "extract_numbers")
    with nullcontext(browser):
        world_ready(browser, web)
        learner, final = learn_elsewhere(kernel, {"command": "send", "target": "genesis_obj", "selector": task["selector"],
                                                  "args": task["args"], "intent": task["intent"]})
        question = browser.wait_for('[data-question^="c1/"]', timeout=90)
        assert "disagree" in question.text and "extract_numbers('a1b22c333')" in question.text
        choices = question.find_elements("css selector", "button.choice")
        assert [re.sub(r" \(\d+ candidates?\)$", "", c.text) for c in choices] == ["1) [1, 2, 2, 3, 3, 3]", "2) [1, 22, 333]"]
        choices[1].click()
        learner.join(120)
        browser.wait_js('!document.querySelector("[data-question^=\'c1/\']")', timeout=30)
        assert "No cycle is asking" in browser.text("#questions")
    assert final["status"] == "ok", final
    assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "extract_numbers",
                           "args": ["x 10 y 200"], "learn": False})["result"] == [10, 200]


def test_an_edit_that_fails_the_methods_tests_is_refused_and_nothing_changes(replayed, browser, tmp_path):
    kernel, web = replayed()
    assert kernel.request({"command": "set_method", "target": "genesis_obj", "selector": "double", "source": DOUBLE,
                           "cases": [{"args": [2], "result": 4}, {"args": [5], "result": 10}]})["status"] == "ok"
    with nullcontext(browser):
        world_ready(browser, web)
        inspect(browser, "genesis_obj")
        browser.click('#inspector .own [data-method="double"] a')
        browser.click("#method .method-edit")
        area = browser.wait_for("#method .method-source")
        area.clear()
        area.send_keys("def double(self, x):\n    return x * 3")
        browser.wait_for("#method .method-reason").send_keys("thrice")
        browser.click("#method .method-save")
        refused = browser.text("#method .method-result.error", text="tests_failed", timeout=30)
        assert "refused, nothing changed" in refused
        browser.screenshot("inspector-refused")
        # a source the guardian refuses: its reasons
        area.clear()
        area.send_keys("def double(self, x):\n    import os\n    return os.getpid()")
        browser.click("#method .method-save")
        assert "code_refused" in browser.text("#method .method-result.error", text="code_refused", timeout=30)
        # one that holds its tests is made, with its reason, and the page shows the new version
        area.clear()
        area.send_keys("def double(self, x):\n    return x + x")
        browser.click("#method .method-save")
        browser.wait_for("#method .method-name", text="v2/2", timeout=30)
        assert "x + x" in browser.text("#method pre.source")
        assert browser.text('#method [data-version="2"] .reason') == "thrice"
    source = kernel.request({"command": "source", "target": "genesis_obj", "selector": "double"})["result"]
    assert source["source"] == "def double(self, x):\n    return x + x" and source["versions"] == 2


def test_the_page_says_the_kernel_is_gone_and_reconnects_when_it_is_back(replayed, browser, tmp_path):
    kernel, web = replayed()
    with nullcontext(browser):
        world_ready(browser, web)
        first = kernel.proc.pid
        kernel.stop()
        browser.wait_js('document.body.dataset.link === "reconnecting"', timeout=15)
        assert "not answering" in browser.text("#link")
        kernel.start()  # the same image and port, a new process: what the watchdog does
        browser.wait_js('document.body.dataset.link === "up"', timeout=20)
        browser.wait_for("#kernel-figures", text=f"pid {kernel.proc.pid}", timeout=10)
        assert kernel.proc.pid != first
        assert "the kernel restarted" in browser.text("#log", text="restarted")
        # and it works again: an edit goes through
        inspect(browser, "genesis_obj")
        browser.click('#inspector [data-slot="name"] .slot-edit')
        field = browser.wait_for('#inspector [data-slot="name"] .slot-input')
        field.clear()
        field.send_keys('"back again"')
        browser.click('#inspector [data-slot="name"] .slot-save')
        browser.wait_for('#inspector [data-slot="name"] .value', text="'back again'")


def test_a_confirms_second_call_is_answered_on_the_page_with_its_position(replayed, browser, tmp_path):
    from test_questions import AKL, AKL_TOO, LEARN, cassette  # texts the real 0.5B model wrote for initials

    (tmp_path / "made").mkdir()
    kernel, web = replayed(cassette(tmp_path / "made", AKL, AKL_TOO), BATOS_CYCLE_MAX_ATTEMPTS="2")
    with nullcontext(browser):
        world_ready(browser, web)
        learner, final = learn_elsewhere(kernel, LEARN)
        question = browser.wait_for('[data-question^="c1/"]', timeout=90)
        shown = question.find_elements("css selector", ".choice")
        assert len(shown) == 2 and shown[0].text.startswith("1) initials(") and shown[1].text.startswith("2) initials(")
        second = re.search(r"initials\('([^']*)'\)", shown[1].text).group(1)
        dotted = "".join(word[0].upper() + "." for word in second.split())
        browser.wait_for('[data-question^="c1/"] .answer-value').send_keys(json.dumps(dotted))
        browser.driver.execute_script('document.querySelector("[data-question^=\'c1/\'] .answer-at").value = "1"')
        browser.click('[data-question^="c1/"] .answer-send')
        learner.join(120)
    assert final["status"] == "error" and final["error"]["code"] == "cycle_failed"  # no candidate holds both calls
    kept = kernel.request({"command": "cycle", "cycle": "c1"})["result"]["artifacts"]["questions"][0]
    assert kept["answer"] == {"result": dotted, "at": 1} and kept["by"] == "answer"


def test_a_labelled_look_is_corrected_and_the_method_holding_the_correction_is_installed(replayed, browser, tmp_path):
    """Issue 50 on the page: the look before install shows each call with the condition it tests; the person answers
    the second; the candidates written next hold the answer, and the method installed gives it."""
    from test_conditions import look_session

    request, lines = look_session()
    made = tmp_path / "made"
    made.mkdir()
    cassette = made / "look.jsonl"
    cassette.write_text("".join(json.dumps(line) + "\n" for line in lines))
    kernel, web = replayed(cassette)
    with nullcontext(browser):
        world_ready(browser, web)
        learner, final = learn_elsewhere(kernel, request)
        question = browser.wait_for('[data-question^="c1/"]', timeout=90)
        shown = [element.text for element in question.find_elements("css selector", ".choice")]
        assert shown[0].startswith("1) [split a CSV line into its fields] parse_line(")
        assert shown[1].startswith("2) [a field in double quotes keeping its commas] parse_line(")
        browser.wait_for('[data-question^="c1/"] .answer-value').send_keys(json.dumps(["x", "y,z"]))
        browser.driver.execute_script('document.querySelector("[data-question^=\'c1/\'] .answer-at").value = "1"')
        browser.click('[data-question^="c1/"] .answer-send')
        learner.join(120)
        assert final["status"] == "ok", final
        browser.wait_for('[data-cycle="c1"] .trail', text="COMPLETE")
    assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "parse_line", "args": ['x,"y,z"']})["result"] == ["x", "y,z"]


def test_the_header_names_the_engine_the_personas_run_on(browser, tmp_path):
    """Issue 51: the kernel's backend was called ``transformers`` while every GGUF persona runs in llama.cpp; the
    backend is ``models`` now, and the header and the persona cards say what runs each persona's model (``status``
    → ``models.engines`` and the persona table's engine)."""
    from bat_os.image.image import Image
    from bat_os.models import engines
    from bat_os.models.store import import_model
    from gguf_support import model_env, need_llama, real_gguf

    need_llama()
    smol = real_gguf("smollm2-135m")
    path = tmp_path / "image" / "live_image.fs"
    image = Image(path)
    image.awaken()
    try:
        for persona in ("ALFRED", "BRICK", "ROBIN"):  # BABS keeps none
            import_model(image, persona, str(smol), link_source=True)
    finally:
        image.close()
    kernel = KernelProcess(tmp_path, image=path, env=model_env()).start(timeout=60)
    web = WebProcess(kernel.endpoint, tmp_path).start()
    try:
        status = kernel.request({"command": "status"})["result"]
        assert status["llm"] == "models"  # the backend: the personas' own models, in whichever engine
        engine = status["models"]["personas"]["ALFRED"]["engine"]
        assert status["models"]["engines"] == {engine: ["ALFRED", "BRICK", "ROBIN"]}
        if not engines.cuda_hint():
            assert engine == "llama.cpp"
        world_ready(browser, web)
        figures = browser.text("#kernel-figures", text="models on")
        assert f"models on {engine}: ALFRED, BRICK, ROBIN · no model: BABS" in figures, figures
        assert engine != "llama.cpp" or "transformers" not in figures
        assert browser.text('[data-persona="ALFRED"] .meta') == f"smollm2-135m.gguf on {engine}"
        assert browser.text('[data-persona="BABS"] .meta') == "no model"
        # the model work queued and the cores it runs on (status: models.manager.queue and .cores), as they come
        assert "generating" not in figures and "waiting" not in figures  # nothing queued: nothing said
        browser.js('(Object.assign(batos.kernel.models.manager, {queue: {running: {persona: "ALFRED", state: "running", '
                   'seconds: 12.3}, waiting: [{persona: "BRICK", state: "waiting", seconds: 4}]}, cores: {cores: 2, '
                   'generation_threads: 1, wanted: 2, held: {jail: 1}}}), drawFigures())')
        busy = browser.text("#kernel-figures", text="generating")
        assert busy.endswith(" · ALFRED generating 12 s on 1 of 2 cores · waiting: BRICK"), busy
        browser.js("pollModelWork()")  # a cycle moved lately: status read again, the real (empty) queue drawn
        shown = browser.text("#kernel-figures", text="up")
        deadline = time.monotonic() + 10
        while "generating" in shown and time.monotonic() < deadline:
            time.sleep(0.2)
            shown = browser.text("#kernel-figures", text="up")
        assert "generating" not in shown, shown
    finally:
        web.stop()
        kernel.stop()


def test_the_heartbeat_panel_shows_times_budgets_and_plans_as_a_person_reads_them(replayed, browser, tmp_path):
    kernel, web = replayed(BATOS_HEARTBEAT_EVERY="600")
    next_beat = kernel.request({"command": "status"})["result"]["heartbeat"]["next_beat"]
    with nullcontext(browser):
        world_ready(browser, web)
        summary = browser.text("#heartbeat .beat-summary", text="every")
        assert re.search(r"^every 10 min · 0 beats · last none yet · next (tomorrow )?\d\d:\d\d:\d\d, in (10|9) min$", summary,
                         re.MULTILINE), summary
        shown = re.search(r"next (\d\d:\d\d:\d\d)", summary).group(1)
        assert shown == browser.js("new Date(arguments[0] * 1000).toTimeString().slice(0, 8)", next_beat)  # local time
        assert "budget this hour: 0 of 12 actions, 0 s of 10 min of model time" in summary
        assert "selfcheck" in browser.text("#heartbeat .beat-plan li")
        assert not re.search(r"\d{9,}|[{}\[\]]", summary)  # no epoch seconds, no raw JSON
        browser.screenshot("inspector-heartbeat")
        # an action a beat took, as the stream brings it
        browser.js('heartbeatEvent("heartbeat.selfcheck", {action: "selfcheck", outcome: "ok", at: Date.now() / 1000 - 5, '
                   'seconds: 0.42, methods: 3, cases: 7, failures: 0})')
        line = browser.text("#heartbeat .beat-events div", text="selfcheck")
        assert re.fullmatch(r"(yesterday )?\d\d:\d\d:\d\d, [45](\.\d)? s ago: selfcheck ok in 0\.4 s \(methods 3, cases 7, failures 0\)", line), line
        assert browser.js("clockTime(1795700420.17, 1795700240.17)").endswith(", in 3 min")
        local = "new Date(2026, 10, %d, %d, %d, 52).getTime() / 1000"  # local times, whatever the browser's zone
        assert browser.js(f"clockTime({local % (28, 0, 15)}, {local % (27, 23, 15)})") == "tomorrow 00:15:52, in 60 min"
        assert browser.js(f"clockTime({local % (27, 23, 15)}, {local % (28, 0, 15)})") == "yesterday 23:15:52, 60 min ago"
        assert browser.js(f"clockTime({local % (27, 22, 15)}, {local % (27, 23, 15)})") == "22:15:52, 60 min ago"
        later = browser.js(f"clockTime({local % (30, 9, 0)}, {local % (27, 23, 15)})")
        assert re.fullmatch(r"(30 Nov|Nov 30) 09:00:52, in 2 days", later), later
        assert [browser.js(f"duration({s})") for s in (0.42, 45, 180, 3600 * 5 + 60 * 7)] == ["0.4 s", "45 s", "3 min", "5 h 7 min"]


def test_the_upkeep_panel_shows_times_and_sizes_as_a_person_reads_them(replayed, browser, tmp_path):
    """The kernel's ``upkeep`` (bat_os.kernel.backups: status) after a real backup and pack: times as the heartbeat
    panel shows them, sizes in MB; never an ISO time, epoch seconds or raw JSON."""
    kernel, web = replayed(BATOS_BACKUP_EVERY="3600")
    assert kernel.request({"command": "backup", "reason": "before the test"}, timeout=60)["status"] == "ok"
    assert kernel.request({"command": "pack", "days": 0, "backup": False}, timeout=60)["status"] == "ok"
    upkeep = kernel.request({"command": "status"})["result"]["upkeep"]
    assert upkeep["next_backup_iso"] and upkeep["pack"]["last"]["time_iso"]  # what the panel used to show as it came
    world_ready(browser, web)
    ago = r"(now|\d+(\.\d)? s ago)"
    backup = browser.text("#upkeep .upkeep-backup", text="last backup")
    day = r"(tomorrow |yesterday )?"  # a time on another day than today says which (CI ran this at 23:15 once)
    assert re.fullmatch(rf"last backup: {day}\d\d:\d\d:\d\d, {ago} \((full|incremental), \d+\.\d MB, before the test\)"
                        rf" · next {day}\d\d:\d\d:\d\d, in (60|59) min", backup), backup
    pack = browser.text("#upkeep .upkeep-pack", text="pack")
    last = upkeep["pack"]["last"]
    sizes = f"{last['size_before'] / 1e6:.1f} MB → {last['size_after'] / 1e6:.1f} MB"
    assert re.fullmatch(rf"pack: last {day}\d\d:\d\d:\d\d, {ago}: {last['outcome']}, {re.escape(sizes)} in \d+(\.\d)? s", pack), pack
    whole = browser.text("#upkeep")
    assert whole.startswith(f"image {upkeep['image_bytes'] / 1e6:.1f} MB") and "backup failed" not in whole
    assert not re.search(r"\d{4}-\d\d-\d\dT|\d{9,}|[{}\[\]\"]|\bnull\b|undefined", whole), whole  # no ISO time, epoch or JSON
    browser.screenshot("inspector-upkeep")
    # a failed backup and a pack under way, as the kernel's status words them
    browser.js('Object.assign(batos.kernel.upkeep, {last_backup_failure: {time: Date.now() / 1000 - 120, origin: "schedule", '
               'error: "OSError: no space left on device"}, pack: {running: {stage: "copying", done: 3, total: 7}, days: 0, '
               'last: null}}) && drawUpkeep()')
    failed = browser.text("#upkeep .upkeep-failure", text="backup failed")
    assert re.fullmatch(r"backup failed \d\d:\d\d:\d\d, 2 min ago \(schedule\): OSError: no space left on device", failed), failed
    assert browser.text("#upkeep .upkeep-pack", text="running") == "pack: running: copying 3/7"
    assert len(browser.js('document.querySelector("#upkeep").children')) == 4  # image, backup, failure, pack
