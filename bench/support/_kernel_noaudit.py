"""Diagnostic only (``--no-audit`` in bench_send.py / bench_set_slot.py): ``batos.py`` with
the audit trail replaced by :class:`bat_os.kernel.audit.NullAudit`, to show what the audit costs.

    python bench/support/_kernel_noaudit.py --image X.fs --endpoint tcp://127.0.0.1:PORT ...

It patches the module attribute that :func:`bat_os.cli.main.run` imports at call time;
nothing in bat_os/ is changed.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import bat_os.kernel.audit as audit  # noqa: E402

audit.Audit = lambda path: audit.NullAudit()

from bat_os.cli.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
