"""bat_os.jail.contract: what the kernel's jail, its worker and the guardian agree on, from one place."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from bat_os.jail import guardian
from bat_os.jail import channel, contract, conversation, template
from bat_os.jail.worker import frames, namespace, warm
from bat_os.jail.worker import template as worker_template

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "bat_os" / "jail" / "worker"


def test_the_guardian_and_the_worker_take_the_allowed_modules_from_the_contract() -> None:
    assert guardian.ALLOWED_IMPORTS is contract.ALLOWED_IMPORTS
    assert namespace.ALLOWED_MODULES is contract.ALLOWED_MODULES
    assert contract.ALLOWED_IMPORTS == contract.ALLOWED_MODULES | set(contract.HARMLESS_SUBMODULES)
    assert {name.partition(".")[0] for name in contract.HARMLESS_SUBMODULES} <= contract.ALLOWED_MODULES


def test_the_template_preloads_everything_a_method_may_import() -> None:
    assert contract.ALLOWED_IMPORTS <= set(worker_template.PRELOAD)


def test_both_sides_frame_and_end_by_the_contract() -> None:
    assert channel.HEADER is frames.HEADER is contract.HEADER
    assert contract.HEADER.size == 4 and contract.HEADER.format == ">I"
    assert conversation.EXIT_CPU is contract.EXIT_CPU and conversation.EXIT_SETUP_FAILED is contract.EXIT_SETUP_FAILED
    assert warm.EXIT_PROTOCOL is contract.EXIT_PROTOCOL
    assert len({contract.EXIT_SETUP_FAILED, contract.EXIT_PROTOCOL, contract.EXIT_CPU}) == 3
    assert set(contract.CLEAN_OPS) < set(contract.FINAL_OPS)
    assert not set(contract.HOST_OPS) & set(contract.FINAL_OPS)
    assert template.WORKER_DEPENDENCIES is contract.WORKER_DEPENDENCIES


@pytest.mark.parametrize(("cpu_seconds", "whole"), [(0.01, 1), (1.0, 1), (1.5, 2), (2.0, 2), (2.000001, 3)])
def test_whole_cpu_seconds_round_up(cpu_seconds: float, whole: int) -> None:
    assert contract.whole_cpu_seconds(cpu_seconds) == whole


def _imports(path: Path) -> list[ast.Import | ast.ImportFrom]:
    return [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, (ast.Import, ast.ImportFrom))]


def test_the_contract_imports_the_standard_library_only() -> None:
    for node in _imports(ROOT / "bat_os" / "jail" / "contract.py"):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        assert all(name.split(".")[0] in sys.stdlib_module_names or name == "__future__" for name in names), names


def test_the_workers_relative_imports_reach_its_own_modules_and_the_contract_only() -> None:
    own = {path.stem for path in WORKER.glob("*.py")}
    seen = set()
    for path in WORKER.glob("*.py"):
        for node in _imports(path):
            if isinstance(node, ast.ImportFrom) and node.level:
                target = (node.level, node.module)
                assert target == (2, "contract") or (node.level == 1 and node.module in own), f"{path.name}: {target}"
                seen.add(target)
    assert (2, "contract") in seen


def test_the_worker_loads_its_whole_package_and_nothing_of_the_kernel_side() -> None:
    """What the template imports before it forks: every module of the package (children never read the disk)."""
    code = "import sys, bat_os.jail.worker.template; print(*(m for m in sys.modules if m.startswith('bat_os')))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    own = {path.stem for path in WORKER.glob("*.py")} - {"__init__", "__main__"}
    expected = {"bat_os", "bat_os.jail", "bat_os.jail.contract", "bat_os.jail.worker"} | {f"bat_os.jail.worker.{n}" for n in own}
    assert set(done.stdout.split()) == expected
