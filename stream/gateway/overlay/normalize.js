// Output payloads as the overlay draws them, bound to the output contract v2 (`"v": 2`).
// V1 TOLERANCE: until the v2 contract is merged the gateway still sends v1 shapes; each place that
// accepts one says so. Remove these branches once every worker writes v2.

const SIDES = new Set(["home", "away"]);

/** One tracked object: {id, side, role, x, y} in metres, or null for one the overlay cannot place. */
function trackedObject(raw) {
  // V1 TOLERANCE: v1 frames carry [id, team, role, x, y] arrays, `team` being home|away|officials.
  const o = Array.isArray(raw) ? { id: raw[0], side: raw[1], role: raw[2], x: raw[3], y: raw[4] } : raw;
  if (o == null || !Number.isFinite(o.x) || !Number.isFinite(o.y)) return null;
  return { id: String(o.id), side: o.side ?? o.team, role: o.role, x: o.x, y: o.y };
}

/** Players (officials apart) and the ball of a `frame` output's data. */
export function frameView(data) {
  const objects = (data.objects ?? []).map(trackedObject).filter((o) => o !== null);
  const isPlayer = (o) => SIDES.has(o.side) && o.role !== "referee" && o.role !== "ball";
  const ball = Array.isArray(data.ball) && Number.isFinite(data.ball[0]) ? data.ball : null;
  return {
    players: objects.filter(isPlayer),
    officials: objects.filter((o) => !isPlayer(o) && o.role !== "ball"),
    ball,
    carrierId: data.carrier ? String(data.carrier.id) : null,
    period: data.period ?? null,
    clockS: Number.isFinite(data.clock_s) ? data.clock_s : null,
  };
}

/** A player reference as {id, name}: v2 sends an object (or null). */
export function playerRef(value) {
  if (value == null) return null;
  // V1 TOLERANCE: v1 sends the bare player id.
  if (typeof value === "string") return { id: value, name: null };
  return { id: String(value.id), name: value.name ?? null };
}

/** The shot card's content from an `xg` output's data. */
export function shotView(data) {
  return {
    eventId: data.event_id,
    xg: data.xg,
    reasons: Array.isArray(data.explanation) ? data.explanation.slice(0, 3) : [],
    player: playerRef(data.player),
    team: data.team ?? null,
    side: data.side ?? null,
    outcome: data.outcome ?? null,
  };
}

/** The lead curve from a `lead_curve` output's data: 21 {leadFt, p} points and the current lead. */
export function leadView(data) {
  const leads = data.leads_ft ?? [];
  const probabilities = data.probabilities ?? [];
  const points = leads.map((leadFt, i) => ({ leadFt, p: probabilities[i] })).filter((pt) => Number.isFinite(pt.p));
  return {
    points,
    currentLeadFt: Number.isFinite(data.current_lead_ft) ? data.current_lead_ft : null,
    currentP: Number.isFinite(data.current_probability) ? data.current_probability : null,
    runner: playerRef(data.runner ?? data.runner_id), // V1 TOLERANCE: v1 names `runner_id` only.
  };
}
