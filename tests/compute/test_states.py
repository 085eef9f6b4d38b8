from __future__ import annotations

import pytest

from qazai.compute.states import (
    FINAL_STATES,
    NEXT,
    JobState,
    allowed_next,
    check_transition,
    path_to,
)
from qazai.core.errors import Conflict


def test_every_state_has_a_row_and_reaches_a_final_state() -> None:
    assert set(NEXT) == set(JobState)
    for state in JobState:
        seen, frontier = {state}, [state]
        while frontier:
            for following in NEXT[frontier.pop()]:
                if following not in seen:
                    seen.add(following)
                    frontier.append(following)
        assert seen & FINAL_STATES, f"{state} never ends"


def test_finals_are_exactly_the_states_without_moves() -> None:
    assert {JobState.failed, JobState.cancelled, JobState.timed_out, JobState.reviewed} == FINAL_STATES


@pytest.mark.parametrize("source", list(JobState))
@pytest.mark.parametrize("target", list(JobState))
def test_a_move_outside_the_table_is_a_conflict_naming_the_allowed_states(
    source: JobState, target: JobState
) -> None:
    if target in NEXT[source]:
        check_transition(source, target)
        return
    with pytest.raises(Conflict) as caught:
        check_transition(source, target)
    assert caught.value.code == "invalid_job_transition"
    assert caught.value.details["allowed"] == [s.value for s in allowed_next(source)]
    for allowed in allowed_next(source):
        assert allowed.value in caught.value.message
    if not NEXT[source]:
        assert "final state" in caught.value.message


def test_a_poll_that_missed_running_walks_through_it() -> None:
    assert path_to(JobState.queued, JobState.succeeded) == [JobState.running, JobState.succeeded]
    assert path_to(JobState.queued, JobState.cancelled) == [JobState.cancelled]
    assert path_to(JobState.running, JobState.running) == []
    assert path_to(JobState.failed, JobState.running) == []
