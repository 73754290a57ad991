"""The app's own speed, in process with Pilot, against real images.

Run stand-alone: `.venv/bin/python bench/tui.py [--images 25] [--keys 200] [--prints 50]
[--opens 200] [--flood 100000]`.

In a private temporary STUI_HOME:

1. start-up: from constructing the app to the first interactive frame (the workspace
   editor of the first image has the focus and takes keys); the images connect later;
2. print-it: from the Ctrl+P key to the result in the editor, on one real image;
0. the floor: the same key on a bare TextArea app, which is what Pilot's press itself
   costs (it waits for the screen to settle), so figures can be read against it;
3. key latency: with `--images` images connected and one of them SIGSTOPped (slow, not
   gone), from a key press to the character in the editor;
4. opening a class in the browser: from the request to the class shown (its category
   marked, its classes, protocols, selectors and definition filled: four round trips),
   over the classes of the image's first categories, Object among them;
5. key latency during a Transcript flood: the image prints `--flood` lines with
   `Transcript show:` (a do-it of the same session, sent beside the workspace) while keys
   are typed in the workspace; only the keys typed before the flood's last line arrived
   count.

Every VM this run started is stopped on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time

from textual import events
from textual.app import App

from stui import launcher, tools
from stui.tools import browse
from stui.tui.app import StuiApp
from stui.tui.config import TuiConfig
from stui.tui.widgets.editor import SmalltalkEditor

SIZE = (120, 36)


def figures(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, round(0.99 * len(ms)))]
    return f"{name}: n={len(ms)} p50={statistics.median(ms):.1f} ms p99={p99:.1f} ms max={ms[-1]:.1f} ms"


def type_key(app: App[object], key: str) -> None:
    """Deliver one key as the terminal driver does, without Pilot's wait for the screen to
    settle: what is timed is the app's own work from the key to the changed text."""
    if key == "enter":
        character = "\r"
    elif key.startswith("ctrl+"):
        character = chr(ord(key[-1]) - ord("a") + 1)
    else:
        character = key
    app.post_message(events.Key(key, character))


async def until(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.001)


def focused_editor(app: StuiApp) -> SmalltalkEditor | None:
    return app.focused if isinstance(app.focused, SmalltalkEditor) else None


async def startup(rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        app = StuiApp(TuiConfig())
        async with app.run_test(size=SIZE):
            await until(lambda app=app: focused_editor(app) is not None)
            samples.append(time.perf_counter() - started)
    return samples


async def print_it(count: int) -> list[float]:
    app = StuiApp(TuiConfig())
    samples = []
    async with app.run_test(size=SIZE):
        await until(lambda: app.current in app.contexts and app.contexts[app.current].handle)
        editor = focused_editor(app)
        assert editor is not None
        for _ in range(count):
            editor.text = "3 + 4"
            editor.move_cursor((0, 5))
            started = time.perf_counter()
            type_key(app, "ctrl+p")
            await until(lambda: editor.text == "3 + 4 7")
            samples.append(time.perf_counter() - started)
    return samples


async def key_latency(count: int, stopped_pid: int) -> list[float]:
    app = StuiApp(TuiConfig(ping_interval=1.0))
    samples = []
    async with app.run_test(size=SIZE):
        await until(lambda: all(v.status == "connected" for v in app.wb.images()), timeout=60)
        await until(lambda: focused_editor(app) is not None)
        editor = focused_editor(app)
        assert editor is not None
        os.kill(stopped_pid, signal.SIGSTOP)
        try:
            for i in range(count):
                before = len(editor.text)
                started = time.perf_counter()
                type_key(app, "a" if i % 40 else "enter")
                await until(lambda before=before: len(editor.text) > before)
                samples.append(time.perf_counter() - started)
                await asyncio.sleep(0.01)
        finally:
            os.kill(stopped_pid, signal.SIGCONT)
    return samples


async def floor(count: int) -> list[float]:
    """The same key measured on a bare TextArea app: what Pilot itself costs per key."""
    from textual.app import App, ComposeResult
    from textual.widgets import TextArea

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield TextArea()

    app = Bare()
    samples = []
    async with app.run_test(size=SIZE) as pilot:
        area = app.query_one(TextArea)
        area.focus()
        await pilot.pause()
        for _ in range(count):
            before = len(area.text)
            started = time.perf_counter()
            type_key(app, "a")
            await until(lambda before=before: len(area.text) > before)
            samples.append(time.perf_counter() - started)
    return samples


async def open_classes(count: int) -> tuple[list[float], str]:
    """Open `count` classes one after another in the browser of one real image; answer
    the times and the slowest classes with their method counts."""
    app = StuiApp(TuiConfig())
    samples = []
    slowest: dict[str, tuple[float, int]] = {}
    async with app.run_test(size=SIZE):
        await until(lambda: app.current in app.contexts and app.contexts[app.current].handle)
        context = app.contexts[app.current]
        assert context.handle is not None
        client = context.handle.client
        context.show_tool("browser")
        panel = context.area.browser
        await panel.load()
        names = ["Object"]
        for category in panel._items["categories"][:12]:
            names += await browse.classes(client, category)
        for i in range(count):
            name = names[i % len(names)]
            started = time.perf_counter()
            shown = await panel.open_class(name)
            took = time.perf_counter() - started
            samples.append(took)
            assert shown and panel.cls == name, name
            if took > slowest.get(name, (0.0, 0))[0]:
                slowest[name] = (took, len(panel._items["methods"]))
    worst = sorted(slowest.items(), key=lambda kv: -kv[1][0])[:3]
    return samples, ", ".join(f"{n} {t * 1000:.0f} ms ({k} methods)" for n, (t, k) in worst)


FLOOD = "1 to: {n} do: [:i | Transcript show: 'line ', i printString; cr]"


async def flood_keys(lines: int, wanted: int) -> tuple[list[float], str]:
    """Keys typed in the workspace while the image floods the Transcript; floods again
    until `wanted` keys were typed during floods (at most 10 floods)."""
    app = StuiApp(TuiConfig())
    samples: list[float] = []
    notes: list[str] = []
    async with app.run_test(size=SIZE):
        await until(lambda: app.current in app.contexts and app.contexts[app.current].handle)
        context = app.contexts[app.current]
        await until(lambda: context._following is not None)
        await asyncio.sleep(0.5)  # the subscription reaches the image
        editor = focused_editor(app)
        assert editor is not None and context.handle is not None
        panel = context.area.transcript
        last = f"line {lines}"
        while len(samples) < wanted and len(notes) < 10:
            panel.action_clear()
            received, dropped = panel.received, panel.dropped
            started_flood = time.perf_counter()
            flood = asyncio.create_task(
                tools.evaluate(context.handle, FLOOD.format(n=lines), "do", timeout=600)
            )
            i = 0
            while not (panel.lines and panel.lines[-1] == last) and not flood.done():
                before = len(editor.text)
                started = time.perf_counter()
                type_key(app, "a" if i % 40 else "enter")
                await until(lambda before=before: len(editor.text) > before)
                samples.append(time.perf_counter() - started)
                i += 1
                await asyncio.sleep(0.01)
            await flood
            await until(lambda: bool(panel.lines) and panel.lines[-1] == last, timeout=120)
            took = time.perf_counter() - started_flood
            notes.append(
                f"{panel.received - received} lines in {took:.2f} s, {i} keys, "
                f"{panel.dropped - dropped} characters dropped"
            )
    return samples, "; ".join(notes)


def start(names: list[str]) -> list[int]:
    pids = []
    for name in names:
        launcher.create_image(name)
        pids.append(launcher.start_image(name).pid)
    return pids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=25)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--prints", type=int, default=50)
    parser.add_argument("--opens", type=int, default=200)
    parser.add_argument("--flood", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stui-bench-tui-") as home:
        os.environ["STUI_HOME"] = home
        names = [f"bench-{i:02d}" for i in range(args.images)]
        try:
            print(figures("floor: a key on a bare TextArea", asyncio.run(floor(100))))
            pids = start(names[:1])
            print(figures("start-up to first interactive frame", asyncio.run(startup(5))))
            print(figures("print-it key to result", asyncio.run(print_it(args.prints))))
            samples, note = asyncio.run(open_classes(args.opens))
            print(figures("open a class in the browser", samples))
            print(f"  slowest: {note}")
            samples, note = asyncio.run(flood_keys(args.flood, args.keys))
            print(figures(f"key latency, Transcript flood of {args.flood} lines", samples))
            print(f"  floods: {note}")
            pids += start(names[1:])
            print(
                figures(
                    f"key latency, {args.images} images, one SIGSTOPped",
                    asyncio.run(key_latency(args.keys, pids[-1])),
                )
            )
        finally:
            for row in launcher.list_images():
                if row.running:
                    launcher.stop_image(row.meta.name, timeout=2)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
