"""Speaker queue (đăng ký phát biểu): requests to speak on the current agenda item, the floor, the timer."""
