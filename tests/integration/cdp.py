"""A small Chrome DevTools Protocol client for the browser tests: Debian's headless Chromium driven
over its DevTools WebSocket (the ``websockets`` package), without Playwright or a driver binary.

One browser connection, one page attached to it as a flat session (``Target.attachToTarget`` with
``flatten``), so every command and event travels on the same socket tagged with its ``sessionId``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

__all__ = ["CHROMIUM", "Browser", "CdpError", "Page", "launch"]

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",  # the tests may run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",  # any free port; Chromium writes it to DevToolsActivePort
)
COMMAND_TIMEOUT_S = 30.0


class CdpError(Exception):
    """A DevTools command failed, or the page threw while evaluating."""


class Browser:
    """One DevTools connection: sends commands, matches replies by id, and queues events."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._waiters: list[tuple[str, str | None, asyncio.Future[dict[str, Any]]]] = []
        self.events: list[tuple[str, dict[str, Any]]] = []  # every event, for failure messages
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self._ws:
            message: dict[str, Any] = json.loads(raw)
            if "id" in message:
                future = self._pending.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message)
                continue
            method, session = message.get("method", ""), message.get("sessionId")
            self.events.append((method, message.get("params", {})))
            for waiter in [w for w in self._waiters if w[0] == method and w[1] in (None, session)]:
                self._waiters.remove(waiter)
                if not waiter[2].done():
                    waiter[2].set_result(message.get("params", {}))

    async def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> Any:
        """Run one command; its ``result``, or :class:`CdpError` with the browser's message."""
        command_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[command_id] = future
        command: dict[str, Any] = {"id": command_id, "method": method, "params": params or {}}
        if session is not None:
            command["sessionId"] = session
        await self._ws.send(json.dumps(command))
        reply = await asyncio.wait_for(future, timeout=COMMAND_TIMEOUT_S)
        if "error" in reply:
            raise CdpError(f"{method}: {reply['error'].get('message')} {reply['error'].get('data', '')}")
        return reply.get("result", {})

    def expect(self, method: str, session: str | None = None) -> asyncio.Future[dict[str, Any]]:
        """A future for the next ``method`` event; ask *before* the command that causes it."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters.append((method, session, future))
        return future

    async def new_page(self, width: int, height: int) -> Page:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
        page = Page(self, attached["sessionId"])
        for domain in ("Page.enable", "Runtime.enable"):
            await page.send(domain)
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        return page

    async def close(self) -> None:
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
        await self._ws.close()


class Page:
    """A page (tab) on its own flat session."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    async def send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return await self.browser.send(method, params, self.session)

    async def navigate(self, url: str, timeout_s: float = COMMAND_TIMEOUT_S) -> None:
        """Load ``url`` and wait for its load event (scripts of type module have run by then)."""
        loaded = self.browser.expect("Page.loadEventFired", self.session)
        result = await self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise CdpError(f"navigating to {url}: {result['errorText']}")
        await asyncio.wait_for(loaded, timeout=timeout_s)

    async def evaluate(self, expression: str) -> Any:
        """The JSON value of ``expression`` in the page (promises awaited); a throw is a CdpError."""
        result = await self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError(f"evaluating {expression!r}: {text}")
        return result["result"].get("value")

    async def screenshot(self, clip: dict[str, float] | None = None) -> bytes:
        """A PNG of the viewport (or of ``clip``: x, y, width, height in CSS pixels)."""
        params: dict[str, Any] = {"format": "png"}
        if clip is not None:
            params["clip"] = {**clip, "scale": 1}
        result = await self.send("Page.captureScreenshot", params)
        return base64.b64decode(result["data"])

    def errors(self) -> list[str]:
        """Uncaught exceptions and console errors the page reported so far."""
        found: list[str] = []
        for method, params in self.browser.events:
            if method == "Runtime.exceptionThrown":
                found.append(params["exceptionDetails"].get("exception", {}).get("description", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        return found


def _devtools_port(user_data: Path, proc: subprocess.Popen[bytes], log: Path, timeout_s: float) -> str:
    """The browser's DevTools WebSocket URL, from the DevToolsActivePort file Chromium writes."""
    active = user_data / "DevToolsActivePort"
    deadline = time.monotonic() + timeout_s
    while True:
        if active.is_file():
            lines = active.read_text().splitlines()
            if len(lines) >= 2:  # port, then the browser target's path; written in one go, read whole
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        if proc.poll() is not None:
            raise CdpError(f"Chromium exited with {proc.returncode} at start; its log: {log}")
        if time.monotonic() > deadline:
            raise CdpError(f"Chromium wrote no DevToolsActivePort within {timeout_s:.0f}s; its log: {log}")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    # The whole process group of the browser started here (its own session), nothing else.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _start(user_data: Path, log: Path) -> subprocess.Popen[bytes]:
    user_data.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as err:
        # A session of its own: the renderers and zygote join its process group, stopped with it.
        return subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={user_data}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


@contextlib.asynccontextmanager
async def launch(user_data: Path, log: Path, start_timeout_s: float = 30.0) -> AsyncIterator[Browser]:
    """Headless Chromium with a profile in ``user_data`` and its stderr in ``log``, stopped at exit."""
    proc = await asyncio.to_thread(_start, user_data, log)
    try:
        url = await asyncio.to_thread(_devtools_port, user_data, proc, log, start_timeout_s)
        # Screenshots come back as one base64 message of several MB.
        async with connect(url, max_size=None, open_timeout=start_timeout_s) as ws:
            browser = Browser(ws)
            try:
                yield browser
            finally:
                await browser.close()
    finally:
        await asyncio.to_thread(_stop, proc)
