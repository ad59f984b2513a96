"""Benchmarks: measured on this machine, reproducible with the command in each module."""
