"""Media settings shared by the web process (which starts workers) and the worker (which uses them).
Importing this module does not import aiortc."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RoomConfig:
    width: int = 1280
    height: int = 720
    fps: int = 15
    bitrate: int = 1_500_000
    low_width: int = 640
    low_height: int = 360
    low_bitrate: int = 400_000
    keyframe_interval: float = 1.0
    grace_seconds: float = 20.0
    mute_without_floor: bool = True
    quality_every: float = 2.0  # seconds between checks of each viewer's link (weak -> low layer)


def parse_ice_servers(raw: str) -> list[dict[str, Any]]:
    """ECABINET_ICE_SERVERS: a JSON list of {urls, username?, credential?}, or comma-separated URLs.
    Empty = no STUN/TURN at all (host candidates only); there is never a public default."""
    raw = (raw or "").strip()
    if not raw:
        return []
    if raw.startswith("["):
        servers = json.loads(raw)
        return [{k: v for k, v in s.items() if k in ("urls", "username", "credential")} for s in servers]
    return [{"urls": url.strip()} for url in raw.split(",") if url.strip()]


@dataclass(frozen=True)
class MediaConfig:
    ice_servers: tuple[tuple[tuple[str, Any], ...], ...] = ()
    host_addresses: tuple[str, ...] = ()
    room: RoomConfig = RoomConfig()

    @classmethod
    def from_settings(cls, settings: Any) -> "MediaConfig":
        servers = tuple(tuple(sorted(s.items())) for s in parse_ice_servers(settings.ice_servers))
        room = RoomConfig(
            fps=settings.media_fps,
            bitrate=settings.media_bitrate_kbps * 1000,
            grace_seconds=settings.rtc_grace_seconds,
            mute_without_floor=settings.rtc_mute_without_floor,
        )
        return cls(ice_servers=servers, host_addresses=tuple(settings.rtc_host_addresses), room=room)

    def ice_list(self) -> list[dict[str, Any]]:
        return [dict(s) for s in self.ice_servers]

    def rtc_configuration(self) -> Any:
        """Always explicit: aiortc falls back to a public STUN server when iceServers is None."""
        from aiortc import RTCConfiguration, RTCIceServer  # only the worker process imports aiortc

        return RTCConfiguration(iceServers=[RTCIceServer(**s) for s in self.ice_list()])

    def to_json(self) -> str:
        return json.dumps(
            {"ice_servers": self.ice_list(), "host_addresses": list(self.host_addresses), "room": asdict(self.room)}
        )

    @classmethod
    def from_json(cls, raw: str) -> "MediaConfig":
        d = json.loads(raw)
        servers = tuple(tuple(sorted(s.items())) for s in d["ice_servers"])
        return cls(ice_servers=servers, host_addresses=tuple(d["host_addresses"]), room=RoomConfig(**d["room"]))
