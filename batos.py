#!/usr/bin/env python3
"""BAT OS kernel entry point: ``python batos.py [--image PATH] [--endpoint EP]``.

Everything lives in the ``bat_os`` package; see README.md.
"""

import sys

from bat_os.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
