"""The remote-media MCU (aiortc): publisher inputs -> compositor -> shared encoders -> per-viewer packet
tracks, plus the audio mixer. Runs in media worker processes (realtime/media/worker.py), never in the web
process; the web process only relays rtc:* signalling (realtime/rtc.py, realtime/media/channel.py)."""
