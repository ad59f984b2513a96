"""The demo: a ready database with five yearly waves of synthetic but plausible data.

- `population`: the population frame (police about 65,000, OM about 6,000) and how it
  changes from year to year;
- `generator`: synthetic respondents, drawn on columns with numpy, that follow the
  questionnaire's routing and reproduce the seed figures of the 2014 letter in the
  first wave;
- `service`: builds the database (`monitor demo`).
"""
