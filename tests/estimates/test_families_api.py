"""The indicator lists carry a family's members with `family`, `category` and
`category_order` (CONTRACT section 8), and nothing of the kind for other indicators."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.builders import bearer

SURVEY_DEFS = Path(__file__).parents[2] / "survey_defs"


def test_family_members_and_the_mean_per_100_in_the_indicator_lists(settings: Settings, factory):
    with TestClient(create_app(settings.model_copy(update={"survey_defs": SURVEY_DEFS}))) as client:
        public = client.get("/api/v1/public/indicators?lang=en").json()
        every = client.get("/api/v1/indicators?lang=en", headers=bearer(factory, "analyst")).json()
    assert {i["id"] for i in public} <= {i["id"] for i in every}
    members = sorted(
        (i for i in every if i.get("family") == "absence_length"), key=lambda i: i["category_order"]
    )
    assert [(m["category"], m["category_order"], m["category_label"]) for m in members] == [
        ("0", 1, "0 days"), ("1_2", 2, "1-2 days"), ("3_5", 3, "3-5 days"),
        ("6_20", 4, "6-20 days"), ("over_20", 5, "More than 20 days"),
    ]  # fmt: skip
    assert {m["denominator"] for m in members} == {"victims"}
    assert {m["family_label"] for m in members} == {
        "Length of absence after incident (victims, distribution)"
    }
    satisfied = next(i for i in every if i["id"] == "satisfied_victims")
    assert not {"family", "category", "category_order", "scale"} & set(satisfied)
    days = next(i for i in public if i["id"] == "days_lost_per_100")
    assert (days["kind"], days["denominator"], days["scale"]) == ("mean", "all", 100)
