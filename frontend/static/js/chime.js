// A short two-tone chime generated with Web Audio (no sound file), for a vote that opens. The user may turn
// it off (remembered in localStorage). Browsers start audio only after a user gesture, so the AudioContext
// is made and resumed on the first tap/key on the page; a chime asked for before that is counted "blocked".

const KEY = "ecabinet.sound";
let audio = null;
/** What happened to the chimes asked for (read by the browser tests). */
export const stats = { played: 0, muted: 0, blocked: 0 };

export function soundOn() {
  try {
    return localStorage.getItem(KEY) !== "off";
  } catch {
    return true;
  }
}

export function setSound(on) {
  try {
    localStorage.setItem(KEY, on ? "on" : "off");
  } catch {
    /* private mode: for this page only */
  }
}

function unlock() {
  const Context = window.AudioContext ?? window.webkitAudioContext;
  if (!Context) return;
  audio ??= new Context();
  if (audio.state === "suspended") audio.resume().catch(() => {});
}

/** Listen for the first gestures that let audio start. */
export function armOnGesture() {
  for (const type of ["pointerdown", "keydown"]) window.addEventListener(type, unlock, { capture: true, passive: true });
}

function tone(at, frequency) {
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.type = "sine";
  osc.frequency.value = frequency;
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.28);
  osc.connect(gain).connect(audio.destination);
  osc.start(at);
  osc.stop(at + 0.3);
}

/** Play the chime if the user wants sound and the browser lets us; answers what happened. */
export function chime() {
  if (!soundOn()) {
    stats.muted += 1;
    return "muted";
  }
  if (!audio || audio.state !== "running") {
    stats.blocked += 1;
    return "blocked";
  }
  const now = audio.currentTime;
  tone(now, 880);
  tone(now + 0.22, 1320);
  stats.played += 1;
  return "played";
}
