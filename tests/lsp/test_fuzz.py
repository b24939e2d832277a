"""Fuzzing the live server: hypothesis chooses sequences of random incremental edits, and after
each one the server must answer hover and code actions, publish only real versions in order, keep
every range inside the document, and offer only fixes that parse at least as well as the text."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .fuzz_driver import PIECES, Edit, run

texts = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(alphabet=st.characters(codec="utf-8"), max_size=8)), max_size=3
).map("".join)
edits = st.builds(
    Edit,
    where=st.floats(0, 1),
    length=st.sampled_from([0, 0, 1, 3, 40]),
    text=texts,
) | st.just(Edit(0, 0, "", delete_all=True))  # deleting everything


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(sequence=st.lists(edits, min_size=20, max_size=40))
def test_random_edits_keep_the_server_sound(encoding: str, sequence: list[Edit]) -> None:
    counts = asyncio.run(run(sequence, Path(tempfile.mkdtemp()), seed=len(sequence), encoding=encoding))
    assert counts.problems == []
    assert counts.edits == counts.hovers == counts.code_actions == len(sequence)
