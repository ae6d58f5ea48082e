"""Room display (màn hình phòng họp): a read-only projector view of one meeting, opened with a display token."""
