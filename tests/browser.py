"""Headless Chromium for the browser tests, driven by selenium (a support module, not a test file).

::

    from browser import open_browser

    def test_the_world_is_drawn(tmp_path):
        with open_browser(tmp_path) as browser:          # skips (or fails in CI) where there is no Chromium
            browser.get(url)
            browser.wait_js('document.body.dataset.world === "ready"')
            card = browser.wait_for('[data-card="genesis_obj"]', text="genesis_obj")
            browser.screenshot("world")                  # .ci/artifacts/world.png

Chromium and chromedriver are the system's (Debian: ``apt-get install chromium chromium-driver``; ``./run.sh
test`` installs them where it can). selenium is given the driver's path and the browser's, and is told it is
offline (``SE_OFFLINE``), so selenium-manager never downloads anything. Where either is missing,
:func:`browser_or_skip` skips the test, or fails it under ``BATOS_REQUIRE_BROWSER=1`` (as ``.ci/run`` sets):
in CI a browser test that cannot run is a failure, not a quiet skip.

Each :class:`Browser` is a fresh headless Chromium with a profile of its own in a temporary folder, no
network of its own (no sync, updates or background requests), a 1400x900 window. A wait that times out
says what the page showed: its URL, title and the browser console's last lines (JavaScript errors).
Screenshots go to ``.ci/artifacts/`` (ignored by git), for a person to look at after a CI run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / ".ci" / "artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--window-size=1400,900",
)
PAGE_LOAD_TIMEOUT = 30.0  # seconds for a navigation (get, reload) to finish loading
STARTS = 2  # tries to start Chromium before a test fails


def chromium_path() -> str | None:
    """The Chromium (or Chrome) program on PATH, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromedriver_path() -> str | None:
    """The chromedriver program on PATH, or None."""
    return shutil.which("chromedriver")


def missing() -> str | None:
    """Why no browser test can run here, or None when one can."""
    lacking = [what for what, path in (("Chromium", chromium_path()), ("chromedriver", chromedriver_path())) if path is None]
    try:
        import selenium  # noqa: F401
    except ImportError:
        lacking.append("selenium (requirements-dev.txt)")
    if not lacking:
        return None
    return (f"no {' and no '.join(lacking)} here (Debian: apt-get install --no-install-recommends chromium chromium-driver; "
            "./run.sh test installs them where it can)")


def browser_or_skip() -> None:
    """Skip the calling test where no browser test can run; fail it instead under BATOS_REQUIRE_BROWSER=1 (CI)."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get("BATOS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"BATOS_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


class Browser:
    """One headless Chromium under chromedriver, with a profile of its own; ``quit`` (or the ``with`` block) ends it.

    ``workdir``: where the profile and chromedriver's log go (a temporary folder, removed at ``quit``, without).
    """

    def __init__(self, workdir: Path | None = None, *, page_load_timeout: float = PAGE_LOAD_TIMEOUT) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        os.environ["SE_OFFLINE"] = "true"  # selenium-manager, should anything reach it: never download
        reason = missing()
        if reason is not None:
            raise RuntimeError(reason)
        self._own_dir = workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="batos-browser-")) if workdir is None else Path(workdir)
        self.profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=self.workdir))
        options = webdriver.ChromeOptions()
        options.binary_location = chromium_path()
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, for messages on a failed wait
        from selenium.common.exceptions import SessionNotCreatedException

        for attempt in range(STARTS):
            service = Service(executable_path=chromedriver_path(), log_output=str(self.workdir / "chromedriver.log"))
            try:
                self.driver = webdriver.Chrome(options=options, service=service)
                break
            except SessionNotCreatedException:
                # a machine busy with the real-model tests beside it can keep Chromium from starting within
                # chromedriver's wait ("DevToolsActivePort file doesn't exist", seen once in a CI-like run)
                if attempt + 1 < STARTS:
                    continue
                self._remove_dirs()
                raise
            except Exception:
                self._remove_dirs()
                raise
        self.driver.set_page_load_timeout(page_load_timeout)

    # --- navigation and waiting ------------------------------------------------------------------

    def get(self, url: str) -> None:
        """Open ``url`` and wait until it has loaded (at most the page load timeout)."""
        self.driver.get(url)

    def reload(self) -> None:
        self.driver.refresh()

    def js(self, expr: str, *args: Any) -> Any:
        """The value of the JavaScript expression ``expr`` in the page (``arguments[0]``... are ``args``)."""
        return self.driver.execute_script(f"return ({expr});", *args)

    def wait_js(self, expr: str, timeout: float = 10) -> Any:
        """Wait until the JavaScript expression ``expr`` is truthy in the page; returns its value."""
        from selenium.common.exceptions import JavascriptException

        return self._wait(lambda driver: self.js(expr), f"JavaScript {expr!r} to be true", timeout, (JavascriptException,))

    def wait_for(self, css: str, timeout: float = 10, text: str | None = None) -> Any:
        """Wait until an element matching the CSS selector ``css`` is there (and, with ``text``, holds that text
        in what it shows); returns the first such element (a selenium WebElement)."""
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By

        def found(driver: Any) -> Any:
            for element in driver.find_elements(By.CSS_SELECTOR, css):
                if text is None or text in element.text:
                    return element
            return False

        what = f"an element {css!r}" + (f" showing {text!r}" if text is not None else "")
        return self._wait(found, what, timeout, (StaleElementReferenceException,))

    def text(self, css: str, timeout: float = 10, text: str | None = None) -> str:
        """What the first element :meth:`wait_for` finds shows, read in the same wait: an element the page
        redraws between the finding and the reading (a stream event re-renders cards) is found again."""
        from selenium.common.exceptions import StaleElementReferenceException

        def read(driver: Any) -> tuple[str]:
            return (self.wait_for(css, timeout, text).text,)  # a tuple: an element showing nothing is truthy too

        return self._wait(read, f"the text of {css!r}", timeout, (StaleElementReferenceException,))[0]

    def click(self, css: str, timeout: float = 10, text: str | None = None) -> None:
        """Click the first element :meth:`wait_for` finds; found again and clicked again when the page redrew it
        between the finding and the click (a stream event re-renders cards)."""
        from selenium.common.exceptions import StaleElementReferenceException

        def clicked(driver: Any) -> bool:
            self.wait_for(css, timeout, text).click()
            return True

        self._wait(clicked, f"a click on {css!r}", timeout, (StaleElementReferenceException,))

    def _wait(self, condition: Any, what: str, timeout: float, ignored: tuple) -> Any:
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05, ignored_exceptions=ignored).until(condition)
        except TimeoutException as exc:
            raise AssertionError(f"waited {timeout:g}s for {what}; {self.describe()}") from exc

    # --- what the page shows ---------------------------------------------------------------------

    def console(self) -> list[str]:
        """The browser console's messages since the last call (JavaScript errors among them)."""
        from selenium.common.exceptions import WebDriverException

        try:
            return [f"{entry.get('level')}: {entry.get('message')}" for entry in self.driver.get_log("browser")]
        except WebDriverException:  # a driver that cannot say is no reason to hide the caller's own failure
            return []

    def describe(self) -> str:
        """The page's URL, title and last console lines, for a failure message."""
        from selenium.common.exceptions import WebDriverException

        try:
            url, title = self.driver.current_url, self.driver.title
        except WebDriverException as exc:  # the same: describe what can be described
            return f"the browser does not answer ({type(exc).__name__}: {exc})"
        lines = self.console()[-10:]
        return f"page {url} titled {title!r}; console: " + (" | ".join(lines) if lines else "(nothing)")

    def screenshot(self, name: str) -> Path:
        """Save what the window shows as ``.ci/artifacts/<name>.png``; returns the path."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        if not self.driver.save_screenshot(str(path)):
            raise RuntimeError(f"the browser could not save a screenshot to {path}")
        return path

    # --- the end ---------------------------------------------------------------------------------

    def quit(self) -> None:
        driver, self.driver = getattr(self, "driver", None), None
        try:
            if driver is not None:
                driver.quit()
        finally:
            self._remove_dirs()

    def _remove_dirs(self) -> None:
        shutil.rmtree(self.profile, ignore_errors=True)
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.quit()


def open_browser(tmp_path: Path) -> Browser:
    """A started :class:`Browser` working in ``tmp_path``, after :func:`browser_or_skip`: ``with open_browser(tmp_path) as b``."""
    browser_or_skip()
    return Browser(tmp_path)
