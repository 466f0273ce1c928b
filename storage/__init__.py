"""Schema, migrations and repositories; imports nothing else of the project."""
