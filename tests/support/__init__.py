"""Helpers the tests share that are not fixtures (and that scripts such as docs/screenshots/make.py
may import): they import no pytest and nothing of the tests' conftest files."""
