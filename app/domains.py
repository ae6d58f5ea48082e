"""Wires the domain packages into the app: their HTTP routes, socket events and snapshot slices.

Each domain beyond meetings adds one entry here; nothing else in app/ needs to know about it.
"""
from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from accounts.routes import routes as account_routes
from app.context import AppContext
from display.routes import routes as display_routes
from documents import present as document_present
from documents.routes import routes as document_routes
from meetings import hooks
from meetings import present as meeting_present
from meetings.routes import routes as meeting_routes
from realtime.remote_page import routes as remote_routes
from speakers import present as speaker_present
from speakers import services as speaker_services
from speakers import socket as speaker_socket
from speakers.routes import routes as speaker_routes
from votes import present as vote_present
from votes import socket as vote_socket
from votes.routes import routes as vote_routes


def http_routes() -> list[BaseRoute]:
    return [*account_routes, *meeting_routes, *speaker_routes, *display_routes, *vote_routes, *document_routes, *remote_routes]


def register_speakers() -> None:
    """The "speakers" snapshot slice and the end-of-speech-on-item-change hook (idempotent)."""
    meeting_present.register_slice("speakers", speaker_present.speakers_slice)
    hooks.on_current_item_changed("speakers", speaker_services.on_current_item_changed)


def install(ctx: AppContext) -> None:
    """Register snapshot slices and socket event modules of the other domains (called by create_app)."""
    register_speakers()
    meeting_present.register_slice("votes", vote_present.votes_slice)
    meeting_present.register_slice("documents", document_present.documents_slice)
    extensions: list[Any] = [speaker_socket.register, vote_socket.register]
    ctx.socket_extensions.extend(extensions)
