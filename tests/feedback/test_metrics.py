"""The metrics of DESIGN.md section 3, against values computed by hand."""

from __future__ import annotations

import pytest

from tracker.feedback import metrics


def test_response_rate_is_completed_over_invited() -> None:
    assert metrics.response_rate(45, 60) == pytest.approx(75.0)


def test_response_rate_without_invitations_is_unknown() -> None:
    assert metrics.response_rate(0, 0) is None


def test_csat_counts_fours_and_fives() -> None:
    # 1, 2, 3, 3, 4, 4, 4, 5, 5, 5: six answers of 4 or 5 out of ten.
    counts = {1: 1, 2: 1, 3: 2, 4: 3, 5: 3}

    assert metrics.csat(counts) == pytest.approx(60.0)


def test_mean_weights_each_value_by_its_count() -> None:
    # (1 + 2 + 3*2 + 4*3 + 5*3) / 10 = 36 / 10.
    assert metrics.mean({1: 1, 2: 1, 3: 2, 4: 3, 5: 3}) == pytest.approx(3.6)


def test_no_answers_give_no_figures() -> None:
    assert metrics.csat({}) is None
    assert metrics.mean({}) is None
    assert metrics.nps({}) is None
    assert metrics.share_of_yes({}) is None


def test_nps_of_ten_promoters_five_passives_five_detractors() -> None:
    counts = {10: 6, 9: 4, 8: 3, 7: 2, 6: 1, 3: 2, 0: 2}

    result = metrics.nps(counts)

    assert result is not None
    assert (result.promoters, result.passives, result.detractors, result.n) == (10, 5, 5, 20)
    # p = 10/20 = 0.5, d = 5/20 = 0.25: NPS = 50 % - 25 % = +25.
    assert result.score == pytest.approx(25.0)
    # 1.96 * sqrt((0.5 + 0.25 - 0.25²) / 20) * 100 = 1.96 * sqrt(0.034375) * 100
    #   = 1.96 * 0.185405 * 100 = 36.34 points.
    assert result.margin == pytest.approx(36.34, abs=0.01)
    assert result.indicative  # 20 answers < 30


def test_nps_margin_clamps_the_interval_to_the_scale() -> None:
    # 3 promoters, 1 detractor: NPS +50; margin 1.96 * sqrt((1 - 0.25) / 4) * 100 = 84.87.
    result = metrics.nps({10: 3, 2: 1})

    assert result is not None
    assert result.score == pytest.approx(50.0)
    assert result.margin == pytest.approx(84.87, abs=0.01)
    assert result.high == 100.0
    assert result.low == pytest.approx(-34.87, abs=0.01)


def test_nps_of_unanimous_promoters_has_no_margin() -> None:
    result = metrics.nps({9: 30, 10: 10})

    assert result is not None
    assert result.score == pytest.approx(100.0)
    assert result.margin == pytest.approx(0.0)
    assert not result.indicative  # 40 answers


def test_nps_of_only_passives_is_zero() -> None:
    result = metrics.nps({7: 5, 8: 5})

    assert result is not None
    assert result.score == pytest.approx(0.0)
    assert result.passives == 10


def test_share_of_yes() -> None:
    assert metrics.share_of_yes({1: 3, 0: 1}) == pytest.approx(75.0)


def test_distribution_lists_every_value_in_order_with_zeros() -> None:
    buckets = metrics.distribution({5: 2, 3: 2}, metrics.RATING_VALUES)

    assert [(b.value, b.count, b.percent) for b in buckets] == [
        (1, 0, 0.0),
        (2, 0, 0.0),
        (3, 2, 50.0),
        (4, 0, 0.0),
        (5, 2, 50.0),
    ]


def test_distribution_keeps_answers_to_removed_choices_and_takes_a_base() -> None:
    # Multiple choice: 4 respondents, 6 ticks; shares are of respondents.
    buckets = metrics.distribution({"A": 3, "B": 1, "Old": 2}, ["A", "B", "C"], base=4)

    assert [(b.value, b.count, b.percent) for b in buckets] == [
        ("A", 3, 75.0),
        ("B", 1, 25.0),
        ("C", 0, 0.0),
        ("Old", 2, 50.0),
    ]


@pytest.mark.parametrize(("n", "indicative"), [(0, True), (29, True), (30, False), (200, False)])
def test_fewer_than_thirty_answers_are_indicative(n: int, indicative: bool) -> None:
    assert metrics.is_indicative(n) is indicative


@pytest.mark.parametrize(
    ("size", "anonymous", "hidden"),
    [(4, True, True), (5, True, False), (1, False, False), (0, True, True)],
)
def test_small_segments_are_hidden_only_in_anonymous_rounds(
    size: int, anonymous: bool, hidden: bool
) -> None:
    assert metrics.is_segment_hidden(size, anonymous=anonymous) is hidden
