"""The web inspector's hand-over and corrections (bat_os/web/page/drafts.js) in a real headless Chromium: a failed
cycle's draft opened, an edit refused then installed, an example given that lets the cycle learn, a draft dropped,
and a method's answer said to be wrong and corrected. A real kernel subprocess (the replay backend), the inspector
in another; every test asserts on what the page shows and on the kernel."""

from __future__ import annotations

import json

import pytest

from browser import open_browser
from support import KernelProcess
from test_drafts import AKL, AKL_TOO, AL, DOTTED, DOTTED_TOO, LEARN, cassette
from web_support import WebProcess

INITIALS = {"command": "source", "target": "genesis_obj", "selector": "initials"}


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    with open_browser(tmp_path_factory.mktemp("chromium")) as browser:
        yield browser


@pytest.fixture
def browser(chromium):
    yield chromium
    chromium.get("about:blank")


@pytest.fixture
def failed(tmp_path):
    """(kernel, cycle, inspector): a kernel whose cycle for initials failed (no candidate wrote the dots the
    person's example has), the next candidates in its cassette dotted; an inspector on it."""
    kernel = KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette(tmp_path, AKL, AL, DOTTED, DOTTED_TOO)),
                                          "BATOS_CYCLE_MAX_ATTEMPTS": "2", "BATOS_JAIL_WALL_SECONDS": "2"}).start()
    web = None
    try:
        reply = kernel.request(LEARN, timeout=60)
        assert reply["status"] == "error" and reply["error"]["code"] == "cycle_failed", reply
        web = WebProcess(kernel.endpoint, tmp_path).start()
        yield kernel, reply["error"]["cycle"], web
    finally:
        if web is not None:
            web.stop()
        kernel.stop()


def open_draft(browser, web, cycle):
    browser.get(web.url)
    browser.wait_js('document.body.dataset.world === "ready" && document.body.dataset.link === "up"', timeout=20)
    card = browser.wait_for(f'#drafts [data-draft="{cycle}"]', timeout=10)
    assert card.text.startswith(f"{cycle}: initials") and "on genesis_obj" in card.text
    assert browser.text("#draft-count") == "(1)"
    browser.click(f'#drafts [data-draft="{cycle}"]')
    browser.wait_js(f'document.querySelector("#inspector").dataset.target === "draft:{cycle}"', timeout=30)


def test_a_failed_cycles_draft_shows_the_calls_it_fails_and_an_edit_that_holds_them_installs(failed, browser):
    kernel, cycle, web = failed
    open_draft(browser, web, cycle)
    assert "It gets 1 of your 1 calls wrong" in browser.text("#inspector h3")
    assert browser.text("#inspector .failing-call").startswith("initials('Grace Hopper') should give 'G.H.'")
    assert "but it returned 'GH'" in browser.text("#inspector .failing-call .meta")
    area = browser.wait_for("#inspector .draft-source")
    assert area.get_attribute("value") == AKL  # the best try, in the editor
    browser.screenshot("inspector-draft")
    # an edit that still fails the person's call: refused with the failure, nothing installed
    browser.js("document.querySelector('#inspector .draft-source').value = arguments[0]", AKL_TOO)
    browser.click("#inspector .draft-save")
    refused = browser.wait_for("#inspector .draft-result.error", text="tests_failed", timeout=30)
    assert "nothing changed" in refused.text and "G.H." in refused.text
    assert kernel.request(INITIALS)["status"] == "error"
    # the fix: installed with the person's call as its test, the draft listed no more
    browser.js("document.querySelector('#inspector .draft-source').value = arguments[0]", DOTTED)
    browser.click("#inspector .draft-save")
    done = browser.wait_for("#inspector .draft-result.ok", timeout=30)
    assert "installed initials v1" in done.text
    source = kernel.request(INITIALS)["result"]
    assert source["source"] == DOTTED and {"args": ["Grace Hopper"], "kwargs": {}, "result": "G.H."} in source["tests"]
    browser.wait_for("#drafts .empty", text="No failed cycle waits for you.", timeout=10)
    assert kernel.request({"command": "drafts"})["result"]["total"] == 0


def test_an_example_given_to_a_draft_lets_its_cycle_go_on_and_learn(failed, browser):
    kernel, cycle, web = failed
    open_draft(browser, web, cycle)
    assert browser.wait_for("#inspector .example-args").get_attribute("value") == '["Grace Hopper"]'  # the failing call offered
    bad = browser.wait_for("#inspector .example-args")
    bad.clear()
    bad.send_keys("Ada King Lovelace")  # not JSON: refused on the page, nothing sent
    browser.wait_for("#inspector .example-answer").send_keys("A.K.L.")
    browser.click("#inspector .example-send")
    assert "arguments as JSON" in browser.text("#inspector .draft-result.error")
    assert kernel.request({"command": "drafts"})["result"]["total"] == 1
    bad.clear()
    bad.send_keys('["Ada King Lovelace"]')
    browser.click("#inspector .example-send")  # a plain answer is a plain answer: A.K.L. is the text "A.K.L."
    learned = browser.wait_for("#inspector .draft-result.ok", timeout=60)
    assert learned.text == "learned: initials('Ada King Lovelace') now answers 'A.K.L.'"
    assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "initials", "args": ["Alan Turing"]})["result"] == "A.T."
    browser.wait_for("#drafts .empty", timeout=10)


def test_a_dropped_draft_leaves_the_list_and_installs_nothing(failed, browser):
    kernel, cycle, web = failed
    open_draft(browser, web, cycle)
    browser.js("window.confirm = () => true")
    browser.click("#inspector .draft-drop")
    assert "Dropped the draft of initials" in browser.text("#inspector .ok")
    browser.wait_for("#drafts .empty", timeout=10)
    assert kernel.request({"command": "draft_edit", "cycle": cycle, "source": DOTTED})["error"]["code"] == "answered"
    assert kernel.request(INITIALS)["status"] == "error"


def test_wrong_under_a_methods_answer_keeps_the_right_one_as_its_test_and_relearns(tmp_path, browser):
    kernel = KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette(tmp_path, DOTTED, DOTTED_TOO)),
                                          "BATOS_CYCLE_MAX_ATTEMPTS": "2", "BATOS_JAIL_WALL_SECONDS": "2"}).start()
    web = None
    try:
        assert kernel.request({"command": "set_method", "target": "genesis_obj", "selector": "initials", "source": AKL}, timeout=30)["status"] == "ok"
        web = WebProcess(kernel.endpoint, tmp_path).start()
        browser.get(web.url)
        browser.wait_js('document.body.dataset.world === "ready" && document.body.dataset.link === "up"', timeout=20)
        browser.click('[data-card="genesis_obj"]')
        browser.wait_js('document.querySelector("#inspector").dataset.target === "genesis_obj"')
        browser.click('#inspector .own [data-method="initials"] a')
        browser.wait_for("#method pre.source", text="def initials")
        browser.wait_for("#method .call-args").send_keys('["Ada King Lovelace"]')
        browser.click("#method .call-send")
        assert browser.text("#method .call-answer .said.ok") == "initials('Ada King Lovelace') -> 'AKL'"
        browser.click("#method .call-answer .wrong")
        browser.wait_for("#method .wrong-answer").send_keys('"A.K.L."')
        browser.click("#method .wrong-send")
        browser.wait_for("#method .method-name", text="v2/2", timeout=60)  # relearned: the method's view shows its new version
        source = kernel.request(INITIALS)["result"]
        assert source["version"] == 2 and source["source"] in (DOTTED, DOTTED_TOO)
        assert {"args": ["Ada King Lovelace"], "kwargs": {}, "result": "A.K.L."} in source["tests"]  # kept as its test
        assert "initials('Ada King Lovelace') -> 'A.K.L.'" in browser.text("#method .tests")
        versions = kernel.request({"command": "history", "target": "genesis_obj", "selector": "initials"})["result"]["versions"]
        assert [v["version"] for v in versions] == [1, 2]  # the old version stays in its history
    finally:
        if web is not None:
            web.stop()
        kernel.stop()


def test_a_sentence_whose_cycle_fails_offers_its_best_try_at_once(tmp_path, browser):
    """Talk: the sentence's cycle fails (both candidates raise at the call asked); the answer box says so and opens
    the draft; the person's fix installs."""
    raising = "def get_initials(self, name):\n    return name.split()[5][0]"
    raising_too = "def get_initials(self, name):\n    return name[99]"
    right = "def get_initials(self, name):\n    return ''.join(part[0] for part in name.split())"
    lines = [{"persona": "BRICK", "contains": "Selector: get_initials", "response": json.dumps(["the initials of a name"])}]
    lines += [{"persona": "ALFRED", "contains": " get_initials(", "response": f"```python\n{code}\n```"} for code in (raising, raising_too)]
    cassette_path = tmp_path / "get_initials.jsonl"
    cassette_path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    kernel = KernelProcess(tmp_path, env={"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(cassette_path), "BATOS_TRANSLATOR": "local",
                                          "BATOS_CYCLE_MAX_ATTEMPTS": "2", "BATOS_JAIL_WALL_SECONDS": "2"}).start()
    web = None
    try:
        web = WebProcess(kernel.endpoint, tmp_path).start()
        browser.get(web.url)
        browser.wait_js('document.body.dataset.world === "ready" && document.body.dataset.link === "up"', timeout=20)
        browser.wait_for("#talk-text").send_keys('create a method to get the initials of "Ada King Lovelace"')
        browser.click("#talk-translate")
        browser.wait_for("#brief .brief-json", text="get_initials", timeout=30)
        browser.click("#brief-send")
        failed = browser.wait_for("#talk-answer.error .said", text="cycle_failed", timeout=60)
        assert "IndexError" in failed.text
        browser.click("#talk-answer .open-draft")
        browser.wait_js('document.querySelector("#inspector").dataset.target.startsWith("draft:")', timeout=30)
        assert browser.text("#inspector h2").startswith("Draft of get_initials")
        browser.js("document.querySelector('#inspector .draft-source').value = arguments[0]", right)
        browser.click("#inspector .draft-save")
        assert "installed get_initials v1" in browser.text("#inspector .draft-result.ok", timeout=30)
        assert kernel.request({"command": "send", "target": "genesis_obj", "selector": "get_initials", "args": ["Ada King Lovelace"],
                               "learn": False})["result"] == "AKL"
    finally:
        if web is not None:
            web.stop()
        kernel.stop()
