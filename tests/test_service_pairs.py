"""Every service function has a denied/allowed test pair (issue 16, point 7), checked rather than hoped for.

A service is a public function of a domain package whose parameters are all keyword-only and include `actor`
(docs/architecture.md: permission -> state guard -> write -> events). It counts as paired when
- it is the service of a row of a pair table: a module-level `CASES` dict in one of PAIR_TABLES, whose
  `test_denied_then_allowed` calls each row's service with the denied role (expecting Forbidden) and then
  with the allowed one (expecting success). The row's service is its first item: the function itself, or the
  one that lambda/closure calls (found in its closure cells or among the attribute names its code reads; the
  row's setup and arguments builders are never read, so a service called only to prepare a case is not paired); or
- a test is marked `@pytest.mark.service_pair("package.module.function")`: that test asserts both the refusal
  and the success (for instance over HTTP, with the 403 and the 2xx).

NOTHING_TO_REFUSE lists, each with its reason, the services that only filter or answer the caller's own
things. Every other service has its pair: a new service comes with one (there is no list of exceptions left).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

DOMAIN = (
    "accounts",
    "meetings",
    "votes",
    "speakers",
    "documents",
    "annotations",
    "minutes",
    "search",
    "audit",
    "display",
    "workdays",
    "polls",
    "notifications",
    "notices",
)
PAIR_TABLES = (
    "tests.test_permissions",
    "tests.test_documents_permissions",
    "tests.test_speakers",
    "tests.test_votes_permissions",
    "tests.test_minutes_permissions",
    "tests.test_service_permissions",
    "tests.test_polls_permissions",
    "tests.test_notices_permissions",
    "tests.test_annotations_permissions",
)
TESTS = Path(__file__).parent

# Services with nothing to refuse: they answer only what the caller may see (a filter, tested as such) or the
# caller's own things. They need no denied test; a new one joins this list only with its reason.
NOTHING_TO_REFUSE = {
    "accounts.services.get_self",  # the caller's own account
    "accounts.services.change_password",  # the caller's own account, with its current password (test_user_admin.py)
    "meetings.services.list_meetings",  # filtered (tests/test_permissions.py: only published invitations)
    "search.services.search",  # filtered inside the SQL (tests/test_search.py)
    "workdays.services.calendar",
    "workdays.services.list_overrides",  # everyone signed in reads the calendar
    "polls.views.inbox",
    "polls.views.list_polls",  # the caller's polls / the polls they may see
    "polls.services.read_rules",  # everyone signed in reads the polls' rules
    "notices.services.list_notices",  # the notices the caller may read (the others are skipped)
    "notifications.services.get_preferences",
    "notifications.services.list_mine",  # the caller's own
    "notifications.services.mark_read",
    "votes.ballot.enrolment.trustee_status",  # the caller's own trustee key (tests/test_pairs_ballots.py)
}


def _name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def services() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for package in DOMAIN:
        for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
            module = importlib.import_module(info.name)
            for name, fn in vars(module).items():
                if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                    continue
                params = inspect.signature(fn).parameters.values()
                if any(p.name == "actor" for p in params) and all(p.kind is p.KEYWORD_ONLY for p in params):
                    found[_name(fn)] = fn
    return found


def _called(value: Any, known: dict[str, Callable[..., Any]], seen: set[int]) -> Iterator[str]:
    """The services a pair-table row reaches: the function itself, or what its lambda/closure calls."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, (tuple, list)):
        for v in value:
            yield from _called(v, known, seen)
    elif inspect.isfunction(value):
        if _name(value) in known and known[_name(value)] is value:
            yield _name(value)
            return
        for cell in value.__closure__ or ():
            yield from _called(cell.cell_contents, known, seen)
        modules = [m for m in value.__globals__.values() if isinstance(m, types.ModuleType)]
        for attr in value.__code__.co_names:
            for module in modules:
                fn = getattr(module, attr, None)
                if inspect.isfunction(fn) and _name(fn) in known:
                    yield _name(fn)


def paired_by_tables(known: dict[str, Callable[..., Any]]) -> set[str]:
    paired: set[str] = set()
    for table in PAIR_TABLES:
        module = importlib.import_module(table)
        assert hasattr(module, "test_denied_then_allowed"), f"{table}: its CASES are run by test_denied_then_allowed"
        for row in module.CASES.values():  # the row's first item is what is called: never its setup
            paired |= set(_called(row[0], known, set()))
    return paired


def paired_by_markers() -> dict[str, str]:
    """service name -> the test file whose test is marked @pytest.mark.service_pair(name)."""
    marked: dict[str, str] = {}
    for path in sorted(TESTS.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and ast.unparse(dec.func) == "pytest.mark.service_pair":
                    for arg in dec.args:
                        assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), f"{path}: {node.name}"
                        marked[arg.value] = path.name
    return marked


def test_every_service_has_a_denied_allowed_pair() -> None:
    known = services()
    assert len(known) > 100, "the discovery finds the services (keyword-only, with actor)"
    marked = paired_by_markers()
    unknown_marks = sorted(set(marked) - set(known))
    assert not unknown_marks, f"service_pair markers name no service: {unknown_marks}"
    paired = paired_by_tables(known) | set(marked)
    missing = sorted(set(known) - paired - NOTHING_TO_REFUSE)
    assert not missing, f"services without a denied/allowed pair (add one to a pair table or mark a test): {missing}"
    now_paired = sorted(NOTHING_TO_REFUSE & paired)
    assert not now_paired, f"these have a pair now: take them off NOTHING_TO_REFUSE: {now_paired}"
    gone = sorted(NOTHING_TO_REFUSE - set(known))
    assert not gone, f"NOTHING_TO_REFUSE names services that no longer exist: {gone}"


def test_the_discovery_and_the_tables_read_what_they_claim() -> None:
    """The checker itself can fail: a known pair is found, an unpaired service is not, a lambda row resolves."""
    known = services()
    assert "meetings.services.start_meeting" in known and "meetings.serialize.meeting_data" not in known
    paired = paired_by_tables(known)
    assert "meetings.services.start_meeting" in paired  # a function in the row
    assert "minutes.conclusions.save_conclusion" in paired  # a lambda in the row
    assert "minutes.services.get_draft" in paired  # a closure (_read(services.get_draft)) in the row
    assert "polls.views.list_polls" not in paired  # on NOTHING_TO_REFUSE
