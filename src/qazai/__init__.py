"""QazAI — the open-source National AI Platform for Kazakhstan."""

__version__ = "0.1.0"
