"""webui.caches: per-app LRU caches behind a lock."""

from __future__ import annotations

import threading

from webui.caches import LRUCache, cache


def test_the_least_recently_used_entry_goes_first():
    lru = LRUCache(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1  # now "b" is the oldest
    lru.put("c", 3)
    assert lru.get("b") is None and lru.get("a") == 1 and lru.get("c") == 3 and len(lru) == 2


def test_get_or_make_makes_once_per_key():
    lru = LRUCache(4)
    made = []
    for _ in range(3):
        assert lru.get_or_make("k", lambda: made.append(1) or "value") == "value"
    assert made == [1]


def test_threads_share_one_cache_without_losing_its_bound():
    lru = LRUCache(16)

    def work(n: int) -> None:
        for i in range(2000):
            lru.put((n, i % 40), i)
            lru.get((n, (i + 7) % 40))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(lru) == 16


def test_each_app_has_its_own_caches(tmp_path):
    from tests.conftest import make_app

    first = make_app(tmp_path / "one", tmp_path / "one.db")
    second = make_app(tmp_path / "two", tmp_path / "two.db")
    with first.app_context():
        cache("x", 2).put("k", "first")
        assert cache("x", 2).get("k") == "first"
    with second.app_context():
        assert cache("x", 2).get("k") is None
