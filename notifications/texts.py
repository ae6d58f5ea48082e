"""What each notification says, per language: a subject (the bell's line and the e-mail's subject) and a body.

Producers send `params` (notifications/contract.py); texts take what they need and show times on the
organisation's clock. A missing parameter never fails a delivery, and the text still reads as a sentence: what
depends on a parameter that may be missing (a meeting not yet given a time or place, a report not yet numbered, a
task without a reason) is written `[text|instead]`, the text when every {parameter} in it is given, else what
follows the bar ("sẽ thông báo sau", "to be announced") or nothing. Only the name of the thing (NAMES: the
title, the task's text) is always given. tests/test_notification_texts.py renders every event with each other
parameter missing.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from string import Formatter
from typing import Any

from core.clock import DEFAULT_TIMEZONE, local

# event -> {lang: (subject, body)}; {placeholders} are params (and the derived ones below).
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "poll.sent": {
        "vi": ("Phiếu lấy ý kiến: {title}", "Đề nghị đồng chí cho ý kiến về “{title}”[ trước {deadline}]."),
        "en": ("Written opinion poll: {title}", "Please answer the poll “{title}”[ before {deadline}]."),
    },
    "poll.reminder": {
        "vi": (
            "Nhắc trả lời phiếu lấy ý kiến: {title}",
            "Phiếu lấy ý kiến “{title}” [hết hạn lúc {deadline}|sắp hết hạn]; đồng chí chưa trả lời.",
        ),
        "en": (
            "Reminder: opinion poll {title}",
            "The poll “{title}” [closes at {deadline}|closes soon]; you have not answered yet.",
        ),
    },
    "poll.result": {
        "vi": ("Kết quả lấy ý kiến: {title}", "Phiếu lấy ý kiến “{title}” đã có kết quả."),
        "en": ("Poll result: {title}", "The poll “{title}” has a result."),
    },
    "poll.submitted": {
        "vi": (
            "Phiếu lấy ý kiến chờ duyệt: {title}",
            "Văn phòng trình đồng chí duyệt và gửi phiếu lấy ý kiến “{title}”[ (hạn trả lời {deadline})].",
        ),
        "en": (
            "Opinion poll to approve: {title}",
            "The secretariat submits the poll “{title}” for your approval[ (answers due {deadline})].",
        ),
    },
    "poll.extended": {
        "vi": (
            "Gia hạn phiếu lấy ý kiến: {title}",
            "Phiếu lấy ý kiến “{title}” được gia hạn[ đến {deadline}].[ Lý do: {reason}.]",
        ),
        "en": ("Opinion poll extended: {title}", "The poll “{title}” is extended[ to {deadline}].[ Reason: {reason}.]"),
    },
    "poll.withdrawn": {
        "vi": (
            "Rút phiếu lấy ý kiến: {title}",
            "Phiếu lấy ý kiến “{title}” đã được rút, không tiếp tục lấy ý kiến.[ Lý do: {reason}.]",
        ),
        "en": ("Opinion poll withdrawn: {title}", "The poll “{title}” was withdrawn.[ Reason: {reason}.]"),
    },
    "poll.closed": {
        "vi": (
            "Phiếu lấy ý kiến đã hết hạn: {title}",
            "Phiếu lấy ý kiến “{title}” đã hết hạn[: {adopted}/{questions} nội dung được thông qua]; "
            "báo cáo tổng hợp chờ Văn phòng Chính phủ ký (Bộ trưởng, Chủ nhiệm hoặc Phó Chủ nhiệm ký thay).",
        ),
        "en": (
            "Opinion poll closed: {title}",
            "The poll “{title}” closed[: {adopted} of {questions} questions adopted]; the summary report awaits the "
            "Government Office's signature (its Minister-Chairman, or a Vice Chairman on his behalf).",
        ),
    },
    "meeting.published": {
        "vi": (
            "Giấy mời họp: {title}",
            "Đồng chí được mời dự “{title}”. Thời gian: [{scheduled}|sẽ thông báo sau]; "
            "địa điểm: [{place}|sẽ thông báo sau].",
        ),
        "en": (
            "Meeting invitation: {title}",
            "You are invited to “{title}”. Time: [{scheduled}|to be announced]; place: [{place}|to be announced].",
        ),
    },
    "meeting.changed": {
        "vi": (
            "Thay đổi cuộc họp: {title}",
            "Cuộc họp “{title}” đã thay đổi[ ({changes})]. Thời gian: [{scheduled}|sẽ thông báo sau]; địa điểm: "
            "[{place}|sẽ thông báo sau].",
        ),
        "en": (
            "Meeting changed: {title}",
            "The meeting “{title}” changed[ ({changes})]. Time: [{scheduled}|to be announced]; place: "
            "[{place}|to be announced].",
        ),
    },
    "notice.issued": {
        "vi": (  # issued under the chair's name (TB-TTg), not the Office's: the text names no issuer
            "Thông báo kết luận[ {number}]: {title}",
            "Thông báo kết luận[ {number}] về “{title}” đã được ban hành.",
        ),
        "en": (
            "Conclusion notice[ {number}]: {title}",
            "The conclusion notice[ {number}] on “{title}” was issued.",
        ),
    },
    "notice.submitted": {
        "vi": (
            "Thông báo kết luận chờ duyệt: {title}",
            "Văn phòng trình đồng chí duyệt dự thảo thông báo kết luận về “{title}”.",
        ),
        "en": (
            "Conclusion notice to approve: {title}",
            "The draft conclusion notice on “{title}” awaits your approval.",
        ),
    },
    "task.extended": {
        "vi": (
            "Gia hạn nhiệm vụ: {what}",
            "Nhiệm vụ[ giao {unit}]: {what} được gia hạn[ đến {deadline}].[ Lý do: {reason}.]",
        ),
        "en": (
            "Task extended: {what}",
            "The task[ of {unit}]: {what} is extended[ to {deadline}].[ Reason: {reason}.]",
        ),
    },
    "task.reassigned": {
        "vi": (
            "Nhiệm vụ được giao lại: {what}",
            "Nhiệm vụ {what}[ (trước đây giao {old_unit})] [nay giao {unit}|được giao lại][, thời hạn {deadline}]."
            "[ Lý do: {reason}.]",
        ),
        "en": (
            "Task reassigned: {what}",
            "The task {what}[ (formerly {old_unit}'s)] is [now assigned to {unit}|reassigned][, due {deadline}]."
            "[ Reason: {reason}.]",
        ),
    },
    "task.assigned": {
        "vi": ("Nhiệm vụ được giao: {what}", "[{unit} được giao|Nhiệm vụ được giao]: {what}.[ Thời hạn: {deadline}.]"),
        "en": ("Task assigned: {what}", "[{unit} was assigned|A task was assigned]: {what}.[ Deadline: {deadline}.]"),
    },
    "task.overdue": {
        "vi": (
            "Nhiệm vụ quá hạn: {what}",
            "Nhiệm vụ[ giao {unit}]: {what} đã quá hạn[ {deadline}] mà chưa hoàn thành.",
        ),
        "en": ("Task overdue: {what}", "The task[ of {unit}]: {what} [was due {deadline} and is not done|is overdue]."),
    },
    "account.email_changed": {
        "vi": (
            "Địa chỉ thư nhận thông báo e-Cabinet đã được đổi",
            "Địa chỉ thư nhận thông báo e-Cabinet của đồng chí đã được đổi từ {old_email} sang {new_email}[ lúc {at}]. "
            "Nếu không phải đồng chí đổi, hãy đổi mật khẩu và báo ngay cho quản trị viên.",
        ),
        "en": (
            "Your e-Cabinet notification address was changed",
            "The address your e-Cabinet notifications are sent to was changed from {old_email} to {new_email}[ at "
            "{at}]. If you did not change it, change your password and tell the administrator at once.",
        ),
    },
    "account.email_confirm": {
        "vi": (
            "Xác nhận địa chỉ thư nhận thông báo e-Cabinet",
            "Có yêu cầu gửi thông báo e-Cabinet tới địa chỉ {new_email}. Địa chỉ này chỉ được dùng sau khi được "
            "xác nhận: mở liên kết trong thư gửi tới địa chỉ ấy, đăng nhập bằng tài khoản đã yêu cầu và bấm "
            "“Xác nhận”[, trước {expires}]. Nếu không phải đồng chí yêu cầu, hãy bỏ qua thư này: địa chỉ sẽ không "
            "được dùng.",
        ),
        "en": (
            "Confirm your e-Cabinet notification address",
            "An e-Cabinet account asked for its notifications to be sent to {new_email}. The address is used only "
            "once confirmed: open the link in the mail sent to it, sign in with the account that asked and press "
            "“Confirm”[, before {expires}]. If you did not ask for this, ignore this mail: the address will not be "
            "used.",
        ),
    },
}
# Written polls: the summary report is the Government Office's (signed by its head or a Vice Chairman on his
# behalf), then the chair decides on it (polls/reporting.py).
TEXTS.update(
    {
        "poll.report_due": {
            "vi": (
                "Báo cáo tổng hợp ý kiến chờ ký: {title}",
                "Phiếu lấy ý kiến “{title}” đã hết hạn[ ({adopted}/{questions} nội dung được thông qua)]. Báo cáo "
                "tổng hợp ý kiến[ số {number}] chờ đồng chí xem và ký để báo cáo người chủ trì.",
            ),
            "en": (
                "Summary report to sign: {title}",
                "The poll “{title}” has closed[ ({adopted} of {questions} questions adopted)]. The summary report[ no. "
                "{number}] awaits your review and signature, to be reported to the chair.",
            ),
        },
        "poll.report_signed": {
            "vi": (
                "Báo cáo tổng hợp ý kiến đã ký: {title}",
                "[{signer}|Văn phòng Chính phủ] đã ký Báo cáo tổng hợp ý kiến[ số {number}] về phiếu lấy ý kiến "
                "“{title}”; đề nghị đồng chí xem báo cáo và quyết định.",
            ),
            "en": (
                "Summary report signed: {title}",
                "[{signer}|The Government Office] signed the summary report[ no. {number}] on the poll “{title}”; "
                "please review it and decide.",
            ),
        },
    }
)
# Security notices: always e-mailed, to the address they name (ADDRESSED: the param holding it), never among the
# events a user may turn off. account.email_confirm is the only mail ever sent to an unconfirmed address.
ADDRESSED = {"account.email_changed": "old_email", "account.email_confirm": "new_email"}
ALWAYS = tuple(ADDRESSED)
EVENTS = tuple(e for e in TEXTS if e not in ALWAYS)
CHANGES = {"time": ("thời gian", "time"), "place": ("địa điểm", "place"), "agenda": ("chương trình", "agenda")}
NAMES = ("title", "what")  # what every producer gives: the name of the meeting, poll, notice or task
_SEGMENT = re.compile(r"\[([^\[\]|]*)(?:\|([^\[\]]*))?\]")


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


def _when(value: Any, tz: str, lang: str) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            return d.strftime("%d/%m/%Y")
        moment = local(datetime.fromisoformat(value.replace("Z", "+00:00")), tz)
    except ValueError:
        return value
    return moment.strftime("%H:%M %d/%m/%Y" if lang == "vi" else "%H:%M, %d/%m/%Y")


def render(event: str, params: dict[str, Any], lang: str = "vi", tz: str = DEFAULT_TIMEZONE) -> tuple[str, str]:
    """(subject, body) of `event` in `lang` (vi when unknown)."""
    texts = TEXTS.get(event, {}).get("en" if lang == "en" else "vi")
    if texts is None:
        return event, ""
    values = _Blank({k: v for k, v in params.items() if isinstance(v, (str, int, float))})
    values["deadline"] = _when(params.get("deadline_at") or params.get("deadline"), tz, lang)
    values["scheduled"] = _when(params.get("scheduled_at"), tz, lang)
    values["at"] = _when(params.get("at"), tz, lang)
    values["expires"] = _when(params.get("expires_at"), tz, lang)
    for key in ("old_email", "new_email"):  # an address set for the first time, or removed
        values[key] = str(values.get(key) or "").strip() or "—"
    idx = 1 if lang == "en" else 0
    changes = params.get("changes")
    values["changes"] = ", ".join(CHANGES[c][idx] for c in changes if c in CHANGES) if isinstance(changes, list) else ""
    for key in ("what", "reason"):  # texts that often end their own sentence ("... trình Thủ tướng."): ours ends it
        if isinstance(values.get(key), str):
            values[key] = values[key].strip().rstrip(" .")
    subject, body = texts
    return " ".join(_fill(subject, values).split()), _fill(body, values)


def _fill(template: str, values: dict[str, Any]) -> str:
    """`template` with each [text|instead] resolved (text when all its parameters are given), then filled."""

    def pick(m: re.Match[str]) -> str:
        names = [name for _, name, _, _ in Formatter().parse(m.group(1)) if name]
        given = all(str(values.get(name) or "").strip() or values.get(name) == 0 for name in names)
        return m.group(1) if given else (m.group(2) or "")

    return _SEGMENT.sub(pick, template).format_map(values)
