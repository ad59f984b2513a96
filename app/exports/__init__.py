"""Files for analysts' own tools: one table model, one writer per format, one route."""
