"""A real headless browser for the picture tests: Debian's ``chromium``, driven over
the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON messages ended
by a NUL byte on file descriptors 3 and 4), so no web socket library is needed and
one browser serves every page of a test session.

:meth:`Browser.render` opens a file, waits for it to load and returns what the page
did: the document's root element, the XML parser errors Chromium shows instead of a
broken SVG, every console message, uncaught exception and log entry of level
warning or error, and a PNG screenshot of the whole page.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from pathlib import Path

from compiler.record import define, field

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_CHROMIUM = "chromium is not installed (apt-get install chromium)"


@define
class Page:
    root: str  # local name of the document element (svg, html)
    parser_errors: int
    problems: list[str] = field(factory=list)  # console errors, exceptions, log errors
    png: bytes = b""
    width: int = 0
    height: int = 0


class BrowserError(Exception):
    pass


class Browser:
    def __init__(self, timeout: float = 60):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="domc-chromium.")
        cmd_r, self._cmd_w = os.pipe()  # we write, the browser reads fd 3
        self._out_r, out_w = os.pipe()  # the browser writes fd 4, we read

        def fds() -> None:
            os.dup2(cmd_r, 3)
            os.dup2(out_w, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars",
             "--remote-debugging-pipe", f"--user-data-dir={self.profile}", "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(out_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)

    # ------------------------------------------------------------ protocol
    def _send(self, msg: dict) -> None:
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")

    def _recv(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise BrowserError("the browser did not answer in time")
            chunk = os.read(self._out_r, 1 << 16)
            if not chunk:
                raise BrowserError("the browser closed the pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, session: bool = False) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        self._send(msg)
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._recv(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _wait_event(self, name: str) -> dict:
        deadline = time.monotonic() + self.timeout
        for i, e in enumerate(self.events):
            if e.get("method") == name:
                return self.events.pop(i)
        while True:
            e = self._recv(deadline)
            if e.get("method") == name:
                return e
            self.events.append(e)

    # ------------------------------------------------------------ pages
    def render(self, path: Path) -> Page:
        self.events.clear()
        self.call("Page.navigate", {"url": path.resolve().as_uri()}, session=True)
        self._wait_event("Page.loadEventFired")
        probe = self.call("Runtime.evaluate", {"returnByValue": True, "expression": (
            "JSON.stringify({root: document.documentElement.localName,"
            " errors: document.getElementsByTagName('parsererror').length,"
            " w: Math.ceil(document.documentElement.getBoundingClientRect().width),"
            " h: Math.ceil(document.documentElement.getBoundingClientRect().height)})")},
            session=True)
        info = json.loads(probe["result"]["value"])
        shot = self.call("Page.captureScreenshot", {"format": "png",
                                                    "captureBeyondViewport": True}, session=True)
        page = Page(info["root"], info["errors"], png=base64.b64decode(shot["data"]))
        page.width, page.height = png_size(page.png)
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                page.problems.append(f"exception: {p['exceptionDetails'].get('text')}")
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning",
                                                                       "assert"):
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
                page.problems.append(f"console.{p['type']}: {args}")
            elif m == "Log.entryAdded" and p["entry"].get("level") in ("error", "warning"):
                page.problems.append(f"log {p['entry']['level']}: {p['entry'].get('text')}")
        return page

    def close(self) -> None:
        try:
            self._send({"id": self._id + 1, "method": "Browser.close", "params": {}})
            self.proc.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self._cmd_w)
            os.close(self._out_r)
            shutil.rmtree(self.profile, ignore_errors=True)


# --------------------------------------------------------------------------- PNG


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def png_colors(data: bytes, limit: int = 64) -> int:
    """How many distinct pixel colours the PNG has (counting stops at ``limit``); 8-bit
    RGB or RGBA, as Chromium writes its screenshots."""
    w, h = png_size(data)
    depth, ctype = data[24], data[25]
    assert depth == 8 and ctype in (2, 6), f"unexpected PNG format {depth}/{ctype}"
    bpp = 3 if ctype == 2 else 4
    raw, pos = b"", 8
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            raw += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    pix = zlib.decompress(raw)
    stride = w * bpp
    prev = bytearray(stride)
    colors: set[bytes] = set()
    for y in range(h):
        f = pix[y * (stride + 1)]
        line = bytearray(pix[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        if y % 4 == 0:
            for i in range(0, stride, bpp * 3):
                colors.add(bytes(line[i:i + bpp]))
                if len(colors) >= limit:
                    return len(colors)
        prev = line
    return len(colors)
