"""Can llama.cpp run this GGUF file? Asked in a child process, before the file goes into the image.

llama.cpp parses a GGUF file's header and tensors in native code, where a
file that lies about itself could bring the whole process down. So before an
import stores a GGUF file for the llama.cpp engine, :func:`probe` has a child
process (``python -m bat_os.models.gguf_probe FILE``) load it with a tiny
context and evaluate one token. The child prints one JSON line; a refusal,
a crash or a hang (``timeout``) is a :class:`~bat_os.errors.ModelError`
naming the file and why, and the import changes nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bat_os.errors import ModelError

TIMEOUT = 180.0  # seconds the child may take (loading a 1.5B file and one token: about 2 s here)


def probe(path: str | os.PathLike, *, python: str = sys.executable, timeout: float = TIMEOUT) -> dict:
    """What llama.cpp reads of ``path`` (``architecture``, ``context_length``, ``chat_template``, ``vocab``);
    ModelError when it cannot load it or evaluate a token with it."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)}
    try:
        done = subprocess.run([python, "-m", "bat_os.models.gguf_probe", os.fspath(path)], capture_output=True,
                              text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise ModelError(f"{path}: llama.cpp did not finish loading it within {timeout:g}s") from None
    except OSError as exc:
        raise ModelError(f"{path}: could not start a process to check it ({exc})") from exc
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    answer = json.loads(lines[-1]) if lines else {}
    if done.returncode == 0 and answer.get("ok"):
        return answer
    if done.returncode < 0:
        why = f"llama.cpp crashed on it (signal {-done.returncode})"
    else:
        why = answer.get("error") or (done.stderr.strip().splitlines() or ["no reason given"])[-1][:300]
    raise ModelError(f"{path} cannot be run by llama.cpp: {why}")


def _check(path: str) -> dict:
    from bat_os.models.llamacpp import LlamaModel

    model = LlamaModel.load(path, context=64, threads=1)
    try:
        llama = model.llama
        tokens = llama.tokenize(b"hello", add_bos=True, special=False) or [llama.token_bos()]
        llama.eval(tokens[:1])
        meta = llama.metadata
        architecture = meta.get("general.architecture", "")
        return {"ok": True, "architecture": architecture, "context_length": int(meta.get(f"{architecture}.context_length", 0) or 0),
                "chat_template": bool(meta.get("tokenizer.chat_template")), "vocab": llama.n_vocab()}
    finally:
        model.close()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(json.dumps({"ok": False, "error": "usage: python -m bat_os.models.gguf_probe FILE"}))
        return 2
    try:
        answer = _check(argv[0])
    except Exception as exc:  # noqa: BLE001 - every refusal becomes the one line the parent reads
        print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}))
        return 1
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
