"""``python -m eval retrieval``: the retrieval benchmark; more runners join here."""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from rag.cli import configure_logging
    from rag.settings import apply_offline_environment

    apply_offline_environment()
    parser = argparse.ArgumentParser(prog="python -m eval")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("retrieval", help="compare retrieval systems side by side and write a report")
    p.add_argument("--out", default="eval/reports", help="report folder (default eval/reports)")
    args = parser.parse_args(argv)
    configure_logging()
    if args.command == "retrieval":
        from .retrieval import run

        run(Path(args.out))
        print(f"wrote {Path(args.out) / 'retrieval.md'}")
    return 0
