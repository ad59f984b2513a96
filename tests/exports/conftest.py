from __future__ import annotations

from datetime import date

import pytest

from tests.builders import filled_wave


@pytest.fixture
def two_waves(factory):
    """Two closed waves (the later one created first); om is small in the second, so
    some of its figures are suppressed."""
    filled_wave(factory, "w2", [30, 12, 25, 8, 6], seed=31, opens=date(2027, 3, 1))
    filled_wave(factory, "w1", [28, 14, 22, 10, 13], seed=32, opens=date(2026, 3, 1))
