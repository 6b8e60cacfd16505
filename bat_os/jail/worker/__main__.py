"""The worker's bootstrap, run by path: ``python -I -S -B .../bat_os/jail/worker/__main__.py --control-fd N ...``.

``-I`` puts neither this directory nor the cwd on ``sys.path`` and ``-S`` leaves
site-packages out: the project root (three folders up) goes first, then the
``--path`` entries the kernel names (where RestrictedPython and ormsgpack live).
The rest of the worker is imported as the package it is (``__package__``, PEP 366),
so it imports ``bat_os``, ``bat_os.jail`` and ``bat_os.jail.worker`` (light: docstrings),
its own modules and ``bat_os.jail.contract``, nothing else of the project.
"""

import os
import sys

if __name__ == "__main__":
    _root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    _paths = [_root] + [sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--path"]
    sys.path[:0] = _paths[:1]
    sys.path.extend(_paths[1:])
    __package__ = "bat_os.jail.worker"  # noqa: A001 - PEP 366: the relative import below resolves in the package
    from .template import main

    sys.exit(main(sys.argv, _paths))
