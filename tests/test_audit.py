"""The audit trail writes whole JSON lines, in order, and loses none on close."""

import asyncio
import json

from bat_os.kernel.audit import Audit


def test_every_record_is_one_json_line(tmp_path):
    path = tmp_path / "sub" / "metacognition.jsonl"

    async def main():
        audit = Audit(path)
        for i in range(500):
            audit.record("request", request_id=i, command="send", target="genesis_obj", selector="echo", outcome="ok", duration_ms=0.5)
        await audit.flush()
        audit.record("kernel_stopped")
        await audit.close()

    asyncio.run(main())
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 501
    assert [line["request_id"] for line in lines[:500]] == list(range(500))
    assert lines[0]["event"] == "request" and lines[0]["selector"] == "echo" and lines[0]["logged_at"]
    assert lines[-1]["event"] == "kernel_stopped"


def test_the_buffer_is_bounded(tmp_path):
    path = tmp_path / "bounded.jsonl"

    async def main():
        audit = Audit(path, max_pending=10, delay=60)
        for i in range(25):
            audit.record("request", request_id=i)
        assert audit.dropped == 15
        await audit.close()

    asyncio.run(main())
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["request_id"] for line in lines[:10]] == list(range(10))
    assert lines[-1] == {**lines[-1], "event": "audit_dropped", "records": 15}


def test_records_written_after_the_delay_without_close(tmp_path):
    path = tmp_path / "delay.jsonl"

    async def main():
        audit = Audit(path, delay=0.01, now=lambda: 1234.5)
        audit.record("request", request_id="a")
        for _ in range(200):
            await asyncio.sleep(0.01)
            if path.exists() and path.read_text():
                break
        text = path.read_text()
        await audit.close()
        return text

    text = asyncio.run(main())
    line = json.loads(text)
    assert line["request_id"] == "a" and line["at"] == 1234.5 and line["level"] == "INFO"


def test_a_batch_is_formatted_as_aiologgers_extended_json_formatter_formats_each_record():
    """The batch formatter writes the lines aiologger's formatter would (logged_at aside: one per batch)."""
    from aiologger.formatters.json import ExtendedJsonFormatter
    from aiologger.levels import LogLevel
    from aiologger.records import ExtendedLogRecord

    from bat_os.kernel.audit import _batch_formatter

    batch = [{"event": "request", "at": 1.5, "request_id": 7, "command": "send", "target": "genesis_obj",
              "selector": "échö", "outcome": "ok", "duration_ms": 0.031},
             {"event": "cycle", "cycle": "c1", "reasons": ["a", {"b": None}], "when": ValueError("x")}]
    plain = ExtendedJsonFormatter(exclude_fields=("line_number", "function", "file_path"))
    theirs = [json.loads(plain.format(ExtendedLogRecord(
        name="batos.audit", level=LogLevel.INFO, pathname="", lineno=0, msg=fields, args=None, exc_info=None,
        extra=None, flatten=True, serializer_kwargs={}))) for fields in batch]
    text = _batch_formatter().lines(batch)
    ours = [json.loads(line) for line in text.splitlines()]
    assert text.endswith("\n") and len(ours) == 2 and ours[0]["logged_at"] == ours[1]["logged_at"]
    for mine, their in zip(ours, theirs):
        assert list(mine) == list(their)  # the same fields, in the same order
        assert {**mine, "logged_at": None} == {**their, "logged_at": None}
