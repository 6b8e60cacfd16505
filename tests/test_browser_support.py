"""tests/browser.py: a headless Chromium opens a real page served over HTTP, waits on it, and takes its picture."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from browser import ARTIFACTS, FLAGS, Browser, browser_or_skip, chromedriver_path, chromium_path, open_browser

PAGE = b"""<!doctype html>
<html><head><title>browser support</title></head>
<body>
<p id="first">there at once</p>
<script>
  // what the inspector's page does, in small: something drawn later, and a flag on the body
  setTimeout(function () {
    var card = document.createElement("div");
    card.dataset.card = "genesis_obj";
    card.textContent = "genesis_obj: drawn later";
    document.body.appendChild(card);
    document.body.dataset.world = "ready";
    window.batos = {loadMs: performance.now()};
  }, 300);
</script>
</body></html>
"""


@pytest.fixture
def page_url():
    """The page above, served by Python's http.server on a free port (in a thread of this process)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args) -> None:  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_a_page_is_opened_waited_on_and_photographed(tmp_path, page_url):
    with open_browser(tmp_path) as browser:
        browser.get(page_url)
        assert browser.text("#first") == "there at once"
        card = browser.wait_for('[data-card="genesis_obj"]', text="drawn later")  # appears after 300 ms
        assert card.text == "genesis_obj: drawn later"
        load_ms = browser.wait_js('document.body.dataset.world === "ready" && window.batos.loadMs')
        assert 250 <= load_ms < 10_000
        assert browser.js("arguments[0] + 1", 41) == 42
        shot = browser.screenshot("browser_support")
        assert shot == ARTIFACTS / "browser_support.png"
        assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and shot.stat().st_size > 1000
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith("chromium-profile-")]  # its own profile, here
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("chromium-profile-")]  # removed at the end


def test_text_is_read_from_an_element_the_page_keeps_redrawing(tmp_path, page_url):
    """A stream event re-renders cards between a find and a read: text() finds the element again (CI's flake)."""
    with open_browser(tmp_path) as browser:
        browser.get(page_url)
        browser.js("(window.spin = setInterval(() => {"
                   " const old = document.getElementById('spinning'); if (old) old.remove();"
                   " document.body.insertAdjacentHTML('beforeend', '<p id=spinning>redrawn</p>'); }, 20), 1)")
        assert [browser.text("#spinning") for _ in range(40)] == ["redrawn"] * 40


def test_a_wait_that_times_out_says_what_the_page_showed(tmp_path, page_url):
    with open_browser(tmp_path) as browser:
        browser.get(page_url)
        browser.js("console.error('a message for the failure')")
        with pytest.raises(AssertionError) as failed:
            browser.wait_for("#never", timeout=0.5)
        message = str(failed.value)
        assert "'#never'" in message and page_url in message and "'browser support'" in message
        assert "a message for the failure" in message
        with pytest.raises(AssertionError, match="window.nothing.here"):
            browser.wait_js("window.nothing.here", timeout=0.5)  # a JavaScript error is waited through, then said


def test_the_browser_is_the_systems_and_headless(tmp_path):
    browser_or_skip()
    assert Path(chromium_path()).is_file() and Path(chromedriver_path()).is_file()
    assert "--headless" in FLAGS and "--no-sandbox" in FLAGS
    with Browser() as browser:  # no folder given: a temporary one of its own, removed at the end
        workdir = browser.workdir
        assert browser.js("navigator.webdriver") is True
        assert "HeadlessChrome" in browser.js("navigator.userAgent")
    assert not workdir.exists()


def test_no_browser_skips_or_fails_under_batos_require_browser(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("BATOS_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Chromium and no chromedriver"):
        browser_or_skip()
    monkeypatch.setenv("BATOS_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="BATOS_REQUIRE_BROWSER=1 but no Chromium"):
        browser_or_skip()
