"""The indicator definitions as a route dependency (read from the definitions folder)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.dependencies import SettingsDep
from app.indicators.definitions import IndicatorSet, indicator_set


def get_indicators(settings: SettingsDep) -> IndicatorSet:
    return indicator_set(settings.survey_defs)


IndicatorsDep = Annotated[IndicatorSet, Depends(get_indicators)]
