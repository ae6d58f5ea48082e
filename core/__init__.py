"""Domain-neutral building blocks shared by every domain package (errors, text, events, clock)."""
