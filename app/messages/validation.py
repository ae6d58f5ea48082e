"""Vietnamese messages for the field errors of a 422 (pydantic's error types -> what the user reads)."""
from __future__ import annotations

from typing import Any

_BY_TYPE = {
    "missing": "Thiếu trường bắt buộc.",
    "extra_forbidden": "Trường không được hỗ trợ.",
    "string_type": "Phải là chuỗi ký tự.",
    "string_unicode": "Chuỗi ký tự không hợp lệ.",
    "int_type": "Phải là số nguyên.",
    "int_parsing": "Phải là số nguyên.",
    "int_from_float": "Phải là số nguyên.",
    "bool_type": "Phải là true hoặc false.",
    "bool_parsing": "Phải là true hoặc false.",
    "float_type": "Phải là số.",
    "float_parsing": "Phải là số.",
    "finite_number": "Phải là số hữu hạn.",
    "list_type": "Phải là danh sách.",
    "dict_type": "Phải là đối tượng JSON.",
    "model_type": "Phải là đối tượng JSON.",
    "model_attributes_type": "Phải là đối tượng JSON.",
    "enum": "Giá trị không thuộc danh sách cho phép.",
    "literal_error": "Giá trị không thuộc danh sách cho phép.",
    "datetime_type": "Phải là thời điểm theo ISO 8601.",
    "datetime_parsing": "Phải là thời điểm theo ISO 8601.",
    "datetime_from_date_parsing": "Phải là thời điểm theo ISO 8601.",
    "union_tag_invalid": "Kiểu dữ liệu không hợp lệ.",
    "json_invalid": "JSON không hợp lệ.",
}
_BOUNDS = {
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "greater_than": "Phải lớn hơn {gt}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "less_than": "Phải nhỏ hơn {lt}.",
    "string_too_short": "Cần ít nhất {min_length} ký tự.",
    "string_too_long": "Tối đa {max_length} ký tự.",
    "too_short": "Cần ít nhất {min_length} phần tử.",
    "too_long": "Tối đa {max_length} phần tử.",
    "string_pattern_mismatch": "Không đúng định dạng ({pattern}).",
}


def field_message(err: Any) -> str:
    kind = err["type"]
    if kind == "value_error":  # our own validators already speak Vietnamese (or name the rule)
        return str(err["msg"]).removeprefix("Value error, ")
    if kind in _BOUNDS:
        try:
            return _BOUNDS[kind].format(**(err.get("ctx") or {}))
        except (KeyError, IndexError):
            pass
    return _BY_TYPE.get(kind, "Giá trị không hợp lệ.")
