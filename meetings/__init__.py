"""Meetings: agenda, participants, attendance, the live state and its event log."""
