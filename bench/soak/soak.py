#!/usr/bin/env python3
"""The soak: hours of mixed work through the watchdog, a kill -9 of the kernel every 10 to 60 s, nothing lost.

    .venv/bin/python bench/soak/soak.py [--minutes 60] [--min-kills 100] [--kill-every 10,60] [--out DIR]
    .venv/bin/python bench/soak/soak.py --kills 1000          # the kill loop alone
    .venv/bin/python bench/soak/soak.py --properties          # the protocol's properties, 20,000 examples each

Everything is real: ``min_watchdog_service.py run`` supervising ``batos.py`` on a temp image (or ``--out``), the
replay backend on a recorded session (``cassettes/qwen2.5-coder_questions.jsonl``: two tasks whose candidates
disagree, so each cycle asks a question, which a client answers), the jail, the memory with its embedder, the
heartbeat every 30 s, scheduled backups every 5 minutes, the event stream, and the web inspector.

**The load**, each a thread with its own connection:
- *writer*: ``set_slot`` of ``w0``..``w49`` (a counter, so the newest value is the highest) and of ``journal`` (the
  last 100 numbers), as fast as they are answered; every acknowledged value goes in the write log;
- *reader*: ``send`` of an installed method, ``inspect``, ``methods``, ``world``, ``chronicle``, ``cycles``,
  ``get_slot``, ``search`` (text), ``status``, ``ping``, in turn;
- *editor*: ``set_method`` of a new version of ``double``, ``history``, ``revert`` to version 1, every few seconds;
- *learner*: ``send`` of the recorded tasks' selectors with their intents (a cycle each, its question answered
  with the task's reference), then ``remove_method`` so that the next round learns again;
- *upkeep*: ``backup``, ``ingest`` of a text, a hybrid ``search``, ``forge`` ``dataset``, and ``pack`` now and then;
- *watchers*: two SUB sockets on the event stream (a fixed port, so they reconnect to each new kernel);
- *web*: ``chat_client.py --web`` and a client reading ``/api/world`` and sending ``status`` through it.

**The kills**: every 10 to 60 s (uniform; ``--kill-every``) the kernel gets SIGKILL; the watchdog starts the next.

**Checks**:
- no acknowledged write lost: after every restart (writes paused) and at the end (the image opened offline), each
  slot holds its acknowledged value or a later one sent, and the journal its acknowledged version or a later one;
- every request answered with ``ok`` or an error whose code is in the protocol's list; a request with no answer
  counts as *cut by a kill* when a kill came between its sending and its deadline, else as *unanswered* (a failure);
- the image opens after every kill: a new kernel answers ``status`` within 120 s;
- the kernel's RSS and the image's size (``Data.fs`` and blobs) sampled every 30 s; their slope per hour (a least
  squares line through the samples after the first hour, in % of their mean) is printed.

``--kills N``: the writer and the kill loop alone, a kill 0.05 to 1 s after each new kernel serves, until N kills.
``--properties``: ``tests/test_protocol_properties.py`` under its ``soak`` profile (20,000 generated requests and
20,000 generated frames against a real kernel), ``--timeout 0``.

Ctrl+C stops the run and prints what it measured. Exit 1 when a check failed.
Targets (issue 52): >= 1 hour with >= 100 kills, and a 1,000-kill run: 0 acknowledged writes lost, every restart
opened, every request answered or refused with a code; RSS slope after the first hour under 5% an hour.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "support"), str(HERE.parent / "perf")]
from _common import ROOT, Client, free_port, percentile  # noqa: E402
from bench_watchdog import Watchdog, wait_dead  # noqa: E402

sys.path.insert(0, str(ROOT))
import psutil  # noqa: E402
import zmq  # noqa: E402

from bat_os.protocol import ERROR_CODES  # noqa: E402

CASSETTE = ROOT / "cassettes" / "qwen2.5-coder_questions.jsonl"
TASKS_FILE = ROOT / "bench" / "tasks" / "learning_tasks.jsonl"
LEARNED = ("extract_numbers", "merge_counts")  # the cassette's tasks
DOUBLE = "def double(self, x):\n    return x * 2\n"
SLOTS = 50
QUICK = 60.0  # seconds a quick request may take (a kernel busy starting, importing the embedder, packing)
TEXT = ("The watchdog restarts the kernel when it dies. The image keeps every committed transaction. "
        "A backup is a repozo file beside the image; a pack drops the revisions older than its days. ")


class Tally:
    """Every request's outcome, by kind; what broke, with examples."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.failures: list[str] = []

    def add(self, kind: str, outcome: str, detail: str = "") -> None:
        with self.lock:
            self.by[kind][outcome] += 1
            if outcome in ("unanswered", "bad reply", "lost write", "not reopened") and len(self.failures) < 50:
                self.failures.append(f"{kind}: {outcome} {detail}"[:400])

    def total(self, outcome: str) -> int:
        with self.lock:
            return sum(c[outcome] for c in self.by.values())


class Soak:
    def __init__(self, workdir: Path, args: argparse.Namespace) -> None:
        self.workdir = workdir
        self.args = args
        self.rng = random.Random(args.seed)
        self.image = workdir / "image" / "live_image.fs"
        self.events_port = free_port()
        self.tally = Tally()
        self.stop = threading.Event()
        self.writes = threading.Lock()  # held by the writer around each write, by the checker while it reads
        # seconds after a kill that a request sent near it may still be answered (wait_reply): the next kernel's start
        self.grace = 2.0 if args.kills else 10.0
        self.checking = threading.Event()  # set while the checker waits for the lock: the writer stands back
        self.kills: list[float] = []  # monotonic times of the kills
        self.restarts: list[float] = []  # seconds from a kill to the new kernel's status
        self.pid = 0
        self.sent: dict[str, int] = {}
        self.acked: dict[str, int] = {}
        self.versions: list[list[int]] = [[]]  # every journal value sent, in order
        self.acked_version = 0
        self.journal_acked = 0  # journal writes acknowledged
        self.samples: list[tuple[float, int, int]] = []  # (seconds since start, kernel RSS, image bytes)
        self.events_seen = [0, 0]
        self.learned = collections.Counter()
        self.started = time.monotonic()
        env = {"BATOS_LLM_BACKEND": "replay", "BATOS_CASSETTE": str(self._cassette()),
               "BATOS_EVENTS_ENDPOINT": f"tcp://127.0.0.1:{self.events_port}",
               "BATOS_HEARTBEAT_EVERY": "0" if args.kills else "30", "BATOS_BACKUP_EVERY": "0" if args.kills else "300",
               "BATOS_BACKUP_KEEP": "6"}
        flags = ["--max-restarts", "100000", "--healthy-after", "1"]
        if args.kills:  # a kill a second: the backoff's doubling (for a kernel that dies by itself) would set the pace
            flags += ["--backoff-initial", "0.05", "--backoff-max", "0.5"]
        self.watchdog = Watchdog(workdir, self.image, flags, state_file=True, env=env)

    def _cassette(self) -> Path:
        target = self.workdir / "cassette.jsonl"
        shutil.copy(CASSETTE, target)
        return target

    # --- requests ---------------------------------------------------------------------------------
    def ask(self, client: Client, kind: str, message: dict, timeout: float = QUICK) -> dict | None:
        """Send and classify the reply; None when none came (the caller then replaces the client)."""
        sent_at = time.monotonic()
        client.send(message)
        reply = self.wait_reply(client, sent_at, sent_at + timeout)
        if reply is None:
            cut = self.kill_near(sent_at) is not None
            self.tally.add(kind, "cut by a kill" if cut else "unanswered", json.dumps(message, default=str)[:200])
            return None
        status = reply.get("status")
        if status == "ok":
            self.tally.add(kind, "ok")
        elif status == "error" and (reply.get("error") or {}).get("code") in ERROR_CODES:
            self.tally.add(kind, "error " + reply["error"]["code"])
        else:
            self.tally.add(kind, "bad reply", json.dumps(reply, default=str)[:300])
        return reply

    def wait_reply(self, client: Client, sent_at: float, deadline: float) -> dict | None:
        """The request's final reply, skipping events; None past ``deadline``, or once a kill near its sending is
        ``grace`` seconds old (a request the dead kernel had, or one written into its closing connection, gets no
        answer; one still queued in the socket reaches the next kernel in that time)."""
        while True:
            reply = self.next_reply(client, sent_at, deadline)
            if reply is None or reply.get("status") != "event":
                return reply

    def next_reply(self, client: Client, sent_at: float, deadline: float) -> dict | None:
        """The next frame for this client, event or reply; None as in :meth:`wait_reply`."""
        while True:
            kill = self.kill_near(sent_at)
            if kill is not None:
                deadline = min(deadline, kill + self.grace)
            now = time.monotonic()
            if now >= deadline:
                return None
            try:
                return client.recv(min(0.5, deadline - now))
            except TimeoutError:
                continue

    def kill_near(self, sent_at: float) -> float | None:
        """The first kill from 2 s before ``sent_at`` on (the kernel may have been dead already), or None."""
        near = None
        for k in reversed(self.kills):
            if k < sent_at - 2:
                break
            near = k
        return near

    def loop(self, kind: str, body, pause: tuple[float, float] = (0.0, 0.0)) -> None:
        """Run ``body(client)`` until the end, with a fresh client after a reply that never came."""
        client = Client(self.watchdog.endpoint)
        try:
            while not self.stop.is_set():
                if body(client) is False:
                    client.close()
                    client = Client(self.watchdog.endpoint)
                if pause[1]:
                    self.stop.wait(self.rng.uniform(*pause))
        except Exception as exc:  # noqa: BLE001 - a load thread that breaks is a finding, not a crash of the run
            self.tally.add(kind, "bad reply", f"the {kind} thread broke: {type(exc).__name__}: {exc}")
        finally:
            client.close()

    # --- the load -----------------------------------------------------------------------------------
    def writer(self, client: Client) -> bool:
        while self.checking.is_set():
            time.sleep(0.005)
        with self.writes:
            n = max(self.sent.values(), default=0) + 1
            slot = f"w{n % SLOTS}"
            self.sent[slot] = n
            reply = self.ask(client, "set_slot", {"command": "set_slot", "target": "genesis_obj", "slot": slot, "value": n})
            if reply is None:
                return False
            if reply["status"] == "ok":
                self.acked[slot] = n
            journal = self.versions[-1][-99:] + [n]
            self.versions.append(journal)
            reply = self.ask(client, "set_slot", {"command": "set_slot", "target": "genesis_obj", "slot": "journal", "value": journal})
            if reply is None:
                return False
            if reply["status"] == "ok":
                del self.versions[:-1]  # older versions can no longer be the journal's
                self.acked_version = 0
                self.journal_acked += 1
        return True

    def reader(self, client: Client) -> bool:
        message = self.rng.choice([
            {"command": "send", "target": "genesis_obj", "selector": "double", "args": [self.rng.randint(0, 99)], "learn": False},
            {"command": "inspect", "target": "genesis_obj", "limit": 20},
            {"command": "methods", "target": "genesis_obj"},
            {"command": "world", "limit": 50},
            {"command": "chronicle", "limit": 10},
            {"command": "cycles", "limit": 10},
            {"command": "get_slot", "target": "genesis_obj", "slot": "journal", "limit": 10},
            {"command": "search", "query": "watchdog restarts the kernel", "mode": "text", "limit": 5},
            {"command": "status"},
            {"command": "ping"},
        ])
        return self.ask(client, message["command"], message) is not None

    def editor(self, client: Client) -> bool:
        factor = self.rng.randint(3, 9)
        source = f"def double(self, x):\n    return x * 2 + 0 * {factor}\n"
        if self.ask(client, "set_method", {"command": "set_method", "target": "genesis_obj", "selector": "double",
                                           "source": source, "reason": "soak"}, 60) is None:
            return False
        if self.ask(client, "history", {"command": "history", "target": "genesis_obj", "selector": "double", "limit": 5}) is None:
            return False
        return self.ask(client, "revert", {"command": "revert", "target": "genesis_obj", "selector": "double", "version": 1}, 60) is not None

    def learner(self, client: Client) -> bool:
        tasks = {t["id"]: t for t in map(json.loads, TASKS_FILE.read_text().splitlines()) if t["id"] in LEARNED}
        for name in LEARNED:
            task = tasks[name]
            outcome = self._learn(client, task)
            if outcome is None:
                return False
            self.learned[outcome] += 1
            if outcome == "learned":
                if self.ask(client, "remove_method", {"command": "remove_method", "target": "genesis_obj",
                                                      "selector": task["selector"], "force": True}, 60) is None:
                    return False
        return True

    def _learn(self, client: Client, task: dict) -> str | None:
        request_id = f"learn-{time.monotonic_ns()}"
        sent_at = time.monotonic()
        client.send({"command": "send", "target": "genesis_obj", "selector": task["selector"], "args": task["args"],
                     "intent": task["intent"], "id": request_id, "events": True})
        while True:
            reply = self.next_reply(client, sent_at, sent_at + 300)
            if reply is None:
                break
            if str(reply.get("id")).startswith("answer-"):
                code = (reply.get("error") or {}).get("code")
                self.tally.add("answer", "ok" if reply.get("status") == "ok" else f"error {code}" if code in ERROR_CODES
                               else "bad reply", json.dumps(reply)[:300])
                continue
            if reply.get("id") == request_id and reply.get("status") != "event":
                status = reply.get("status")
                if status == "ok":
                    self.tally.add("send (learning)", "ok")
                    return "learned"
                code = (reply.get("error") or {}).get("code")
                self.tally.add("send (learning)", f"error {code}" if code in ERROR_CODES else "bad reply", json.dumps(reply)[:300])
                return f"error {code}"
            event = reply.get("event") or {}
            if event.get("type") == "question" and event.get("waiting"):
                known = reference(task, event["question"]["call"]["args"])
                choice = next((i for i, c in enumerate(event["question"]["choices"]) if c.get("result") == known), None)
                answer = {"command": "answer", "id": f"answer-{time.monotonic_ns()}", "cycle": event["cycle"],
                          "question": event["question"]["id"]}
                client.send({**answer, **({"choose": choice} if choice is not None else {"skip": True})})
        self.tally.add("send (learning)", "cut by a kill" if self.kill_near(sent_at) is not None else "unanswered",
                       task["selector"])
        return None

    def upkeep(self, client: Client) -> bool:
        kind = self.rng.choices(["backup", "ingest", "search", "forge", "pack"], [3, 3, 3, 2, 1])[0]
        message = {
            "backup": {"command": "backup", "reason": "soak"},
            "ingest": {"command": "ingest", "text": TEXT * self.rng.randint(1, 5), "metadata": {"source": "soak"}},
            "search": {"command": "search", "query": "what does a pack drop", "limit": 3},
            "forge": {"command": "forge", "action": "dataset", "out": str(self.workdir / "dataset.jsonl")},
            "pack": {"command": "pack", "days": 0},
        }[kind]
        return self.ask(client, kind, message, 180) is not None

    def watcher(self, index: int) -> None:
        ctx = zmq.Context()
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(f"tcp://127.0.0.1:{self.events_port}")
        try:
            while not self.stop.is_set():
                if sub.poll(500):
                    sub.recv_multipart()
                    self.events_seen[index] += 1
        finally:
            sub.close(0)
            ctx.term()

    def web(self) -> None:
        sys.path.insert(0, str(ROOT / "tests"))
        from web_support import WebProcess

        page = WebProcess(self.watchdog.endpoint, self.workdir).start()
        try:
            while not self.stop.is_set():
                for path, body in (("/api/world", None), ("/api/request", {"command": "status"})):
                    try:
                        code, reply = page.json(path, body, timeout=60)
                    except (OSError, ValueError) as exc:
                        self.tally.add("web", "unanswered" if not self.kills else "cut by a kill", repr(exc))
                        continue
                    known = code == 200 or (reply.get("error") or {}).get("code")
                    self.tally.add("web", "ok" if code == 200 else f"error {reply['error']['code']}" if known else "bad reply",
                                   f"HTTP {code}: {str(reply)[:200]}")
                self.stop.wait(self.rng.uniform(1, 4))
        finally:
            page.stop()

    # --- kills and checks ---------------------------------------------------------------------------
    def kernel(self) -> int:
        """The kernel's pid, from status (waits up to 120 s for one to serve)."""
        pid = self.watchdog.kernel_pid(timeout=120, not_pid=None)
        return pid

    def kill(self) -> None:
        pid = self.pid
        self.kills.append(time.monotonic())
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        started = time.monotonic()
        wait_dead(pid)
        try:
            self.pid = self.watchdog.kernel_pid(timeout=120, not_pid=pid)
        except TimeoutError as exc:
            self.tally.add("restart", "not reopened", str(exc)[:300])
            raise
        self.restarts.append(time.monotonic() - started)
        self.check_writes(f"after kill {len(self.kills)}")

    def check_writes(self, when: str) -> None:
        self.checking.set()
        try:
            with self.writes, Client(self.watchdog.endpoint) as client:
                reply = client.request({"command": "inspect", "target": "genesis_obj", "limit": 10_000}, 120)
                self._compare(reply["result"]["slots"], when)
        finally:
            self.checking.clear()

    def _compare(self, slots: dict, when: str) -> None:
        for slot, value in self.acked.items():
            if not value <= slots.get(slot, -1) <= self.sent[slot]:
                self.tally.add("write log", "lost write", f"{when}: {slot} = {slots.get(slot)}, acknowledged {value}")
        if list(slots.get("journal", [])) not in self.versions[self.acked_version:]:
            self.tally.add("write log", "lost write", f"{when}: the journal is older than its acknowledged version")
        self.tally.add("write log", "checked")

    def sample(self) -> None:
        try:
            rss = psutil.Process(self.pid).memory_info().rss
        except psutil.Error:
            return
        size = sum(p.stat().st_size for p in self.image.parent.rglob("*") if p.is_file())
        self.samples.append((time.monotonic() - self.started, rss, size))

    # --- the run --------------------------------------------------------------------------------------
    def run(self) -> None:
        self.watchdog.start()
        self.pid = self.kernel()
        with Client(self.watchdog.endpoint) as client:
            assert client.request({"command": "set_slot", "target": "genesis_obj", "slot": "journal", "value": []}, 60)["status"] == "ok"
            assert client.request({"command": "set_method", "target": "genesis_obj", "selector": "double", "source": DOUBLE}, 60)["status"] == "ok"
        pace = (0.0, 0.0) if self.args.kills else (0.0, 0.05)  # the kill loop writes flat out
        threads = [threading.Thread(target=self.loop, args=("writer", self.writer, pace), daemon=True)]
        if not self.args.kills:
            threads += [
                threading.Thread(target=self.loop, args=("reader", self.reader, (0.01, 0.2)), daemon=True),
                threading.Thread(target=self.loop, args=("editor", self.editor, (2, 6)), daemon=True),
                threading.Thread(target=self.loop, args=("learner", self.learner, (5, 20)), daemon=True),
                threading.Thread(target=self.loop, args=("upkeep", self.upkeep, (10, 40)), daemon=True),
                threading.Thread(target=self.watcher, args=(0,), daemon=True),
                threading.Thread(target=self.watcher, args=(1,), daemon=True),
                threading.Thread(target=self.web, daemon=True),
            ]
        for thread in threads:
            thread.start()
        low, high = (0.05, 1.0) if self.args.kills else self.args.kill_every
        next_sample = 0.0
        while True:
            elapsed = time.monotonic() - self.started
            if self.args.kills and len(self.kills) >= self.args.kills:
                break
            if not self.args.kills and elapsed >= self.args.minutes * 60 and len(self.kills) >= self.args.min_kills:
                break
            wait = self.rng.uniform(low, high) if high else self.args.minutes * 60 - elapsed  # 0,0: no kills
            until = time.monotonic() + wait
            while time.monotonic() < until:
                if time.monotonic() >= next_sample:
                    self.sample()
                    next_sample = time.monotonic() + 30
                time.sleep(min(1.0, max(0.0, until - time.monotonic())))
            if not high:
                break
            self.kill()
            if len(self.kills) % 10 == 0:
                self.progress()
        self.finish(threads)

    def progress(self) -> None:
        rss = self.samples[-1][1] / 2**20 if self.samples else 0
        print(f"  {time.monotonic() - self.started:7.0f}s: {len(self.kills)} kills, restart p50 "
              f"{statistics.median(self.restarts):.2f}s, {self.tally.total('ok')} ok, {self.tally.total('lost write')} lost,"
              f" {self.tally.total('unanswered')} unanswered, RSS {rss:.0f} MiB", flush=True)

    def finish(self, threads: list[threading.Thread]) -> None:
        self.stop.set()
        for thread in threads:
            thread.join(120)
        try:
            self.check_writes("at the end")
        except (TimeoutError, KeyError) as exc:
            self.tally.add("write log", "unanswered", f"the last check: {exc}")

    def close(self) -> None:
        self.stop.set()
        self.watchdog.stop()
        if self.image.exists():  # the image opened offline: what the last kernel committed is all there
            from bat_os.image.image import Image

            image = Image(self.image)
            try:
                slots = image.read(lambda: dict(image.connection.root()["genesis_obj"].slots))
                self._compare({k: (list(v) if k == "journal" else v) for k, v in slots.items()}, "image opened offline")
            finally:
                image.close()


def reference(task: dict, args: list) -> object:
    """What the person knows: the task's reference method's answer (the benchmark's own trusted source)."""
    space: dict = {}
    exec(task["reference"], space)  # noqa: S102
    return space[task["selector"]](None, *json.loads(json.dumps(args)))


def slope(samples: list[tuple[float, int]], after: float) -> tuple[float, int] | None:
    """Least squares slope of the samples after ``after`` seconds, in % of their mean an hour; None: too few."""
    points = [(t, v) for t, v in samples if t >= after]
    if len(points) < 3:
        return None
    times, values = [p[0] for p in points], [p[1] for p in points]
    mt, mv = statistics.mean(times), statistics.mean(values)
    var = sum((t - mt) ** 2 for t in times)
    if not var or not mv:
        return None
    per_second = sum((t - mt) * (v - mv) for t, v in points) / var
    return per_second * 3600 / mv * 100, len(points)


def report(soak: Soak, args: argparse.Namespace, interrupted: bool) -> int:
    elapsed = time.monotonic() - soak.started
    print()
    print(f"-- soak: {elapsed / 60:.1f} minutes{' (interrupted)' if interrupted else ''} --")
    print(f"kills: {len(soak.kills)}; restarts opened: {len(soak.restarts)}"
          + (f", kill -> new kernel's status p50 {statistics.median(soak.restarts):.2f}s"
             f" p99 {percentile(sorted(soak.restarts), 99):.2f}s max {max(soak.restarts):.2f}s" if soak.restarts else ""))
    for kind, counts in sorted(soak.tally.by.items()):
        print(f"  {kind:18} " + ", ".join(f"{outcome} {n}" for outcome, n in counts.most_common()))
    journal = soak.versions[soak.acked_version] if soak.versions else []
    print(f"acknowledged writes: {len(soak.acked)} slots, last value {max(soak.acked.values(), default=0)}; journal "
          f"{soak.journal_acked} writes, last entry {journal[-1] if journal else None}; lost: {soak.tally.total('lost write')}")
    if soak.learned:
        print("learning: " + ", ".join(f"{k} {v}" for k, v in soak.learned.items()))
    if not args.kills:
        print(f"events seen by the watchers: {soak.events_seen[0]}, {soak.events_seen[1]}")
    if soak.samples:
        first, last = soak.samples[0], soak.samples[-1]
        print(f"samples: {len(soak.samples)}; kernel RSS {first[1] / 2**20:.0f} -> {last[1] / 2**20:.0f} MiB "
              f"(max {max(s[1] for s in soak.samples) / 2**20:.0f}); image {first[2] / 2**20:.1f} -> {last[2] / 2**20:.1f} MiB")
        for hour in range(int(soak.samples[-1][0] // 3600) + 1):  # per hour: the kernel's RSS and the image's size
            inside = [s for s in soak.samples if hour * 3600 <= s[0] < (hour + 1) * 3600]
            if inside:
                print(f"  hour {hour + 1}: RSS mean {statistics.mean(s[1] for s in inside) / 2**20:.0f} MiB, max "
                      f"{max(s[1] for s in inside) / 2**20:.0f} MiB; image {inside[-1][2] / 2**20:.1f} MiB at its end"
                      f" ({len(inside)} samples)")
        for label, index in (("RSS", 1), ("image size", 2)):
            for after, name in ((3600.0, "after the first hour"), (0.0, "whole run")):
                found = slope([(s[0], s[index]) for s in soak.samples], after)
                if found is not None:
                    print(f"  {label} slope, {name}: {found[0]:+.1f}% an hour ({found[1]} samples)")
    failures = soak.tally.total("lost write") + soak.tally.total("unanswered") + soak.tally.total("bad reply") \
        + soak.tally.total("not reopened")
    for line in soak.tally.failures:
        print("  FAILED " + line)
    print(f"RESULT lost {soak.tally.total('lost write')}, unanswered {soak.tally.total('unanswered')}, "
          f"bad replies {soak.tally.total('bad reply')}, not reopened {soak.tally.total('not reopened')}: "
          + ("PASS" if not failures else "FAIL"))
    return 1 if failures else 0


def properties() -> int:
    """The protocol's property tests under the soak profile (``tests/test_protocol_properties.py``)."""
    env = {**os.environ, "BATOS_HYPOTHESIS_PROFILE": "soak"}
    started = time.monotonic()
    code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout", "0",
                            "--hypothesis-show-statistics", str(ROOT / "tests" / "test_protocol_properties.py")],
                           cwd=ROOT, env=env)
    print(f"properties under the soak profile: exit {code} in {(time.monotonic() - started) / 60:.1f} minutes")
    return code


def _stop_on_term(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=60.0, help="how long the mixed load runs (default 60)")
    p.add_argument("--min-kills", type=int, default=0, help="go on past --minutes until this many kills")
    p.add_argument("--kill-every", type=lambda s: tuple(float(x) for x in s.split(",")), default=(10.0, 60.0),
                   help="seconds between kills, LOW,HIGH (uniform; default 10,60; 0,0: no kills, for a kernel's RSS over hours)")
    p.add_argument("--kills", type=int, default=0, help="the kill loop alone, until N kills")
    p.add_argument("--properties", action="store_true", help="the protocol's property tests, 20,000 examples each")
    p.add_argument("--seed", type=int, default=20261127)
    p.add_argument("--out", type=Path, help="keep the run's image and logs here (default: a temp dir, removed)")
    args = p.parse_args()
    if args.properties:
        return properties()
    print(f"== soak: {'kill loop, ' + str(args.kills) + ' kills' if args.kills else f'{args.minutes:g} minutes of mixed load'}"
          f" ==\npython {sys.version.split()[0]}, {os.cpu_count()} CPUs, seed {args.seed}", flush=True)
    workdir = args.out or Path(tempfile.mkdtemp(prefix="batos-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    soak = Soak(workdir, args)
    interrupted = False
    signal.signal(signal.SIGTERM, _stop_on_term)  # a supervisor's stop ends the run as Ctrl+C does: it still reports
    try:
        soak.run()
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: stopping", flush=True)
        soak.stop.set()
    except TimeoutError as exc:
        print(f"stopped: {exc}"[:2000], flush=True)
    finally:
        try:
            soak.close()
        except Exception as exc:  # noqa: BLE001 - what was measured is still printed
            print(f"closing: {type(exc).__name__}: {exc}")
    code = report(soak, args, interrupted)
    if args.out is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
