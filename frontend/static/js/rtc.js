// Remote attendance (tham gia trực tuyến): one RTCPeerConnection to the server's MCU, signalled over the
// page's existing socket.io connection. Sends camera + microphone, receives ONE composed picture and ONE
// audio mix. Recovers from a dropped connection by itself (a new offer; the server replaces the old one).
//
//   import { startRemote, stop, setMuted } from "/static/js/rtc.js";
//   const remote = await startRemote({ socket, meetingId, videoEl, onState });
//   setMuted({ audio: false });  stop();
//
// onState(state, detail): "media" (asking for camera/microphone), "connecting", "connected",
// "reconnecting", "muted" ({audio, video}), "layer" ({layer}), "ended" ({reason}), "error" ({code, message}).

import { t } from "./i18n.js";

const GATHER_WAIT_MS = 800;
const DROP_WAIT_MS = 3000;
const TILE_BITRATE = 600000; // bits/s of a full-size camera picture, scaled down with a small tile
let current = null;

function call(socket, event, data) {
  return socket.timeout(15000).emitWithAck(event, data).then((ack) => {
    if (!ack || !ack.ok) {
      const error = (ack && ack.error) || { code: "error", message: t("remote.unreachable") };
      throw Object.assign(new Error(error.message), error);
    }
    return ack.data;
  });
}

function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, GATHER_WAIT_MS); // the rest trickles over rtc:candidate
  });
}

async function localMedia(onState) {
  onState("media");
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true },
      video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15, max: 15 } },
    });
  } catch (err) {
    onState("error", { code: "no_media", message: t("remote.no_media") });
    return null; // receive only
  }
}

class RemoteSession {
  constructor({ socket, meetingId, videoEl, audioEl, onState, hall, iceServers, viewOnly }) {
    // viewOnly: watch and listen, send nothing (no camera/microphone asked for; served as a viewer).
    Object.assign(this, { socket, meetingId, videoEl, audioEl, hall: !!hall, iceServers, viewOnly: !!viewOnly && !hall });
    this.onState = onState || (() => {});
    this.stream = null;
    this.pc = null;
    this.stopped = false;
    this.muted = { audio: true, video: false };
    this.dropTimer = null;
    this.handlers = {
      "rtc:muted": (d) => d.meeting_id === this.meetingId && this.applyMute(d),
      "rtc:layer": (d) => d.meeting_id === this.meetingId && this.onState("layer", d),
      "rtc:publish": (d) => d.meeting_id === this.meetingId && this.applyPublish(d.max_width),
      "rtc:ended": (d) => d.meeting_id === this.meetingId && this.ended(d),
      connect: () => this.resume(),
    };
    for (const [event, fn] of Object.entries(this.handlers)) socket.on(event, fn);
  }

  async start() {
    if (!this.iceServers) this.iceServers = (await call(this.socket, "rtc:config", { meeting_id: this.meetingId })).ice_servers;
    if (!this.viewOnly) this.stream = this.stream || (await localMedia(this.onState));
    await this.connect();
    return this;
  }

  async connect() {
    this.onState("connecting");
    const pc = new RTCPeerConnection({ iceServers: this.iceServers || [] });
    this.pc = pc;
    if (this.stream) {
      for (const track of this.stream.getTracks()) pc.addTrack(track, this.stream);
    } else {
      pc.addTransceiver("video", { direction: "recvonly" });
      pc.addTransceiver("audio", { direction: "recvonly" });
    }
    pc.ontrack = (ev) => {
      const el = ev.track.kind === "video" ? this.videoEl : this.audioEl || this.videoEl;
      if (!el) return;
      const ms = el.srcObject instanceof MediaStream ? el.srcObject : new MediaStream();
      for (const old of ms.getTracks().filter((t) => t.kind === ev.track.kind)) ms.removeTrack(old);
      ms.addTrack(ev.track);
      el.srcObject = ms;
      el.play().catch(() => {});
    };
    pc.onconnectionstatechange = () => this.stateChanged(pc);
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    let sent = false;
    pc.onicecandidate = (ev) => {
      if (sent && ev.candidate && pc === this.pc)
        this.socket.emit("rtc:candidate", { meeting_id: this.meetingId, candidate: ev.candidate.toJSON(), hall: this.hall });
    };
    const offer = { sdp: pc.localDescription.sdp, type: "offer" };
    const data = await call(this.socket, "rtc:join", { meeting_id: this.meetingId, offer, hall: this.hall });
    sent = true;
    if (pc !== this.pc) return; // replaced meanwhile
    await pc.setRemoteDescription(data.answer);
    if (data.muted) this.applyMute(data.muted); // e.g. muted by default without the floor
    if (data.max_width) this.applyPublish(data.max_width);
  }

  // The socket came back: take the server-side session over from the dropped socket when the media
  // connection survived (no interruption), else join again.
  async resume() {
    if (!this.pc || this.stopped) return;
    try {
      const data = await call(this.socket, "rtc:resume", { meeting_id: this.meetingId, hall: this.hall });
      if (data.resumed && this.pc && this.pc.connectionState === "connected") return;
    } catch (err) {
      if (err.code === "forbidden" || err.code === "invalid_state") return this.ended({ reason: err.code, message: err.message });
    }
    this.reconnect();
  }

  stateChanged(pc) {
    if (pc !== this.pc || this.stopped) return;
    const state = pc.connectionState;
    if (state === "connected") {
      clearTimeout(this.dropTimer);
      this.dropTimer = null;
      this.onState("connected");
    } else if ((state === "disconnected" || state === "failed") && !this.dropTimer) {
      this.dropTimer = setTimeout(() => this.reconnect(), state === "failed" ? 0 : DROP_WAIT_MS);
    }
  }

  async reconnect(attempt = 0) {
    if (this.stopped) return;
    clearTimeout(this.dropTimer);
    this.dropTimer = null;
    this.onState("reconnecting");
    if (this.pc) this.pc.close();
    this.pc = null;
    try {
      if (!this.socket.connected) return; // the socket's "connect" brings us back
      await this.connect();
    } catch (err) {
      if (err.code === "forbidden" || err.code === "invalid_state") return this.ended({ reason: err.code, message: err.message });
      setTimeout(() => this.reconnect(attempt + 1), Math.min(8000, 500 * 2 ** attempt));
    }
  }

  // Send the camera no wider than its tile on the composite (a small tile needs a quarter of the pixels);
  // full size again when this participant becomes the big picture.
  async applyPublish(maxWidth) {
    this.maxWidth = maxWidth;
    const sender = this.pc && this.pc.getSenders().find((s) => s.track && s.track.kind === "video");
    if (!sender) return;
    const width = sender.track.getSettings().width || 640;
    const params = sender.getParameters();
    if (!params.encodings || !params.encodings.length) params.encodings = [{}];
    const scale = Math.max(1, width / maxWidth);
    params.encodings[0].scaleResolutionDownBy = scale;
    // A quarter of the pixels, a quarter of the bits (the browser's own estimate otherwise decides).
    if (scale > 1) params.encodings[0].maxBitrate = Math.round(TILE_BITRATE / (scale * scale));
    else delete params.encodings[0].maxBitrate;
    try {
      await sender.setParameters(params);
    } catch (err) {
      console.warn("rtc: cannot scale the camera", err); // the picture stays full size: only costlier
    }
  }

  applyMute({ audio, video }) {
    this.muted = { audio, video };
    for (const t of this.stream ? this.stream.getTracks() : []) t.enabled = !(t.kind === "audio" ? audio : video);
    this.onState("muted", { audio, video });
  }

  async setMuted({ audio, video } = {}) {
    const want = { audio: audio ?? this.muted.audio, video: video ?? this.muted.video };
    await call(this.socket, "rtc:mute", { meeting_id: this.meetingId, audio: want.audio, video: want.video });
    this.applyMute(want);
  }

  ended(detail) {
    this.close();
    this.onState("ended", detail);
  }

  close() {
    this.stopped = true;
    clearTimeout(this.dropTimer);
    for (const [event, fn] of Object.entries(this.handlers)) this.socket.off(event, fn);
    if (this.pc) this.pc.close();
    this.pc = null;
    for (const t of this.stream ? this.stream.getTracks() : []) t.stop();
    if (current === this) current = null;
  }

  async stop() {
    if (this.stopped) return;
    this.close();
    try { await call(this.socket, "rtc:leave", { meeting_id: this.meetingId, hall: this.hall }); } catch (_) { /* gone anyway */ }
    this.onState("ended", { reason: "left" });
  }
}

export async function startRemote(options) {
  if (current) await current.stop();
  const session = new RemoteSession(options);
  current = session;
  try {
    return await session.start();
  } catch (err) {
    session.close();
    (options.onState || (() => {}))("error", { code: err.code || "error", message: err.message });
    throw err;
  }
}

export function stop() {
  return current ? current.stop() : Promise.resolve();
}

export function setMuted(muted) {
  return current ? current.setMuted(muted) : Promise.resolve();
}
