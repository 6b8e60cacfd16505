"""Record a real session of the heartbeat retrying a failed mission (tests/test_recorded_heartbeat.py).

    PYTHONPATH=. .venv/bin/python bench/learning/record_heartbeat_retry.py SELECTOR ARGS_JSON SENTENCE EXAMPLES_JSON DOCUMENT CHECK_ARGS_JSON

A real kernel with the embedded model: the mission is sent; when it fails, DOCUMENT is ingested and the
heartbeat (a beat every 3 s) retries it; the model calls go to record.jsonl in the work directory printed at the end.
mission cites the learned episode. Qwen2.5-Coder-0.5B embedded (w8, CPU)."""
import json, os, sys, time, tempfile
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from support import KernelProcess
from gguf_support import model_env

work = Path(tempfile.mkdtemp(prefix="s20demo-"))
env = model_env(BATOS_EMBEDDED_MODEL="qwen2.5-coder-0.5b", BATOS_HEARTBEAT_EVERY="3", BATOS_CYCLE_MAX_ATTEMPTS=os.environ.get("ATT", "12"),
                BATOS_RECORD_TO=str(work / "record.jsonl"))
k = KernelProcess(work, env=env)
k.start(timeout=600)
def req(m, t=900):
    r = k.request(m, timeout=t); return r
try:
    while True:
        emb = req({"command": "status"}, 30)["result"]["models"].get("embedded", {})
        if emb.get("state") in ("done", "failed"):
            print("embedded", emb.get("state"), flush=True); break
        time.sleep(3)
    t0 = time.time()
    task = {"command": "send", "target": "genesis_obj", "selector": sys.argv[1], "args": json.loads(sys.argv[2]),
            "intent": sys.argv[3], "examples": json.loads(sys.argv[4])}
    first = req(task)
    print("FIRST", json.dumps(first)[:600], f"{time.time()-t0:.0f}s", flush=True)
    if first["status"] == "ok":
        print("learned at once: nothing to retry"); 
    else:
        print("INGEST", req({"command": "ingest", "text": sys.argv[5], "doc_id": "note:rule"}, 300)["status"], flush=True)
        deadline = time.time() + 900
        seen = None
        while time.time() < deadline:
            hb = req({"command": "status"})["result"]["heartbeat"]
            retries = [a for a in hb["last"] if a["action"] == "retry"]
            if retries:
                seen = retries[-1]; break
            time.sleep(3)
        print("RETRY", json.dumps(seen), flush=True)
        if seen and seen.get("retry"):
            cyc = req({"command": "cycle", "cycle": seen["retry"]})["result"]
            print("RETRY CYCLE", cyc["state"], cyc["origin"], cyc.get("reasons"), [e["id"] for e in cyc["artifacts"].get("episodes", [])])
            cands = cyc["artifacts"].get("candidates", [])
            for c in cands:
                print("  cand", c.get("attempt"), c.get("eligible"), (c.get("failed") or [])[:2])
                print("   ", c.get("code", "")[:300].replace("\n", "\n    "))
        after = req({**task, "args": json.loads(sys.argv[6])})
        print("AFTER", json.dumps(after)[:400])
    lines = [json.loads(l) for l in k.audit.read_text().splitlines()]
    print("AUDIT events:", {e: sum(1 for l in lines if l["event"] == e) for e in {l["event"] for l in lines}})
finally:
    k.stop()
print("workdir", work)
