"""Reading long lists in pages (bat_os.kernel.commands.paging), and replies sent whole: the rule alone, then a real
kernel subprocess answering a 50,000-item result whole, keeping a larger one in a slot, and listing in pages."""

from __future__ import annotations

import pytest

from bat_os.errors import BadRequest
from bat_os.kernel.commands.paging import MAX_LIMIT, Page, page_of

NUMBERS = "def numbers(self, n):\n    return list(range(n))"


def test_a_page_is_its_slice_of_a_list_or_of_anything_walked():
    page = Page(offset=2, limit=3)
    assert page.take(list(range(10))) == [2, 3, 4]
    assert page.take(iter(range(10))) == [2, 3, 4]  # walked, and no further than the page's end
    assert page.take(range(4)) == [2, 3] and Page(9, 5).take(range(4)) == []  # past the end: empty
    assert page.fields(10) == {"offset": 2, "limit": 3, "total": 10}


def test_a_request_names_its_page_or_gets_the_commands_own():
    assert page_of({}) == Page(0, 1000) and page_of({}, default=5) == Page(0, 5)
    assert page_of({"offset": 7, "limit": MAX_LIMIT}) == Page(7, MAX_LIMIT)
    for bad in ({"offset": -1}, {"limit": 0}, {"limit": MAX_LIMIT + 1}, {"offset": "3"}, {"limit": True}, {"limit": 2.5}):
        with pytest.raises(BadRequest):
            page_of(bad)


def _ok(reply: dict) -> dict:
    assert reply["status"] == "ok", reply
    return reply["result"]


def test_a_learned_methods_long_result_comes_whole_and_a_larger_one_is_kept_and_read_in_pages(kernel):
    _ok(kernel.request({"command": "clone", "target": "genesis_obj", "name": "list_obj"}))
    _ok(kernel.request({"command": "set_method", "target": "list_obj", "selector": "numbers", "source": NUMBERS,
                        "cases": [{"args": [3], "result": [0, 1, 2]}]}))
    whole = _ok(kernel.request({"command": "send", "target": "list_obj", "selector": "numbers", "args": [50_000]}, timeout=60))
    assert whole == list(range(50_000))  # no "$truncated", nothing missing

    kept = _ok(kernel.request({"command": "send", "target": "list_obj", "selector": "numbers", "args": [120_000],
                               "keep": "big"}, timeout=60))
    assert kept == {"target": kept["target"], "kept": "big", "total": 120_000}
    read, offset = [], 0
    while True:
        page = _ok(kernel.request({"command": "get_slot", "target": "list_obj", "slot": "big", "offset": offset,
                                   "limit": MAX_LIMIT}))
        assert page["total"] == 120_000 and page["limit"] == MAX_LIMIT
        read += page["value"]
        offset += MAX_LIMIT
        if offset >= page["total"]:
            break
    assert read == list(range(120_000))
    # inspect pages the object's data slots; the kept list is one of them
    _ok(kernel.request({"command": "set_slot", "target": "list_obj", "slot": "small", "value": {"a": 1}}))
    first = _ok(kernel.request({"command": "inspect", "target": "list_obj", "limit": 1}))
    second = _ok(kernel.request({"command": "inspect", "target": "list_obj", "offset": 1, "limit": 1}))
    assert first["total"] == second["total"] == 2 and {*first["slots"], *second["slots"]} == {"big", "small"}
    assert _ok(kernel.request({"command": "get_slot", "target": "list_obj", "slot": "small", "limit": 1}))["value"] == {"a": 1}
    for bad, code in (({"slot": "numbers"}, "bad_request"), ({"slot": "nothing_here"}, "not_found"),
                      ({"slot": "big", "offset": -1}, "bad_request"), ({"slot": "big", "limit": 10**6}, "bad_request")):
        reply = kernel.request({"command": "get_slot", "target": "list_obj", **bad})
        assert reply["status"] == "error" and reply["error"]["code"] == code, (bad, reply)
    refused = kernel.request({"command": "send", "target": "list_obj", "selector": "numbers", "args": [3], "keep": "numbers"})
    assert refused["error"]["code"] == "bad_request"  # a method's slot is never overwritten by a result


def test_a_reply_over_the_frame_limit_is_refused_with_its_size_and_its_id(tmp_path):
    from support import KernelProcess

    kernel = KernelProcess(tmp_path, env={"BATOS_MAX_FRAME_BYTES": str(64 * 1024)}).start()
    try:
        for slot in ("a", "b"):  # each request (about 39 KB) is under the limit; a reply with both is over it
            _ok(kernel.request({"command": "set_slot", "target": "genesis_obj", "slot": slot, "value": list(range(13_000))}))
        reply = kernel.request({"command": "inspect", "target": "genesis_obj", "id": "r1"})
        assert (reply["id"], reply["status"], reply["error"]["code"]) == ("r1", "error", "too_large")
        assert reply["error"]["size"] > 64 * 1024 and reply["error"]["limit"] == 64 * 1024
        one = _ok(kernel.request({"command": "inspect", "target": "genesis_obj", "limit": 1}))
        assert len(one["slots"]) == 1 and one["total"] >= 2
        page = _ok(kernel.request({"command": "get_slot", "target": "genesis_obj", "slot": "b", "offset": 12_990}))
        assert page["value"] == list(range(12_990, 13_000)) and page["total"] == 13_000
    finally:
        kernel.stop()


def test_methods_history_and_cycles_come_in_pages(kernel):
    _ok(kernel.request({"command": "clone", "target": "genesis_obj", "name": "paged_obj"}))
    for i in range(5):
        source = f"def m{i}(self):\n    return {i}"
        _ok(kernel.request({"command": "set_method", "target": "paged_obj", "selector": f"m{i}", "source": source}))
    for v in range(3):
        _ok(kernel.request({"command": "set_method", "target": "paged_obj", "selector": "m0",
                            "source": f"def m0(self):\n    return {10 + v}"}))
    own = lambda listing: [m["selector"] for m in listing["methods"] if not m["inherited"]]  # noqa: E731
    everything = _ok(kernel.request({"command": "methods", "target": "paged_obj"}))
    pages = [_ok(kernel.request({"command": "methods", "target": "paged_obj", "offset": o, "limit": 2}))
             for o in range(0, everything["total"], 2)]
    assert [m for p in pages for m in p["methods"]] == everything["methods"] and own(everything)[:5] == [f"m{i}" for i in range(5)]
    history = _ok(kernel.request({"command": "history", "target": "paged_obj", "selector": "m0", "offset": 2, "limit": 1}))
    assert history["total"] == 4 and [v["version"] for v in history["versions"]] == [3]
    assert {entry["version"] for entry in history["log"]} == {3}
    cycles = _ok(kernel.request({"command": "cycles"}))
    assert cycles == {"cycles": [], "offset": 0, "limit": 100, "total": 0}
    assert kernel.request({"command": "cycles", "limit": 0})["error"]["code"] == "bad_request"


def test_a_search_of_5000_hits_is_read_in_pages(awake_image):
    from bat_os.kernel.commands.base import Context
    from bat_os.kernel.commands.memory import search
    from bat_os.memory.service import catalog_of

    image = awake_image
    texts = [f"The lighthouse keeper wrote entry {i} in ledger {i % 7}." for i in range(5000)]
    image.run(lambda: catalog_of(image).index_document("ledger", texts, now=0.0))
    ctx = Context(image=image, stats=lambda: {})
    ask = lambda **page: image.read(lambda: search(ctx, {"command": "search", "query": "lighthouse keeper",  # noqa: E731
                                                        "mode": "text", **page}))
    first = ask()
    assert (len(first["hits"]), first["limit"], first["total"]) == (5, 5, 5000)  # the command's own page
    read, offset = [], 0
    while offset < first["total"]:
        page = ask(offset=offset, limit=1000)
        assert page["total"] == 5000 and page["offset"] == offset
        read += page["hits"]
        offset += page["limit"]
    assert sorted(hit["chunk"] for hit in read) == list(range(5000))  # every hit once, none twice
    scores = [hit["score"] for hit in read]
    assert scores == sorted(scores, reverse=True)  # best first across the pages
    assert ask(offset=5000)["hits"] == [] and ask(top_k=7)["limit"] == 7
