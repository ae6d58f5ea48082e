"""Minutes (biên bản): a pure document model, its PDF layout (NĐ 30/2020, Phụ lục III, Mẫu 1.9)."""
