"""Composition helpers for the running app (logging, the session lock, status), so main.py stays thin."""
