"""Take the README's screenshot: the chat as `make run` starts it (its default settings, the embedded model),
asked real questions in turn, the last answer's paragraphs in the sources panel.

    .venv/bin/python docs/screenshot.py [--out docs/screenshot.png] [QUESTION ...]

Uses Debian's chromium through Playwright, as tests/test_browser.py does (`make browser` installs it). The
browser test takes its own screenshot too, of the fake answerer; this one shows what a user gets.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the second a Chinese follow-up: translated apart from the English question it borrows from (Asker.translate_query)
QUESTIONS = ["What does the initiative say about climate change?", "那关于不同文明之间的交流呢？"]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="*", default=QUESTIONS, help="asked in turn, as one conversation")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed: run `make browser` first.")

    sys.path.insert(0, str(ROOT))
    import app
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright
    from rag.pipeline import load_pipeline
    from rag.settings import apply_offline_environment, load_settings

    apply_offline_environment()
    pipeline = load_pipeline(load_settings())
    pipeline.asker().warm()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = app.build_app(pipeline)
    demo.launch(server_port=port, prevent_thread_lock=True, quiet=True, css=app.CSS)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=FLAGS)
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(demo.local_url)
            for question in args.questions:
                page.locator("#question textarea").fill(question)
                page.locator("#ask").click()
                # the sources panel waits ("Verifying citations…") until the verified answer is in
                try:
                    page.locator("#sources .pending").wait_for(timeout=10_000)
                except PlaywrightTimeout:  # answered (or declined) before the page was looked at
                    pass
                page.locator("#sources .pending").wait_for(state="detached", timeout=180_000)
            page.screenshot(path=str(args.out), full_page=True)
            browser.close()
    finally:
        demo.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
