"""Pure survey maths: weights, estimators, disclosure control and the groups of the
breakdowns. numpy and scipy only: no database, no HTTP, no other package of the app."""
