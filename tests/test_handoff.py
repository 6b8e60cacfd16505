"""A system method that sends a generated one (bat_os.cognition.handoff): the real jail, a real image, a real kernel.

Three paths: a system method run here (call_system, then awaited); a client's send of a system method that
sends a generated one (the kernel reroutes it to awaited work); a generated method that sends a system method
that sends a generated one (a nested jailed run, through the host). And the limits: depth, and a send dropped
before it ran.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bat_os.cognition.methods import handoff
from bat_os.cognition.methods.host import ImageHost
from bat_os.errors import MethodRaised, RunsInJail
from bat_os.image.objects import GENERATED_SENDS, UvmObject
from bat_os.jail.runner import Jail
from support import KernelProcess

SQUARE = "def square(self, x):\n    self.squared = x\n    return x * x\n"
PLUS_ONE = "def plus_one(self, n):\n    self.before = n\n    return self.square(n) + 1\n"  # a system method


def _setup(image: Any) -> Any:
    def work() -> None:
        obj = UvmObject(parents=[image.connection.root()["traits_obj"]])
        image.connection.root()["calc"] = obj
        obj.add_method("square", SQUARE, origin="generated")
        obj.add_method("plus_one", PLUS_ONE)
        obj.add_method("bad", "def bad(self):\n    return self.square('x') + 1\n")

    image.run(work)
    return image.connection.root()["calc"]


def _with_jail(work) -> Any:
    async def main() -> Any:
        jail = Jail()
        await jail.start()
        try:
            return await work(jail)
        finally:
            await jail.close()

    return asyncio.run(main())


def _hosts(jail: Jail):
    return dict(runner=lambda *a: jail.run(*a, fresh=False),
                host_for=lambda conn, receiver, depth: ImageHost(conn, receiver, jail=jail, depth=depth))


def test_a_system_method_sends_a_generated_one_in_order_in_one_transaction(awake_image):
    obj = _setup(awake_image)
    assert obj.responds_to("square")
    try:  # outside a hand-off, as before: kernel code never runs generated code
        awake_image.read(lambda: obj.send("plus_one", 3))
        raise AssertionError("a generated send outside call_system must raise")
    except RunsInJail:
        pass

    async def work(jail: Jail) -> tuple:
        tm = awake_image.connection.transaction_manager
        tm.begin()
        outcome = handoff.call_system(obj.perform, ("plus_one", obj.slots["plus_one"], [3], {}), **_hosts(jail))
        assert isinstance(outcome, handoff.Suspended)
        value = await outcome.finish()
        seen = (obj.slots["before"], obj.slots["squared"])  # the system method's write, then the jailed one's
        tm.commit()
        return value, seen

    value, seen = _with_jail(work)
    assert value == 10 and seen == (3, 3)
    assert awake_image.read(lambda: (obj.slots["before"], obj.slots["squared"])) == (3, 3)


def test_a_system_method_that_sends_nothing_generated_finishes_at_once(awake_image):
    obj = _setup(awake_image)

    async def work(jail: Jail) -> Any:
        return handoff.call_system(obj.perform, ("slot_names", obj.lookup("slot_names")[1], [], {}), **_hosts(jail))

    assert _with_jail(work) == ["bad", "plus_one", "square"]  # a plain value, not Suspended


def test_the_generated_method_s_error_reaches_the_system_method_and_a_dropped_send_never_runs(awake_image):
    obj = _setup(awake_image)

    async def work(jail: Jail) -> tuple:
        raised = None
        tm = awake_image.connection.transaction_manager
        tm.begin()
        try:
            try:
                await handoff.run_system(obj.perform, ("bad", obj.slots["bad"], [], {}), **_hosts(jail))
            except MethodRaised as exc:
                raised = exc.error_type
            dropped = handoff.call_system(obj.perform, ("plus_one", obj.slots["plus_one"], [5], {}), **_hosts(jail))
            dropped.drop()
            await asyncio.sleep(0.2)
            return raised, jail.health()["counts"].get("warm_runs", 0)
        finally:
            tm.abort()

    raised, runs = _with_jail(work)
    assert raised == "TypeError"  # 'x' * 'x'
    assert runs == 1  # bad's square ran; the dropped plus_one's never started


def test_try_system_runs_without_a_greenlet_and_stops_at_a_generated_send_a_broad_except_cannot_hide(awake_image):
    obj = _setup(awake_image)
    guarded = ("def guarded(self, n):\n    try:\n        return self.square(n)\n    except Exception:\n"
               "        return 'swallowed'\n    finally:\n        self.cleaned = True\n")
    awake_image.run(lambda: obj.add_method("guarded", guarded))

    def work() -> tuple:
        plain = handoff.try_system(obj.perform, ("slot_names", obj.lookup("slot_names")[1], [], {}))
        stopped = handoff.try_system(obj.perform, ("guarded", obj.slots["guarded"], [3], {}))
        return plain, stopped, obj.slots.get("cleaned"), GENERATED_SENDS.get()

    plain, stopped, cleaned, after = awake_image.read(work)
    assert plain == ["bad", "guarded", "plus_one", "square"] and stopped is handoff.MUST_WAIT
    assert cleaned is True and after is None  # its finally ran; nothing is left set for later kernel code


def test_through_the_kernel_every_path_and_the_depth_limit(tmp_path):
    kernel = KernelProcess(tmp_path, env={"BATOS_JAIL_WALL_SECONDS": "10"}).start()

    def ok(reply: dict) -> Any:
        assert reply["status"] == "ok", reply
        return reply["result"]

    try:
        for selector, source in [
            ("square", "def square(self, x):\n    self.squared = x\n    return x * x"),
            # generated -> system (dispatch) -> generated: a nested jailed run, through the host
            ("square_via", "def square_via(self, n):\n    return self.dispatch('square', n) + 1"),
            # a loop through the system method: stopped at the depth limit
            ("spiral", "def spiral(self, n):\n    return self.dispatch('spiral', n + 1)"),
        ]:
            ok(kernel.request({"command": "set_method", "target": "genesis_obj", "selector": selector, "source": source},
                              timeout=60))
        # a client's send of a system method that sends a generated one: rerouted, awaited, committed
        assert ok(kernel.request({"command": "send", "target": "genesis_obj", "selector": "dispatch",
                                  "args": ["square", 7]}, timeout=30)) == 49
        assert ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))["slots"]["squared"] == 7
        assert ok(kernel.request({"command": "send", "target": "genesis_obj", "selector": "square_via", "args": [4]},
                                 timeout=30)) == 17
        assert ok(kernel.request({"command": "inspect", "target": "genesis_obj"}))["slots"]["squared"] == 4
        deep = kernel.request({"command": "send", "target": "genesis_obj", "selector": "spiral", "args": [0]}, timeout=60)
        assert deep["status"] == "error" and deep["error"]["code"] == "method_error", deep
        assert "more than 4 levels deep" in deep["error"]["message"]
        # a system method that sends nothing generated answers as fast as ever, and the kernel serves on
        assert ok(kernel.request({"command": "send", "target": "genesis_obj", "selector": "dispatch",
                                  "args": ["slot_names"]}))[:1] == ["name"]
        assert ok(kernel.request({"command": "ping"}))["pong"] is True
    finally:
        kernel.stop()
