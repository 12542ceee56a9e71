"""Adapters of the :class:`~lifecycle.ports.Backend` port."""

from lifecycle.backends.memory import InMemoryBackend

__all__ = ["InMemoryBackend"]
