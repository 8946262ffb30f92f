"""A bounded fuzz of engine.run for CI; bench/fuzz_hour.py runs the same oracle for an hour."""

from __future__ import annotations

import os

import fuzz_programs as fp
import pytest
from hypothesis import HealthCheck, given, settings

BOUNDED = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def empty_cwd(tmp_path_factory):
    """Runs happen in an empty directory, so any file a program writes is seen."""
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("fuzz-cwd"))
    yield os.getcwd()
    os.chdir(here)


@BOUNDED
@given(source=fp.grammar_programs)
def test_grammar_programs_run_or_fail_cleanly(source, empty_cwd):
    """Programs of the model language's grammar: never a crash, leak, file or second line."""
    assert fp.check_run(source, empty_cwd) == []


@BOUNDED
@given(source=fp.programs)
def test_mutated_and_arbitrary_text_fails_cleanly(source, empty_cwd):
    """Edited examples, token soup and arbitrary text: the same oracle holds."""
    assert fp.check_run(source, empty_cwd) == []


def test_oracle_catches_a_changed_torch_global():
    """The oracle itself notices a run that leaves a torch setting changed."""
    import torch

    before = fp.torch_globals()
    torch.set_grad_enabled(False)
    try:
        assert fp.torch_globals() != before
    finally:
        torch.set_grad_enabled(True)
    assert fp.torch_globals() == before
