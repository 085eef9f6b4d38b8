"""The privacy package's exported names are what they say, whatever was imported before them."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import qazai.privacy as privacy


def test_no_module_of_the_package_shares_a_name_with_an_export() -> None:
    modules = {m.name for m in pkgutil.iter_modules(privacy.__path__)}
    assert not modules & set(privacy.__all__)


def test_exports_are_functions_after_every_module_was_imported_first() -> None:
    script = (
        "import importlib, pkgutil, qazai.privacy as p\n"
        "for m in pkgutil.iter_modules(p.__path__): importlib.import_module('qazai.privacy.' + m.name)\n"
        "from qazai.privacy import assess, deidentify, deidentify_stream, scan_table\n"
        "assert all(callable(f) for f in (assess, deidentify, deidentify_stream, scan_table))\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
