"""Votes (biểu quyết) on agenda items: open, named and secret ballots, counted by the organisation's rule."""
