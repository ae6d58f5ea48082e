"""Garbage-collector settings for the long-running server.

A full (generation 2) collection walks every container object of the process. After start-up that is a few
hundred thousand objects (modules, the ORM's metadata, templates, the demo's data), and at 10 meeting events
a second a full pass every few seconds stalled the event loop for 100–250 ms: the p99 of a chair's tap
reaching 500 tablets (bench/fanout.py). What exists at the end of start-up lives as long as the process, so
it is moved out of the collector's sight (gc.freeze); what comes later (sockets, sessions, requests) is
collected as usual, and a bigger first-generation threshold makes the young passes rarer (each event makes
many short-lived dicts that reference counting frees anyway).
"""
from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000  # CPython's default is 700 (3.11)


def settle_after_startup() -> None:
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
