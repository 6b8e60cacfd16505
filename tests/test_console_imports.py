"""The console starts fast: it never imports the kernel's heavy dependencies."""

from __future__ import annotations

import subprocess
import sys

from console_support import client_env
from support import ROOT

HEAVY = {"torch", "transformers", "ZODB", "sentence_transformers", "persistent", "BTrees", "numpy", "nltk"}

LOAD_EVERYTHING = (
    "import sys, chat_client, pkgutil, importlib, bat_os.console as c\n"
    "for m in pkgutil.iter_modules(c.__path__): importlib.import_module('bat_os.console.' + m.name)\n"
    "import prompt_toolkit, rich.live\n"
    f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(HEAVY)!r}))"
)


def test_no_heavy_module_is_imported() -> None:
    result = subprocess.run([sys.executable, "-c", LOAD_EVERYTHING], cwd=ROOT, env=client_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_help_imports_nothing_heavy_either() -> None:
    result = subprocess.run([sys.executable, "-X", "importtime", "chat_client.py", "--help"], cwd=ROOT, env=client_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--brief-only" in result.stdout
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert "zmq" in imported and "rich" in imported
    assert not imported & HEAVY, imported & HEAVY
