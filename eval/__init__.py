"""Evaluation: question sets, pure metric functions, runners that write reports.

``python -m eval retrieval`` compares retrieval systems side by side and
writes ``eval/reports/retrieval.md``. Importing this package does nothing.
"""
