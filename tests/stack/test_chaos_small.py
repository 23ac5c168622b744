"""`bench/chaos_chat.py`, smaller: the same faults (chat, gateway and Redis SIGKILLed, PostgreSQL's connections
ended, sockets cut), 1,000 messages at 40/s, about 50 s with the stack's start."""

import pytest

from bench.chaos_chat import Plan, run
from bench.chaos_faults import FAULTS

# Alone (`make test` runs it after the others): beside the rest of the suite on the 2-core machine a restarted
# chat took 10 s to take its first message again (1.6 s of CPU to start, most of it imports), and one CI run
# missed the bound below by 30 ms.
pytestmark = [pytest.mark.stack, pytest.mark.solo]

# The bench's target is 5 s, measured by `bench/chaos_chat.py` (docs/performance.md). Here the bound says
# "recovers by itself, without a manual resume", with room for a slow machine.
RECOVERY_BOUND_S = 15.0


@pytest.mark.timeout(180)
def test_nothing_accepted_is_lost_and_nothing_stored_goes_unseen_through_crashes() -> None:
    outcome = run(Plan(messages=1000, rate=40.0, fault_every=4.2, pageviews=10.0, port_offset=600))
    figures = outcome.figures
    assert sorted(fault.kind for fault, _, _ in outcome.faults) == sorted(FAULTS), outcome.faults
    assert figures["sent"] == 1000
    assert figures["acked"] == figures["stored"] == figures["sent"], outcome.line()
    assert figures["delivered_live"] == figures["sent"], outcome.line()  # every participant, no manual resume
    assert (figures["lost"], figures["dup"], figures["out_of_order"]) == (0, 0, 0), outcome.line()
    assert figures["track_accepted"] > 0 and figures["track_accepted"] == figures["track_stored"], outcome.line()
    for fault, seconds, slowest in outcome.faults:
        assert seconds <= RECOVERY_BOUND_S, f"{fault.kind}: {fault.what}; recovered in {seconds:.1f} s ({slowest})"
