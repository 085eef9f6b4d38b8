"""Labelling synthetic content (Law on AI Art. 21): C2PA for media, signed records for text, and
the public verification. See docs/labels.md."""
