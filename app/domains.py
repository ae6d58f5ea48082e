"""Wires the domain packages into the app: their HTTP routes, socket events and snapshot slices.

Each domain beyond meetings adds one entry here; nothing else in app/ needs to know about it.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

import accounts.admin_routes
import accounts.self_routes
import accounts.routes
import audit.routes
import display.routes
import documents.routes
import meetings.routes
import minutes.routes
import notices.routes
import notifications.routes
import polls.pages
import polls.routes
import realtime.remote_page
import search.routes
import speakers.routes
import votes.routes
import workdays.pages
import workdays.routes
from accounts import hooks as account_hooks
from accounts import services as account_services
from annotations import presenter as annotation_presenter
from annotations import routes as annotation_routes
from annotations import socket as annotation_socket
from annotations import live as annotation_live
from infra.context import AppContext
from infra.outbox import Dispatcher
from web.openapi import HEALTH, Op
from documents import hooks as document_hooks
from documents import serialize as document_serialize
from meetings import hooks
from meetings import serialize as meeting_serialize
from meetings import events as meeting_events
from minutes import conclusions as minutes_conclusions
from minutes import issued as minutes_issued
from minutes import services as minutes_services
from notices import issued as notice_issued
from notices import live as notice_live
from notices import overdue as notice_overdue
from notifications import live as notification_live
from polls import issued as poll_issued
from polls import live as poll_live
from speakers import serialize as speaker_serialize
from speakers import services as speaker_services
from speakers import socket as speaker_socket
from votes import live as vote_live
from votes import serialize as vote_serialize
from votes import services as vote_services
from votes import socket as vote_socket
from votes.ballot import custody as ballot_custody

# Every module with HTTP routes: its `routes` are served and its `OPENAPI` operations documented.
ROUTE_MODULES = [
    accounts.routes,
    accounts.admin_routes,
    accounts.self_routes,
    audit.routes,
    meetings.routes,
    speakers.routes,
    display.routes,
    votes.routes,
    documents.routes,
    annotation_routes,
    minutes.routes,
    realtime.remote_page,
    search.routes,
    workdays.routes,
    workdays.pages,
    polls.routes,
    polls.pages,
    notifications.routes,
    notices.routes,
]


def http_routes() -> list[BaseRoute]:
    return [route for module in ROUTE_MODULES for route in module.routes]


def openapi_operations() -> list[Op]:
    return [*HEALTH, *(op for module in ROUTE_MODULES for op in getattr(module, "OPENAPI", []))]


def register_speakers() -> None:
    """The "speakers" snapshot slice and the end-of-speech-on-item-change hook (idempotent)."""
    meeting_serialize.register_slice("speakers", speaker_serialize.speakers_slice)
    hooks.on_current_item_changed("speakers", speaker_services.on_current_item_changed)


def install(ctx: AppContext, jobs: Dispatcher) -> None:
    """Register snapshot slices, socket event modules and outbox job handlers of the other domains (called by
    create_app)."""
    # The edge (web/auth.py, web/pages.py) resolves a session cookie and reads the header's profile through these.
    ctx.resolve_session = account_services.resolve
    ctx.resolve_sessions = account_services.resolve_many
    ctx.read_profile = account_services.get_self
    register_speakers()
    meeting_serialize.register_slice("votes", vote_serialize.votes_slice, outsiders=vote_serialize.outsiders_slice)
    for vote_event in vote_serialize.EVENT_TYPES:
        meeting_events.tell_outsiders(vote_event, vote_serialize.told_outsiders)
    meeting_serialize.register_slice("documents", document_serialize.documents_slice)
    meeting_serialize.register_slice(
        "presenter", annotation_presenter.presenter_slice, outsiders=annotation_presenter.outsiders_slice
    )
    hooks.on_current_item_changed("presenter", annotation_presenter.on_current_item_changed)
    hooks.on_meeting_ended("votes", vote_services.close_open_votes)
    account_hooks.on_password_changed("ballot-key", ballot_custody.FOLLOWER)  # the key sealed with it
    document_hooks.on_document_removed("annotations", annotation_presenter.on_document_removed)
    document_hooks.on_document_updated("annotations", annotation_presenter.on_document_updated)
    meeting_serialize.register_slice("conclusions", minutes_conclusions.conclusions_slice)
    meeting_serialize.register_slice("minutes", minutes_services.minutes_slice)
    # The signed files the public check (/api/minutes/verify) recognises as issued here, by SHA-256.
    minutes_issued.on_lookup("minutes", minutes_issued.minutes_files)
    minutes_issued.on_lookup("notices", notice_issued.notice_files)
    minutes_issued.on_lookup("polls", poll_issued.poll_files)
    extensions: list[Any] = [speaker_socket.register, vote_socket.register, annotation_socket.register]
    ctx.socket_extensions.extend(extensions)
    vote_live.install(jobs, ctx.settings.tally_interval_seconds)
    document_hooks.install_jobs(jobs)
    annotation_live.install(jobs)
    poll_live.install(ctx, jobs)
    notification_live.install(ctx, jobs)  # the "notify" jobs of every domain, and the mail sender
    notice_live.install(jobs)
    notice_overdue.install(ctx)  # the follow-up's overdue check
