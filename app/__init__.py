"""Composition root: settings, database, auth, app factory, CLI. Nothing is built at import time."""
