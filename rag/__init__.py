"""Grounded question answering over documents with numbered paragraphs.

Importing this package does nothing: no model load, no Chroma client, no
environment read, no network. Pipeline stages live in their own modules:

    ingest -> chunk -> embed -> index -> retrieve

and only the CLI (``python -m rag``), ``app.py`` and ``eval/`` assemble them.
"""

__version__ = "0.1.0"
