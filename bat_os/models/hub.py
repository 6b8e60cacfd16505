"""The model hub: downloading a model repository (the import's ``resolve`` step for a hub id).

:class:`Hub` is the seam (tests pass a fake); :class:`HuggingFaceHub` is the
real one, through ``huggingface_hub``, imported only when something is
downloaded. :func:`download_model` runs a hub into ``<staging>/download`` and
translates whatever it raised, once, into :class:`~bat_os.errors.DownloadFailed`.
A download killed half-way is resumed by the next import (the hub client
keeps the files already in the directory and continues partial ones).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Protocol

from bat_os.errors import DownloadFailed
from bat_os.models.model_dir import OTHER_WEIGHT_SUFFIXES, PICKLE_SUFFIXES
from bat_os.models.progress import NoBar, ProgressFactory, open_bar

logger = logging.getLogger(__name__)

HUB_IGNORE = [f"*{suffix}" for suffix in PICKLE_SUFFIXES + OTHER_WEIGHT_SUFFIXES] + ["original/*"]
LOCAL_HINT = "import from a local directory: python batos.py models import {persona} DIR"


class Hub(Protocol):
    """Downloads a model repository; returns (directory, commit sha). Any exception means it failed."""

    def download(self, repo_id: str, revision: str | None, dest: Path, progress: ProgressFactory | None) -> tuple[Path, str]: ...


@dataclass(frozen=True)
class HuggingFaceHub:
    """The Hugging Face hub through ``huggingface_hub`` (imported on first use)."""

    timeout: float = 10.0  # seconds for each metadata request (and each file's etag check)
    environ: Mapping[str, str] | None = None  # None: os.environ, read at each call

    def download(self, repo_id: str, revision: str | None, dest: Path, progress: ProgressFactory | None) -> tuple[Path, str]:
        environ = os.environ if self.environ is None else self.environ
        if environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
            raise ConnectionError("HF_HUB_OFFLINE is set, so the hub is not contacted")
        from huggingface_hub import HfApi, snapshot_download

        commit = HfApi().repo_info(repo_id, revision=revision, timeout=self.timeout).sha
        if not commit:
            raise ConnectionError(f"the hub named no commit for revision {revision or 'main'}")
        # Pinned to the commit: a resumed download cannot mix two revisions. Files already in
        # ``dest`` (a killed earlier run) are checked and kept, partial ones continued.
        path = snapshot_download(
            repo_id, revision=commit, local_dir=dest, etag_timeout=self.timeout,
            ignore_patterns=HUB_IGNORE, tqdm_class=_tqdm_class(progress),
        )
        return Path(path), commit


def _tqdm_class(progress: ProgressFactory | None) -> type:
    """A tqdm class for huggingface_hub that draws nothing itself and forwards to ``progress``."""
    from tqdm import tqdm

    class Forwarding(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self._forward = open_bar(progress, str(kwargs.get("desc") or "downloading"), kwargs.get("total") or None)

        def update(self, n: Any = 1) -> None:
            self._forward.update(int(n or 0))

        def close(self) -> None:
            forward, self._forward = getattr(self, "_forward", None), NoBar()
            if forward is not None:
                forward.close()
            super().close()

    return Forwarding


def one_line(exc: BaseException) -> str:
    """An exception from a lower library as one short line: its type and its message's first line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= 240 else text[:237] + "..."


def download_model(
    hub: Hub, persona: str, repo_id: str, revision: str | None, dest: Path, progress: ProgressFactory | None,
) -> tuple[Path, str | None]:
    """Download ``repo_id`` into ``dest`` through ``hub``: (directory, commit); DownloadFailed says why not."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        path, commit = hub.download(repo_id, revision, dest, progress)
    except Exception as exc:  # translated once, here: whatever the hub client raised
        reason = one_line(exc)
        first = repo_id.split("/")[0]
        if "/" in repo_id and Path(first).is_dir():  # "models/qwen" with a models/ here: a mistyped path?
            reason += f" (and there is no local directory {repo_id})"
        raise DownloadFailed(
            f"cannot download {repo_id} from the Hugging Face hub: {reason}; {LOCAL_HINT.format(persona=persona)}"
        ) from exc
    logger.info("downloaded %s at %s into %s", repo_id, commit, path)
    return Path(path), commit


__all__ = ["HUB_IGNORE", "LOCAL_HINT", "Hub", "HuggingFaceHub", "download_model", "one_line"]
