"""``python batos.py audit FILE --selector NAME``: the guardian, then the jailed trial, as JSON."""

import json
import subprocess
import sys

from support import ROOT, kernel_env


def audit(tmp_path, source, *args):
    path = tmp_path / "method.py"
    path.write_text(source)
    result = subprocess.run(
        [sys.executable, str(ROOT / "batos.py"), "audit", str(path), *args],
        cwd=tmp_path, env=kernel_env(), capture_output=True, text=True, timeout=60,
    )
    verdict = json.loads(result.stdout) if result.stdout.strip() else None
    return result.returncode, verdict, result.stderr


def test_an_accepted_method_runs_its_trial(tmp_path):
    code, verdict, _ = audit(
        tmp_path, "def add_to(self, n):\n    self.total = self.total + n\n    return self.total\n",
        "--selector", "add_to", "--args", "[5]", "--slots", '{"total": 10}',
    )
    assert code == 0
    assert verdict["accepted"] is True and verdict["stage"] == "trial"
    assert verdict["result"] == 15 and verdict["reasons"] == []


def test_a_static_refusal(tmp_path):
    code, verdict, _ = audit(tmp_path, "def teach_yourself_to_list_files(self):\n    import os\n    return os.listdir('.')\n",
                             "--selector", "teach_yourself_to_list_files")
    assert code == 1
    assert verdict["accepted"] is False and verdict["stage"] == "static"
    assert verdict["reasons"][0]["rule"] == "import" and verdict["reasons"][0]["line"] == 2


def test_a_trial_refusal(tmp_path):
    code, verdict, _ = audit(tmp_path, "def divide(self, n):\n    return n / 0\n", "--selector", "divide", "--args", "[1]")
    assert code == 1
    assert verdict["stage"] == "trial" and "ZeroDivisionError" in verdict["reasons"][0]["message"]


def test_usage_errors(tmp_path):
    assert audit(tmp_path, "def f(self):\n    return 1\n", "--selector", "f", "--args", "{not json")[0] == 2
    assert audit(tmp_path, "def f(self):\n    return 1\n", "--selector", "f", "--args", '{"a": 1}')[0] == 2
    assert audit(tmp_path, "def f(self):\n    return 1\n")[0] == 2  # no --selector
    code, _, err = audit(tmp_path, "def f(self):\n    return 1\n", "--selector", "not valid")
    assert code == 2 and "identifier" in err
    result = subprocess.run([sys.executable, str(ROOT / "batos.py"), "audit", str(tmp_path / "missing.py"), "--selector", "f"],
                            env=kernel_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
