"""Diagnostic only (bench/perf/trace_send.py): ``batos.py`` with a timestamp taken at each phase of a request.

The phases: a message accepted (``Intake.accept``), a run's frame written to the jailed child
(``Channel.send``, before and after the syscall), the child's answer read (``Channel._readable``, before
and after), the answer begun (``ReplyPath.answer``) and sent (``Bridge.send``, before and after). Each is a
``time.perf_counter_ns`` appended to a list (about a microsecond each), written as JSON to
``$BATOS_TIMED_OUT`` when the kernel exits. Nothing in bat_os/ is changed.
"""

import atexit
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bat_os.cli.main import main  # noqa: E402
from bat_os.jail.channel import Channel  # noqa: E402
from bat_os.kernel.replies import ReplyPath  # noqa: E402
from bat_os.kernel.bridge import Bridge  # noqa: E402
from bat_os.kernel.intake import Intake  # noqa: E402

STAMPS: dict[str, list[int]] = {name: [] for name in (
    "accept", "child_send", "child_sent", "child_readable", "child_read", "answer", "reply", "replied")}


def _timed(cls: type, name: str, before: str, after: str | None = None) -> None:
    original = getattr(cls, name)
    now, first = time.perf_counter_ns, STAMPS[before].append
    if after is None:
        def timed(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            first(now())
            return original(self, *args, **kwargs)
    else:
        second = STAMPS[after].append

        def timed(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            first(now())
            try:
                return original(self, *args, **kwargs)
            finally:
                second(now())
    setattr(cls, name, timed)


_timed(Intake, "accept", "accept")
_timed(Channel, "send", "child_send", "child_sent")
_timed(Channel, "_readable", "child_readable", "child_read")
_timed(ReplyPath, "answer", "answer")
_timed(Bridge, "send", "reply", "replied")
atexit.register(lambda: Path(os.environ["BATOS_TIMED_OUT"]).write_text(json.dumps(STAMPS)))

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
