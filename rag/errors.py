"""A small error hierarchy. Every message is one sentence a user can act on.

Library code raises these; entry points (CLI, app) print ``str(error)`` and
never a traceback.
"""


class RagError(Exception):
    """Base class: the message is a complete, user-facing sentence."""


class CorpusError(RagError):
    """A document could not be read or parsed into numbered paragraphs."""


class IndexStateError(RagError):
    """The index is missing, unreadable, or does not match the settings."""


class StoreUnavailable(RagError):
    """The vector store (e.g. a Chroma server) cannot be reached."""


class ConfigError(RagError):
    """A setting is invalid or a required secret is missing."""


class ModelError(RagError):
    """A model file is missing, damaged, or fails its checksum."""


class BackendError(RagError):
    """A generation backend failed, timed out, or returned unusable output."""
