"""One limit in words: the verdict's reasons and every reporter say it the same way."""

from __future__ import annotations

from factories import failing_verdict, ledger_fail_verdict, warn_mode_verdict

from greengate.gate.limit_sentence import limit_sentence
from greengate.policy.model import Mode
from greengate.reporters import figures
from greengate.verdict import LimitCheck, Quantity, Status


def test_a_check_reads_as_one_sentence_in_scaled_units() -> None:
    check = LimitCheck(Quantity.EMISSIONS, 4.78e-8, 1e-6, 0.8, Status.PASS)
    assert limit_sentence(check, "ci") == (
        "emissions 47.8 µg CO2e is within the limit of 1 mg CO2e (5%) of rule 'ci'"
    )


def test_an_overrun_that_does_not_fail_says_so_and_why() -> None:
    check = LimitCheck(Quantity.ENERGY, 0.0012, 0.001, 0.8, Status.FAIL, enforced=False)
    assert limit_sentence(check, "ci", mode=Mode.WARN) == (
        "energy 1.2 Wh is over the limit of 1 Wh (120%) of rule 'ci'; mode warn: not enforced"
    )
    assert limit_sentence(check, "ci").endswith("(120%) of rule 'ci'")  # the reasons' form


def test_an_enforced_overrun_never_reads_not_enforced() -> None:
    check = LimitCheck(Quantity.ENERGY, 0.0012, 0.001, 0.8, Status.FAIL, enforced=True)
    for mode in Mode:
        assert "not enforced" not in limit_sentence(check, "ci", mode=mode)
    # The verdict that once read "mode enforce: not enforced": over budget, ledger broken.
    failed = ledger_fail_verdict()
    assert failed.status is Status.FAIL
    assert "not enforced" not in figures.limit_sentence(failed, failed.checks[0])


def test_a_band_across_the_limit_is_named_after_the_rule() -> None:
    check = LimitCheck(Quantity.ENERGY, 0.012, 0.0125, 0.8, Status.WARN, 0.009, 0.0165)
    assert limit_sentence(check, "ci") == (
        "energy 12 Wh is near the limit of 12.5 Wh (96%) of rule 'ci'; its uncertainty band "
        "9 Wh to 16.5 Wh straddles the limit, so the gate decided on the central figure"
    )


def test_reporters_and_the_verdict_reasons_share_the_sentence() -> None:
    failed = failing_verdict()
    over = failed.checks[0]
    assert over.status is Status.FAIL
    assert figures.limit_sentence(failed, over) == failed.reasons[0]
    warned = warn_mode_verdict()
    sentence = figures.limit_sentence(warned, warned.checks[0])
    assert sentence == f"{warned.reasons[0]}; mode warn: not enforced"
