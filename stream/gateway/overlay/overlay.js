// The overlay's connection: one WebSocket to this gateway's /v1/matches/{id}/stream, the last seq
// per kind remembered, and a reconnect with backoff that resumes with since=kind:SEQ,... so a drop
// loses nothing the gateway's streams still hold. Message types: docs/contracts.md "Gateway messages".
import { frameView, leadView, shotView } from "./normalize.js";
import { drawClock, drawFrame, drawLeadCurve, drawScoreboard, drawShot, drawTeamStats } from "./render.js";

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;

const matchId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() ?? "");
const token = new URLSearchParams(location.search).get("token");
const lastSeq = new Map(); // kind -> last seq shown
const latest = new Map(); // kind -> newest data not yet drawn
const teamNames = { home: null, away: null };
let drawPending = false;
let failures = 0;
let connects = 0;

function streamUrl() {
  const url = new URL(`/v1/matches/${encodeURIComponent(matchId)}/stream`, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  // No `kinds=`: the gateway then sends every kind it knows, so the v2 `match` kind arrives where
  // it exists and a v1 gateway (which would refuse an unknown kind with a 400) still serves us.
  const since = [...lastSeq].map(([kind, seq]) => `${kind}:${seq}`).join(",");
  if (since) url.searchParams.set("since", since);
  // Browsers cannot set headers on a WebSocket: the gateway takes the token in the query too.
  if (token) url.searchParams.set("token", token);
  document.body.dataset.since = since;
  return url;
}

/** Keep an output if it is the next of its kind; drop a repeat (seq already shown). */
function accept(output) {
  const last = lastSeq.get(output.kind);
  if (last !== undefined && output.seq <= last) return;
  lastSeq.set(output.kind, output.seq); // every kind, so a resume asks for none of them again
  if (output.kind in DRAW) {
    latest.set(output.kind, output.data);
    scheduleDraw();
  }
}

// Catching up after a drop can bring hundreds of outputs at once: only the newest of each kind is
// drawn, once per animation frame (a hidden page gets no animation frames, so a timer then).
function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  const run = () => {
    drawPending = false;
    drawLatest();
  };
  if (document.hidden) setTimeout(run, 100);
  else requestAnimationFrame(run);
}

const DRAW = {
  match: (data) => {
    teamNames.home = data.teams?.home?.name ?? teamNames.home;
    teamNames.away = data.teams?.away?.name ?? teamNames.away;
    drawScoreboard(data);
  },
  frame: (data) => {
    const view = frameView(data);
    drawFrame(view);
    if (view.clockS !== null && lastSeq.has("match")) drawClock(view.clockS);
  },
  xg: (data) => {
    if (Number.isFinite(data.xg)) drawShot(shotView(data));
  },
  team_stats: (data) => drawTeamStats(data, teamNames),
  lead_curve: (data) => drawLeadCurve(leadView(data)),
};

function drawLatest() {
  // The scoreboard first: it names the teams the stats table shows.
  for (const kind of ["match", ...Object.keys(DRAW).filter((k) => k !== "match")]) {
    const data = latest.get(kind);
    if (data === undefined) continue;
    latest.delete(kind);
    try {
      DRAW[kind](data);
    } catch (err) {
      console.error(`overlay: cannot draw ${kind}`, err); // one bad output never stops the page
    }
  }
  document.body.dataset.seqFrame = String(lastSeq.get("frame") ?? "");
}

function onMessage(text) {
  const message = JSON.parse(text);
  if (message.type === "snapshot") {
    for (const output of message.outputs) accept(output);
  } else if (message.type === "output") {
    accept(message.output);
  } else if (message.type === "gap") {
    // Those outputs are gone for good; the next of that kind is to_seq + 1.
    lastSeq.set(message.kind, Math.max(lastSeq.get(message.kind) ?? 0, message.to_seq));
    document.body.dataset.gaps = String(Number(document.body.dataset.gaps ?? 0) + 1);
  }
}

function connect() {
  const ws = new WebSocket(streamUrl());
  document.body.dataset.connection = "connecting";
  ws.onopen = () => {
    connects += 1;
    document.body.dataset.connects = String(connects);
    document.body.dataset.connection = "live";
  };
  ws.onmessage = (event) => {
    failures = 0; // data flowed: the next drop starts the backoff again
    onMessage(event.data);
  };
  ws.onclose = (event) => {
    document.body.dataset.connection = "reconnecting";
    document.body.dataset.closeCode = String(event.code);
    // Exponential with jitter, so many overlays do not return to a restarted gateway all at once.
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** failures) * (0.75 + Math.random() / 2);
    failures += 1;
    setTimeout(connect, delay);
  };
}

if (matchId) connect();
