"""The read-only HTTP API (FastAPI): routes that call analytics/ and storage/, token auth, health."""
