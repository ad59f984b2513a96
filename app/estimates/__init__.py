"""Stored figures, the trend read model and response rates, and their routes."""
