"""Search across the meetings, agenda items and documents a user may see (the database's own full-text index)."""
