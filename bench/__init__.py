"""Benchmarks, run by `make bench` (python -m bench); never timed assertions in the test suite."""
