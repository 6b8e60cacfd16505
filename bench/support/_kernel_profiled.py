"""Diagnostic only (bench/perf/profile_send.py): ``batos.py`` under cProfile, the profile written to
``$BATOS_PROFILE_OUT`` when the kernel exits. Nothing in bat_os/ is changed."""

import cProfile
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bat_os.cli.main import main  # noqa: E402

if __name__ == "__main__":
    profile = cProfile.Profile()
    try:
        code = profile.runcall(main, sys.argv[1:])
    finally:
        profile.dump_stats(os.environ["BATOS_PROFILE_OUT"])
    sys.exit(code)
