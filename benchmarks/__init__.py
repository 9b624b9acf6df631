"""Benchmarks of the nightly pipeline at scale, kept apart from the tests."""
