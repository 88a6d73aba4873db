// Drawing: each function takes what normalize.js made and updates the page's DOM. Element ids and
// data- attributes are stable hooks for tests and for graphics operators' own CSS.

const SVG = "http://www.w3.org/2000/svg";
const fmt1 = (v) => (Number.isFinite(v) ? v.toFixed(1) : "–");

function show(el) {
  el.hidden = false;
}

/** Players and the ball on the pitch. Screen y is -y: the feed's y grows to the left of a player
 * facing +x, while SVG y grows downward. */
export function drawFrame(view) {
  const layer = document.getElementById("objects");
  const seen = new Set();
  for (const group of [view.players, view.officials]) {
    for (const o of group) {
      const key = `${o.side}:${o.id}`;
      seen.add(key);
      let dot = layer.querySelector(`circle[data-key="${CSS.escape(key)}"]`);
      if (dot === null) {
        dot = document.createElementNS(SVG, "circle");
        dot.dataset.key = key;
        dot.dataset.id = o.id;
        dot.dataset.side = o.side;
        dot.setAttribute("r", "1.3");
        layer.appendChild(dot);
      }
      dot.setAttribute("class", group === view.players ? "player" : "official");
      dot.classList.toggle("goalkeeper", o.role === "goalkeeper");
      dot.classList.toggle("carrier", o.id === view.carrierId);
      dot.setAttribute("cx", o.x.toFixed(2));
      dot.setAttribute("cy", (-o.y).toFixed(2));
    }
  }
  for (const dot of [...layer.children]) {
    if (!seen.has(dot.dataset.key)) dot.remove(); // substituted, sent off, or off the pitch
  }
  const ball = document.getElementById("ball");
  if (view.ball) {
    ball.setAttribute("cx", view.ball[0].toFixed(2));
    ball.setAttribute("cy", (-view.ball[1]).toFixed(2));
    ball.setAttribute("visibility", "visible");
  } else {
    ball.setAttribute("visibility", "hidden");
  }
  show(document.getElementById("pitch-panel"));
}

export function drawShot(shot) {
  const card = document.getElementById("shot-card");
  card.dataset.xg = shot.xg.toFixed(3);
  card.dataset.eventId = shot.eventId ?? "";
  card.dataset.side = shot.side ?? "";
  card.querySelector(".shot-player").textContent = shot.player?.name ?? shot.player?.id ?? "";
  card.querySelector(".shot-team").textContent = shot.team ?? "";
  card.querySelector(".value").textContent = shot.xg.toFixed(2);
  card.querySelector(".outcome").textContent = shot.outcome ?? "";
  const list = card.querySelector(".shot-reasons");
  list.replaceChildren(
    ...shot.reasons.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }),
  );
  // Restart the entry animation for a new shot.
  card.classList.remove("fresh");
  void card.offsetWidth;
  card.classList.add("fresh");
  show(card);
}

const STAT_TEXT = {
  distance_m: (v) => (Number.isFinite(v) ? `${(v / 1000).toFixed(1)} km` : "–"),
  hi_distance_m: (v) => (Number.isFinite(v) ? `${(v / 1000).toFixed(2)} km` : "–"),
  sprints: (v) => (Number.isFinite(v) ? String(v) : "–"),
  width_m: (v) => `${fmt1(v)} m`,
  depth_m: (v) => `${fmt1(v)} m`,
  lines: (v) => v ?? "–",
};

export function drawTeamStats(data, teamNames) {
  const panel = document.getElementById("team-stats");
  for (const side of ["home", "away"]) {
    const team = data[side] ?? {};
    const name = team.name ?? teamNames[side];
    if (name) panel.querySelector(`th[data-side="${side}"]`).textContent = name;
    for (const [stat, text] of Object.entries(STAT_TEXT)) {
      const cell = panel.querySelector(`tr[data-stat="${stat}"] td[data-side="${side}"]`);
      cell.textContent = text(team[stat]);
      cell.dataset.value = team[stat] ?? "";
    }
  }
  show(panel);
}

function clockText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** The scoreboard from a v2 `match` output; the clock also moves with each frame's `clock_s`. */
export function drawScoreboard(match) {
  const board = document.getElementById("scoreboard");
  for (const side of ["home", "away"]) {
    board.querySelector(`.team[data-side="${side}"]`).textContent = match.teams?.[side]?.name ?? side;
    board.querySelector(`.score[data-side="${side}"]`).textContent = String(match.score?.[side] ?? 0);
  }
  if (Number.isFinite(match.clock_s)) drawClock(match.clock_s);
  show(board);
}

export function drawClock(seconds) {
  document.querySelector("#scoreboard .clock").textContent = clockText(seconds);
}

const LEAD_X = (ft) => ft * 5; // 0..20 ft onto 0..100
const LEAD_Y = (p) => 60 - p * 60; // probability 0..1 upward onto 60..0

export function drawLeadCurve(lead) {
  const svg = document.getElementById("lead-curve");
  const coords = lead.points.map((pt) => `${LEAD_X(pt.leadFt).toFixed(1)},${LEAD_Y(pt.p).toFixed(2)}`);
  svg.querySelector(".lead-line").setAttribute("points", coords.join(" "));
  svg.querySelector(".lead-points").replaceChildren(
    ...lead.points.map((pt) => {
      const dot = document.createElementNS(SVG, "circle");
      dot.setAttribute("class", "lead-point");
      dot.dataset.leadFt = String(pt.leadFt);
      dot.dataset.p = pt.p.toFixed(4);
      dot.setAttribute("cx", LEAD_X(pt.leadFt).toFixed(1));
      dot.setAttribute("cy", LEAD_Y(pt.p).toFixed(2));
      dot.setAttribute("r", "1.4");
      return dot;
    }),
  );
  const marker = document.getElementById("lead-current");
  const now = document.querySelector("#lead-panel .lead-now");
  if (lead.currentLeadFt !== null) {
    const x = LEAD_X(Math.min(20, Math.max(0, lead.currentLeadFt))).toFixed(1);
    marker.setAttribute("x1", x);
    marker.setAttribute("x2", x);
    marker.dataset.leadFt = String(lead.currentLeadFt);
    marker.setAttribute("visibility", "visible");
    const p = lead.currentP === null ? "" : ` · ${(lead.currentP * 100).toFixed(0)}%`;
    now.textContent = `${lead.currentLeadFt.toFixed(1)} ft${p}`;
  } else {
    marker.setAttribute("visibility", "hidden");
    now.textContent = "";
  }
  show(document.getElementById("lead-panel"));
}
