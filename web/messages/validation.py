"""The field errors of a 422: pydantic's error types -> catalogue messages (Vietnamese text as the key,
translated at the edge). Pydantic's own English text never reaches a user."""

from __future__ import annotations

from typing import Any

from core.i18n import N_, Msg

_BY_TYPE = {
    "missing": N_("Thiếu trường bắt buộc."),
    "extra_forbidden": N_("Trường không được hỗ trợ."),
    "string_type": N_("Phải là chuỗi ký tự."),
    "string_unicode": N_("Chuỗi ký tự không hợp lệ."),
    "int_type": N_("Phải là số nguyên."),
    "int_parsing": N_("Phải là số nguyên."),
    "int_from_float": N_("Phải là số nguyên."),
    "bool_type": N_("Phải là true hoặc false."),
    "bool_parsing": N_("Phải là true hoặc false."),
    "float_type": N_("Phải là số."),
    "float_parsing": N_("Phải là số."),
    "finite_number": N_("Phải là số hữu hạn."),
    "list_type": N_("Phải là danh sách."),
    "dict_type": N_("Phải là đối tượng JSON."),
    "model_type": N_("Phải là đối tượng JSON."),
    "model_attributes_type": N_("Phải là đối tượng JSON."),
    "enum": N_("Giá trị không thuộc danh sách cho phép."),
    "literal_error": N_("Giá trị không thuộc danh sách cho phép."),
    "datetime_type": N_("Phải là thời điểm theo ISO 8601."),
    "datetime_parsing": N_("Phải là thời điểm theo ISO 8601."),
    "datetime_from_date_parsing": N_("Phải là thời điểm theo ISO 8601."),
    "union_tag_invalid": N_("Kiểu dữ liệu không hợp lệ."),
    "json_invalid": N_("JSON không hợp lệ."),
}
# ctx names pydantic gives each bound (the placeholders of the message).
_BOUNDS = {
    "greater_than_equal": N_("Phải lớn hơn hoặc bằng {ge}."),
    "greater_than": N_("Phải lớn hơn {gt}."),
    "less_than_equal": N_("Phải nhỏ hơn hoặc bằng {le}."),
    "less_than": N_("Phải nhỏ hơn {lt}."),
    "string_too_short": N_("Cần ít nhất {min_length} ký tự."),
    "string_too_long": N_("Tối đa {max_length} ký tự."),
    "too_short": N_("Cần ít nhất {min_length} phần tử."),
    "too_long": N_("Tối đa {max_length} phần tử."),
    "string_pattern_mismatch": N_("Không đúng định dạng ({pattern})."),
}
_INVALID = N_("Giá trị không hợp lệ.")


def field_message(err: Any) -> Msg:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "value_error":  # our own validators raise ValueError(N_(...)) / ValueError(Msg(...))
        reason = ctx.get("error")
        said = reason.args[0] if isinstance(reason, Exception) and reason.args else None
        return said if isinstance(said, Msg) else Msg(str(err["msg"]).removeprefix("Value error, "))
    if kind in _BOUNDS:
        return Msg(_BOUNDS[kind], **{k: v for k, v in ctx.items() if isinstance(v, (int, float, str))})
    return _BY_TYPE.get(kind, _INVALID)
