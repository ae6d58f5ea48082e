"""bench/media: the encode-once MCU (realtime/media/room.py) against aiortc's stock transcoding relay
(MediaRelay: every viewer's sender re-encodes every publisher), at the same publishers x viewers counts.
Printed figures, not a test. Run it last: it saturates a small machine.

    .venv/bin/python bench/media.py                                  # sweep 2x10, 4x30, 8x30, 8x60; mcu,relay
    .venv/bin/python bench/media.py --sweep 8x30 --variants mcu --seconds 15
    .venv/bin/python bench/media.py --sweep 8x60,8x120 --variants mcu,shard2 --view-procs 2   # sharded viewers

A server process (this file, `serve`) hosts one room behind a tiny HTTP offer/answer endpoint; a publisher
process sends P moving 640x360 pictures at 15 fps; a viewer process joins V viewers (receive only). Most
viewers count frames from RTP marker bits without decoding; `--sample` of them decode (and check that the
picture is 1280x720). Reported: server CPU in cores (psutil, user+system over the window, the server and
its media worker processes together; per process in brackets), frames/s per viewer (min / median), join ->
first frame (median / max). ICE is limited to 127.0.0.1, no STUN/TURN.

Variants: `mcu` = one Room in the server process; `relay` = aiortc's MediaRelay (the reference);
`shardK` = the product's path: K media worker processes behind realtime/media/channel.py's MediaWorkers,
the first composing and serving `--primary-viewers` viewers, the others serving the rest from its stream."""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TypedDict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import cpu_each, free_port, wait_line


def _limit_ice() -> None:
    from realtime.media import hooks

    hooks.limit_host_addresses(["127.0.0.1"])


# --- server ---------------------------------------------------------------------------------------
async def serve(variant: str, port: int, fps: int, primary_viewers: int) -> None:
    from aiohttp import web
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaRelay

    from realtime.media.channel import MediaWorkers
    from realtime.media.config import MediaConfig, RoomConfig
    from realtime.media.room import Room

    _limit_ice()
    ice = RTCConfiguration(iceServers=[])
    room_config = RoomConfig(fps=fps, mute_without_floor=False)
    room = Room(1, room_config, ice) if variant == "mcu" else None
    workers = None
    if variant.startswith("shard"):
        config = MediaConfig(host_addresses=("127.0.0.1",), room=room_config).to_json()
        workers = MediaWorkers(int(variant.removeprefix("shard")), config, primary_viewers=primary_viewers)
        await workers.start()
    relay, sources, pcs = MediaRelay(), [], []
    ids = iter(range(1, 1_000_000))

    async def join(request: web.Request) -> web.Response:
        body = await request.json()
        uid = next(ids)
        if workers is not None:
            data = await workers.request(
                1, "join", user_id=uid, label=f"Thành viên {uid}", offer=body["offer"], hall=False, floor=None
            )
            return web.json_response({"answer": data["answer"]})
        if room is not None:
            answer = await room.join(user_id=uid, label=f"Thành viên {uid}", offer=body["offer"])
            return web.json_response({"answer": answer})
        pc = RTCPeerConnection(ice)
        pcs.append(pc)

        @pc.on("track")
        def on_track(track: Any) -> None:
            if track.kind == "video":
                sources.append(track)

        await pc.setRemoteDescription(RTCSessionDescription(**body["offer"]))
        if body.get("role") == "view":
            for track in sources:  # the stock way: one re-encoded stream per publisher per viewer
                pc.addTrack(relay.subscribe(track))
        await pc.setLocalDescription(await pc.createAnswer())
        return web.json_response({"answer": {"sdp": pc.localDescription.sdp, "type": "answer"}})

    app = web.Application()
    app.router.add_post("/join", join)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


# --- clients --------------------------------------------------------------------------------------
class PeerStats(TypedDict, total=False):
    """What one client peer counted; printed as the role's figures."""

    frames: int  # video frames received (decoded, or counted by RTP marker)
    tracks: int  # video streams received
    first: float | None  # monotonic time of the first frame
    decoded: None
    size: tuple[int, int] | None  # of the last decoded frame
    ssrcs: set[int]  # video streams seen (not decoding)
    t0: float  # monotonic time the offer was made


async def clients(
    role: str, n: int, port: int, sample: int, seconds: float, fps: int, video_tracks: int = 1, tile_width: int = 640
) -> None:
    import aiohttp
    import av
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import MediaStreamError, VideoStreamTrack
    from PIL import Image, ImageDraw

    _limit_ice()

    class Moving(VideoStreamTrack):
        def __init__(self, hue: int, width: int = 640) -> None:
            super().__init__()
            self.frames = []
            for i in range(fps):
                img = Image.new("RGB", (640, 360), ((hue * 53) % 255, (hue * 97) % 255, 120))
                ImageDraw.Draw(img).rectangle((i * 40, 100, i * 40 + 80, 260), fill=(255, 255, 255))
                img = img.resize((width, width * 9 // 16)) if width != 640 else img
                self.frames.append(av.VideoFrame.from_image(img).reformat(format="yuv420p"))
            self.i = 0

        async def recv(self) -> av.VideoFrame:  # paced at --fps (VideoStreamTrack's own clock is 30 fps)
            if self.i == 0:
                self.t0 = time.monotonic()
            await asyncio.sleep(max(0.0, self.t0 + self.i / fps - time.monotonic()))
            frame = self.frames[self.i % fps]
            frame.pts, frame.time_base = self.i * 90000 // fps, fractions.Fraction(1, 90000)
            self.i += 1
            return frame

    stats: list[PeerStats] = []
    pcs: list[Any] = []
    session = aiohttp.ClientSession()

    async def one(index: int) -> None:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pcs.append(pc)
        s: PeerStats = {"frames": 0, "tracks": 0, "first": None, "decoded": None, "size": None}
        stats.append(s)
        decode = role == "view" and index < sample
        if role == "pub":
            pc.addTrack(Moving(index, 640 if index == 0 else tile_width))  # the first one has the floor
        else:
            for _ in range(video_tracks):  # relay: one video stream per publisher; mcu: the one composite
                pc.addTransceiver("video", direction="recvonly")
            pc.addTransceiver("audio", direction="recvonly")
            if not decode:
                for transceiver in pc.getTransceivers():
                    receiver, kind = transceiver.receiver, transceiver.kind

                    async def count(packet: Any, arrival_time_ms: int, kind: str = kind) -> None:
                        if kind == "video" and packet.marker:
                            s["frames"] += 1
                            s["tracks"] = max(
                                s["tracks"], len(seen := s.setdefault("ssrcs", set())) + (packet.ssrc not in seen)
                            )
                            seen.add(packet.ssrc)
                            s["first"] = s["first"] or time.monotonic()

                    # method-assign: bench only, count without decoding
                    receiver._handle_rtp_packet = count  # type: ignore[method-assign]

        @pc.on("track")
        def on_track(track: Any) -> None:
            if track.kind != "video" or not decode:
                return
            s["tracks"] += 1

            async def read() -> None:
                try:
                    while True:
                        frame = await track.recv()
                        s["frames"] += 1
                        s["first"] = s["first"] or time.monotonic()
                        s["size"] = (frame.width, frame.height)
                except MediaStreamError:
                    pass

            asyncio.ensure_future(read())

        await pc.setLocalDescription(await pc.createOffer())
        s["t0"] = time.monotonic()
        offer = {"sdp": pc.localDescription.sdp, "type": "offer"}
        async with session.post(f"http://127.0.0.1:{port}/join", json={"offer": offer, "role": role}) as r:
            answer = (await r.json())["answer"]
        await pc.setRemoteDescription(RTCSessionDescription(**answer))

    gate = asyncio.Semaphore(8)

    async def gated(i: int) -> None:
        async with gate:
            await one(i)

    await asyncio.gather(*(gated(i) for i in range(n)))
    if role == "pub":
        print("ready", flush=True)
        await asyncio.Event().wait()
    await asyncio.sleep(3)
    before = [s["frames"] for s in stats]
    print("window", flush=True)
    await asyncio.sleep(seconds)
    fps_each = [(s["frames"] - b) / seconds / max(1, s["tracks"]) for s, b in zip(stats, before)]  # per video stream
    joins = [(s["first"] - s["t0"]) * 1000 for s in stats if s["first"]]
    print(
        json.dumps(
            {
                "fps": fps_each,
                "join_ms": joins,
                "sizes": [s["size"] for s in stats if s["size"]],
                "no_frames": sum(1 for s in stats if not s["first"]),
            }
        ),
        flush=True,
    )
    for pc in pcs:
        await pc.close()
    await session.close()


# --- driver ---------------------------------------------------------------------------------------
def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT)


def run_one(
    variant: str,
    pubs: int,
    viewers: int,
    seconds: float,
    sample: int,
    fps: int,
    port: int,
    view_procs: int = 1,
    primary_viewers: int = 0,
    tile_width: int = 640,
) -> dict[str, Any]:
    import psutil

    server = _spawn(
        "serve", "--variant", variant, "--port", str(port), "--fps", str(fps), "--primary-viewers", str(primary_viewers)
    )
    procs = [server]
    try:
        wait_line(server, "ready")
        pub = _spawn(
            "clients",
            "--role",
            "pub",
            "--n",
            str(pubs),
            "--port",
            str(port),
            "--fps",
            str(fps),
            "--tile-width",
            str(tile_width),
        )
        procs.append(pub)
        wait_line(pub, "ready")
        time.sleep(2)
        views = []
        for i in range(view_procs):  # viewers split over processes: one client process tops out first
            n = viewers // view_procs + (1 if i < viewers % view_procs else 0)
            views.append(
                _spawn(
                    "clients",
                    "--role",
                    "view",
                    "--n",
                    str(n),
                    "--port",
                    str(port),
                    "--sample",
                    str(sample if i == 0 else 0),
                    "--seconds",
                    str(seconds),
                    "--fps",
                    str(fps),
                    "--tracks",
                    str(pubs if variant == "relay" else 1),
                )
            )
        procs += views
        ps = psutil.Process(server.pid)
        for view in views:
            wait_line(view, "window", timeout=300)
        measured = [ps, *ps.children(recursive=True)]
        c0, t0 = cpu_each(measured), time.monotonic()
        parts = [json.loads(wait_line(view, "{", timeout=seconds + 120)) for view in views]
        c1, t1 = cpu_each(measured), time.monotonic()
        result = {k: [x for part in parts for x in part[k]] for k in ("fps", "join_ms", "sizes")}
        result["no_frames"] = sum(part["no_frames"] for part in parts)
        result["per_proc"] = [(b - a) / (t1 - t0) for a, b in zip(c0, c1)]
        result["cpu"] = sum(result["per_proc"])
        return result
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", nargs="?", default="sweep", choices=["sweep", "serve", "clients"])
    ap.add_argument("--variant", default="mcu")
    ap.add_argument("--variants", default="mcu,relay")
    ap.add_argument("--sweep", default="2x10,4x30,8x30,8x60")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--role", default="view")
    ap.add_argument("--n", type=int, default=1)
    ap.add_argument("--sample", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--tracks", type=int, default=1)
    ap.add_argument("--view-procs", type=int, default=1)
    ap.add_argument("--primary-viewers", type=int, default=0)
    ap.add_argument(
        "--tile-width",
        type=int,
        default=640,
        help="publishers but the first send this width (320: what rtc:publish asks of a small tile)",
    )
    a = ap.parse_args()
    if a.mode == "serve":
        return asyncio.run(serve(a.variant, a.port, a.fps, a.primary_viewers))
    if a.mode == "clients":
        return asyncio.run(clients(a.role, a.n, a.port, a.sample, a.seconds, a.fps, a.tracks, a.tile_width))
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} {os.cpu_count()} CPUs; load before: {os.getloadavg()}")
    print(
        "| variant | pubs | viewers | server CPU (cores) | fps/viewer min / median | join->1st frame median / max "
        "(ms) | no frames | decoded sample |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for variant in a.variants.split(","):
        for spec in a.sweep.split(","):
            pubs, viewers = (int(x) for x in spec.split("x"))
            try:
                r = run_one(
                    variant,
                    pubs,
                    viewers,
                    a.seconds,
                    a.sample,
                    a.fps,
                    a.port or free_port(),
                    a.view_procs,
                    a.primary_viewers,
                    a.tile_width,
                )
            except Exception as exc:  # a collapsed reference run is a result too
                print(f"| {variant} | {pubs} | {viewers} | failed: {exc} | | | | |", flush=True)
                continue
            fps, joins = sorted(r["fps"]), sorted(r["join_ms"]) or [float("nan")]
            per = " + ".join(f"{c:.2f}" for c in r["per_proc"]) if len(r["per_proc"]) > 1 else ""
            label = variant + (f", tiles {a.tile_width} px" if a.tile_width != 640 else "")
            print(
                f"| {label} | {pubs} | {viewers} | {r['cpu']:.2f}{f' [{per}]' if per else ''} | {fps[0]:.1f} / "
                f"{statistics.median(fps):.1f} | "
                f"{statistics.median(joins):.0f} / {joins[-1]:.0f} | {r['no_frames']} | "
                f"{sorted(set(map(tuple, r['sizes'])))} |",
                flush=True,
            )
    print(f"# load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
