"""`ecabinet demo`: the current cabinet (fictional people), its meetings and their papers."""

from app.demo.cabinet import CHAIR, SECRETARY
from app.demo.seed import DEMO_PASSWORD, MEETING_TITLE, ensure_signers, load

__all__ = ["CHAIR", "DEMO_PASSWORD", "MEETING_TITLE", "SECRETARY", "ensure_signers", "load"]
