"""bat_os.console.app: the flags, run in-process with injected streams and environment."""

from __future__ import annotations

import io
import json

import pytest

from bat_os.console.app import build_parser, main
from console_support import dead_endpoint

ENVIRON = {"TERM": "xterm-256color"}


def run(*argv: str, environ: dict | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdin=io.StringIO(""), stdout=out, stderr=err, environ=environ or ENVIRON)
    return code, out.getvalue(), err.getvalue()


def test_brief_only_local_in_process() -> None:
    with dead_endpoint() as endpoint:
        code, out, err = run("--endpoint", endpoint, "--brief-only", "--local", "--json", "what is the status?")
    assert code == 0
    assert json.loads(out) == {"command": "status"}
    assert "from the local translator" in err


def test_help_and_a_local_slash_command_need_no_kernel() -> None:
    with dead_endpoint() as endpoint:
        code, out, _ = run("--endpoint", endpoint, "-c", "/help")
    assert code == 0 and "/search TEXT" in out


def test_the_endpoint_comes_from_the_environment() -> None:
    assert build_parser({"BATOS_ENDPOINT": "tcp://127.0.0.1:7"}).parse_args([]).endpoint == "tcp://127.0.0.1:7"
    assert build_parser({}).parse_args([]).endpoint == "tcp://127.0.0.1:5555"


def test_the_piped_console_reads_until_the_end() -> None:
    with dead_endpoint() as endpoint:
        out, err = io.StringIO(), io.StringIO()
        code = main(["--endpoint", endpoint], stdin=io.StringIO("/help\n/local on\n/brief what is the status?\n/exit\n"),
                    stdout=out, stderr=err, environ=ENVIRON)
    assert code == 0
    assert "Architect > /help\n" in out.getvalue() and "Architect > /exit\n" in out.getvalue()
    assert "brief: status" in out.getvalue()


def test_flags_that_do_not_go_together_exit_64(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--wait", "2"], environ=ENVIRON)
    assert caught.value.code == 64
    assert "--wait goes with --ping" in capsys.readouterr().err
