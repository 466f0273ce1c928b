"""Metrics, alerts, charts and digest content as pure functions of stored rows and an explicit now."""
