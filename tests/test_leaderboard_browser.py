"""The leaderboard page in a real headless Chromium: it loads, shows the expected rows, logs no errors.

Talks to Chromium through the DevTools protocol over ``--remote-debugging-pipe`` (JSON messages
on file descriptors 3 and 4), which needs no websocket library. Skipped where no Chromium is
installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from interpbench.leaderboard.render import build

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome", "chrome")) if p), None)
TIMEOUT_S = 60.0


def _pipe_fds(read_end: int, write_end: int) -> None:
    """In the child: Chromium reads commands on fd 3 and writes replies and events on fd 4."""
    # Move both ends above any low fd first, so putting one on 3 cannot clobber the other.
    high_read = fcntl.fcntl(read_end, fcntl.F_DUPFD, 100)
    high_write = fcntl.fcntl(write_end, fcntl.F_DUPFD, 100)
    os.dup2(high_read, 3)
    os.dup2(high_write, 4)


class DevTools:
    """A minimal DevTools-protocol client over Chromium's pipe transport."""

    def __init__(self, user_data_dir: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        self.proc = subprocess.Popen(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
                "--hide-scrollbars", "--window-size=1400,900", f"--user-data-dir={user_data_dir}",
                "--remote-debugging-pipe", "about:blank",
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False,  # the child's fds 3 and 4 are set up by _pipe_fds; Python's own fds are non-inheritable
            preexec_fn=lambda: _pipe_fds(to_chrome_r, from_chrome_w),
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_chrome], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send a command and wait for its reply; events that arrive meanwhile are kept in ``events``."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT_S
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def _problems(events: list[dict[str, Any]]) -> list[str]:
    """Console errors/warnings, uncaught exceptions and failed loads (Log domain: network, security…)."""
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
            found.append(f"console.{params['type']}: " + " ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            found.append(f"exception: {params.get('exceptionDetails', {}).get('text')}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
            entry = params["entry"]
            found.append(f"{entry.get('source')} {entry['level']}: {entry.get('text')} {entry.get('url', '')}".strip())
    return found


# What a reader sees: the page's own width against the viewport's (no sideways scrolling), each
# headline row's box, and whether opening a row's details shows them. Evaluated after load.
LAYOUT_PROBE = """JSON.stringify({
    viewport: window.innerWidth,
    page_width: document.documentElement.scrollWidth,
    rows: [...document.querySelectorAll('table.headline tr.entry')].map(r => {
        const box = r.getBoundingClientRect(); return {id: r.dataset.id, width: box.width, height: box.height, right: box.right};
    }),
    opened: (() => {
        const d = document.querySelector('tr.details details'); if (!d) return null;
        const before = d.querySelector('dl').checkVisibility();
        d.querySelector('summary').click();
        const dl = d.querySelector('dl').getBoundingClientRect();
        return {visible_before: before, visible_after: d.querySelector('dl').checkVisibility(), open: d.open, height: dl.height, right: dl.right};
    })(),
    scripts: document.scripts.length,
    handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
    links: [...document.querySelectorAll('[href],[src]')].map(e => e.getAttribute('href') || e.getAttribute('src')),
    pwned: window.__pwned === true,
})"""


def load_page(page: Path, profile: Path, screenshot: Path | None = None, width: int | None = None) -> dict[str, Any]:
    """Open ``page`` in headless Chromium; return its rows, image states and any console problems.

    ``width``: emulate a viewport that wide (a phone at 390); the layout probe's results are in
    ``state["layout"]``."""
    browser = DevTools(profile)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        if width is not None:
            browser.send("Emulation.setDeviceMetricsOverride",
                         {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 700}, session=session)
        browser.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired")
        probe = """JSON.stringify({
            title: document.title,
            tables: Object.fromEntries([...document.querySelectorAll('table')].map(t =>
                [t.id, [...t.querySelectorAll('tbody tr.entry')].map(r => r.dataset.id)])),
            images: [...document.images].map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0}))
        })"""
        state = json.loads(browser.send("Runtime.evaluate", {"expression": probe, "returnByValue": True}, session=session)["result"]["value"])
        state["layout"] = json.loads(browser.send("Runtime.evaluate", {"expression": LAYOUT_PROBE, "returnByValue": True}, session=session)["result"]["value"])
        if screenshot is not None:
            shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        state["problems"] = _problems(browser.events)
        return state
    finally:
        browser.close()


@pytest.fixture()
def built(tmp_path: Path) -> Path:
    """A copy of the repo's leaderboard entries and figures, built into tmp_path."""
    root = tmp_path / "leaderboard"
    shutil.copytree(REPO / "leaderboard" / "results", root / "results")
    if (REPO / "leaderboard" / "figures").is_dir():
        shutil.copytree(REPO / "leaderboard" / "figures", root / "figures")
    build(root)
    return root


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary found (chromium, chromium-browser, google-chrome); apt-get install chromium")
def test_page_loads_with_expected_rows_and_no_console_errors(built: Path, tmp_path: Path) -> None:
    ids = sorted(p.stem for p in (built / "results").glob("*.json"))
    shot = Path(os.environ.get("INTERPBENCH_SCREENSHOT", tmp_path / "page.png"))
    state = load_page(built / "index.html", tmp_path / "profile", screenshot=shot)
    assert state["title"] == "interpbench leaderboard"
    # The first headline table is the lines suite's; entries of other suites have tables of their own.
    on_lines = sorted(p.stem for p in (built / "results").glob("*.json")
                      if json.loads(p.read_text())["protocol"].get("suite", "lines") == "lines")
    assert sorted(state["tables"]["table-lines"]) == on_lines
    assert set(ids) <= {i for rows in state["tables"].values() for i in rows}
    assert {"oracle-v1", "pixels-v1"} <= set(state["tables"]["table-paper"])
    assert state["images"] and all(img["ok"] for img in state["images"]), state["images"]
    assert state["problems"] == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary found (chromium, chromium-browser, google-chrome); apt-get install chromium")
def test_browser_check_catches_a_broken_page(built: Path, tmp_path: Path) -> None:
    # The check must be able to fail: a missing image and a script error are both reported.
    page = built / "index.html"
    page.write_text(
        page.read_text(encoding="utf-8").replace(
            "</body>", '<img src="figures/missing.png" alt="x"><script>console.error("deliberate")</script></body>'
        ),
        encoding="utf-8",
    )
    state = load_page(page, tmp_path / "profile")
    assert any("deliberate" in p for p in state["problems"]), state["problems"]
    assert any("missing.png" in p or "ERR_FILE_NOT_FOUND" in p for p in state["problems"]), state["problems"]
    assert not all(img["ok"] for img in state["images"])


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary found (chromium, chromium-browser, google-chrome); apt-get install chromium")
@pytest.mark.parametrize("width", [1280, 390])
def test_headline_reads_at_desktop_and_phone_widths_and_rows_open(built: Path, tmp_path: Path, width: int) -> None:
    shot = Path(os.environ.get("INTERPBENCH_SCREENSHOT_DIR", tmp_path)) / f"page-{width}.png"
    state = load_page(built / "index.html", tmp_path / "profile", screenshot=shot, width=width)
    layout = state["layout"]
    assert layout["viewport"] == width
    assert layout["page_width"] <= width, "the page scrolls sideways"
    ids = sorted(p.stem for p in (built / "results").glob("*.json"))
    assert sorted(r["id"] for r in layout["rows"]) == ids
    assert all(0 < r["width"] and r["right"] <= width + 0.5 for r in layout["rows"]), layout["rows"]
    opened = layout["opened"]
    assert not opened["visible_before"] and opened["visible_after"] and opened["open"]
    assert opened["height"] > 0 and opened["right"] <= width + 0.5
    assert state["problems"] == []


HOSTILE = {
    "name": '<script>window.__pwned = true</script><img src=x onerror="window.__pwned = true">|pipe\nnew row\r',
    "hardware": 'CPU <b onmouseover="window.__pwned = true">x</b>',
}


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary found (chromium, chromium-browser, google-chrome); apt-get install chromium")
def test_hostile_entry_text_stays_text_in_the_browser(tmp_path: Path) -> None:
    from tests_hostile import hostile_leaderboard  # noqa: PLC0415 - shared with test_leaderboard_escaping

    root = hostile_leaderboard(tmp_path / "lb", HOSTILE)
    state = load_page(root / "index.html", tmp_path / "profile")
    layout = state["layout"]
    assert layout["scripts"] == 0 and layout["handlers"] == 0 and not layout["pwned"]
    assert not any(link.lower().startswith("javascript:") for link in layout["links"])
    assert state["problems"] == []
