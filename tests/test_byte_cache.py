"""app_ui.byte_cache: an LRU cache bounded by the bytes of what it keeps."""

from __future__ import annotations

from app_ui.byte_cache import byte_lru


def sized_cache(budget: int):
    calls: list[int] = []

    @byte_lru(budget, size_of=len)
    def make(n: int) -> bytes:
        calls.append(n)
        return b"x" * n

    return make, calls


def test_a_hit_does_not_call_again():
    """The same arguments give the same object, computed once."""
    make, calls = sized_cache(100)
    first = make(10)
    assert make(10) is first and calls == [10]


def test_least_recently_used_goes_first_when_over_budget():
    """Past the budget the least recently used values are dropped until it fits."""
    make, calls = sized_cache(100)
    make(40), make(40 + 1), make(40)  # 40 is now the most recent
    make(30)  # 40 + 41 + 30 > 100: 41 goes
    assert make.cache_bytes() == 70 and make.cache_len() == 2
    make(41)
    assert calls == [40, 41, 30, 41]


def test_a_value_bigger_than_the_budget_is_returned_but_not_kept():
    """A huge value never evicts everything else for nothing."""
    make, _calls = sized_cache(100)
    make(10)
    assert len(make(500)) == 500
    assert make.cache_bytes() == 10 and make.cache_len() == 1


def test_cache_clear_empties_it():
    """cache_clear() drops every value and its bytes."""
    make, _ = sized_cache(100)
    make(10)
    make.cache_clear()
    assert make.cache_bytes() == 0 and make.cache_len() == 0


def test_runs_carry_the_size_of_their_answer():
    """A worker run knows how many bytes its answer had; a bigger program's is bigger."""
    import engine

    small = engine.run("x = param([1.0, 2.0])\ny = (x * x).sum()\n", numeric=False)
    big = engine.run("x = param([1.0] * 500)\ny = (x * x).sum()\n", numeric=False)
    assert 0 < small.answer_bytes < big.answer_bytes
