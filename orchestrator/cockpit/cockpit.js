// The cockpit. Requests carry the HttpOnly session cookie that /login set (same origin,
// SameSite=Strict): the page itself never sees a credential. Nothing is fetched from elsewhere.
"use strict";

const V = "Vehicle.";
const SEATS = {
  driver: { hvac: "Row1.Driver", seat: "Row1.DriverSide", label: "Driver" },
  passenger: { hvac: "Row1.Passenger", seat: "Row1.PassengerSide", label: "Passenger" },
  rear_left: { hvac: "Row2.Driver", seat: "Row2.DriverSide", label: "Rear left" },
  rear_right: { hvac: "Row2.Passenger", seat: "Row2.PassengerSide", label: "Rear right" },
};
const DOORS = { "Row1.DriverSide": "driver's", "Row1.PassengerSide": "passenger's", "Row2.DriverSide": "rear left", "Row2.PassengerSide": "rear right" };
const P = {
  speed: "Vehicle.Speed", gear: "Vehicle.Powertrain.Transmission.SelectedGear",
  lat: "Vehicle.CurrentLocation.Latitude", lon: "Vehicle.CurrentLocation.Longitude", heading: "Vehicle.CurrentLocation.Heading",
  destLat: "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Latitude",
  destLon: "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Longitude",
  sunroof: "Vehicle.Cabin.Sunroof.Position", shade: "Vehicle.Cabin.Sunroof.Shade.Position",
  trunkOpen: "Vehicle.Body.Trunk.Rear.IsOpen", trunkLocked: "Vehicle.Body.Trunk.Rear.IsLocked",
  low: "Vehicle.Body.Lights.Beam.Low.IsOn", high: "Vehicle.Body.Lights.Beam.High.IsOn",
  fog: "Vehicle.Body.Lights.Fog.Front.IsOn", hazard: "Vehicle.Body.Lights.Hazard.IsSignaling",
  parking: "Vehicle.Body.Lights.Parking.IsOn", lightSwitch: "Vehicle.Body.Lights.LightSwitch",
  wipers: "Vehicle.Body.Windshield.Front.Wiping.Mode", volume: "Vehicle.Cabin.Infotainment.Media.Volume",
  outside: "Vehicle.Exterior.AirTemperature", battery: "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
};
const KINDS = ["routing", "agent_call", "agent_result", "agent_error", "tool_call", "guardrail", "state_change", "turn"];
const KIND_LABEL = { routing: "routing", agent_call: "agent call", agent_result: "agent answer", agent_error: "agent failed",
  tool_call: "tool call", guardrail: "guardrail", state_change: "state change", turn: "turn done" };
const WORDS = { OFF: "off", SLOW: "slow", MEDIUM: "medium", FAST: "fast", INTERVAL: "interval", RAIN_SENSOR: "rain sensor",
  POSITION: "position", DAYTIME_RUNNING_LIGHTS: "daytime", AUTO: "auto", BEAM: "beam" };

const state = {};           // VSS path -> value, live
let changed = new Set();    // paths the last turn changed
let session = null;
let lastPois = [];
let mapData = null;

const $ = (id) => document.getElementById(id);
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined && text !== null) e.textContent = text; return e; }
function svgEl(tag, attrs) { const e = document.createElementNS("http://www.w3.org/2000/svg", tag); for (const k in attrs) e.setAttribute(k, attrs[k]); return e; }
function num(v, digits = 0) { return typeof v === "number" ? v.toFixed(digits) : "–"; }
function loggedOut(res) { const out = res.status === 401; $("login").hidden = !out; return out; }

// ---- the car -------------------------------------------------------------------------------------
function gearLetter(g) {
  if (g === null || g === undefined) return null;
  if (g === 126) return "P"; if (g === 0) return "N"; if (g < 0) return "R";
  return "D";  // 127 (drive) and forward gears 1..n
}
function unitOf(path) {
  if (/Temperature$/.test(path)) return " °C";
  if (path === P.speed || /SpeedSet$/.test(path)) return " km/h";
  if (/(Position|Level|HeatingCooling|Volume|FanSpeed|StateOfCharge\.Current|Probability|Intensity)$/.test(path)) return " %";
  if (/Range$|TraveledDistance$/.test(path)) return " m";
  if (/Pressure$/.test(path)) return " kPa";
  if (/(Latitude|Longitude|Heading|Recline)$/.test(path)) return "°";
  return "";
}
function human(path) {
  const p = path.replace(V, "").replace(/^(Cabin|Body|Chassis|Powertrain)\./, "")
    .replace(/Row1\.(DriverSide|Driver)\b/g, "front left").replace(/Row1\.(PassengerSide|Passenger)\b/g, "front right")
    .replace(/Row2\.(DriverSide|Driver)\b/g, "rear left").replace(/Row2\.(PassengerSide|Passenger)\b/g, "rear right");
  const words = p.split(".").map((w) => w.replace(/^Is(?=[A-Z])/, "").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()).filter(Boolean);
  return words.slice(-4).join(" · ").replace(/^./, (c) => c.toUpperCase());
}
function show(value, path) {
  if (value === null || value === undefined) return "not set";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (path === P.gear) return gearLetter(value);
  if (typeof value === "string") return WORDS[value] || value.toLowerCase().replace(/_/g, " ");
  return `${value}${unitOf(path)}`;
}
function heatWords(level) {
  if (!level) return "seat off";
  return level > 0 ? `heat ${level}%` : `vent ${-level}%`;
}
function seatPaths(key) { const s = SEATS[key]; return { temp: `${V}Cabin.HVAC.Station.${s.hvac}.Temperature`, heat: `${V}Cabin.Seat.${s.seat}.HeatingCooling` }; }
function mark(node, paths) { node.classList.toggle("changed", paths.some((p) => changed.has(p))); }

function drawCar() {
  for (const key in SEATS) {
    const g = document.querySelector(`[data-seat="${key}"]`);
    const { temp, heat } = seatPaths(key);
    const level = state[heat] || 0;
    const rect = g.querySelector("rect");
    rect.classList.toggle("heating", level > 0); rect.classList.toggle("venting", level < 0);
    rect.style.setProperty("--level", String(Math.min(70, 20 + Math.abs(level) * 0.5)));
    g.querySelector(".temp").textContent = typeof state[temp] === "number" ? `${num(state[temp], 1)}°` : "–";
    g.querySelector(".heat-label").textContent = heatWords(level);
    g.dataset.temperature = String(state[temp]); g.dataset.heating = String(level);
    mark(g.querySelector(".temp"), [temp]); mark(rect, [heat]);
  }
  const locked = [], open = [];
  for (const door in DOORS) {
    const g = document.querySelector(`[data-door="${door}"]`);
    const base = `${V}Cabin.Door.${door}`;
    const isOpen = !!state[`${base}.IsOpen`], isLocked = !!state[`${base}.IsLocked`], win = state[`${base}.Window.Position`] || 0;
    g.querySelector(".door").classList.toggle("open", isOpen);
    const lock = g.querySelector(".lock");
    lock.classList.toggle("unlocked", !isLocked);
    lock.querySelector("path").setAttribute("d", isLocked ? "M3 8 V4 a5 5 0 0 1 10 0 V8" : "M3 8 V4 a5 5 0 0 1 10 0 V2");
    const track = g.querySelector(".window-track"), pane = g.querySelector(".window-open");
    pane.setAttribute("height", String((Number(track.getAttribute("height")) * win) / 100));
    g.dataset.locked = String(isLocked); g.dataset.open = String(isOpen); g.dataset.window = String(win);
    mark(lock, [`${base}.IsLocked`]); mark(g.querySelector(".door"), [`${base}.IsOpen`]); mark(pane, [`${base}.Window.Position`]);
    if (isLocked) locked.push(door); if (isOpen) open.push(DOORS[door]);
    g.querySelector("title").textContent = `${DOORS[door][0].toUpperCase()}${DOORS[door].slice(1)} door: ${isOpen ? "open" : "closed"}, ${isLocked ? "locked" : "unlocked"}, window ${win}% open`;
  }
  $("f-locks").textContent = (locked.length === 4 ? "all locked" : locked.length === 0 ? "all unlocked" : `${locked.length} of 4 locked`) + (open.length ? ` · ${open.join(", ")} open` : "");
  const wins = Object.keys(DOORS).map((d) => state[`${V}Cabin.Door.${d}.Window.Position`] || 0);
  $("f-windows").textContent = wins.some((w) => w > 0) ? wins.map((w) => `${w}%`).join(" / ") : "all closed";
  const roof = state[P.sunroof] || 0, shade = state[P.shade] || 0;
  const sun = document.getElementById("sunroof");
  sun.querySelector(".sunroof-open").setAttribute("width", String(84 * Math.abs(roof) / 100));
  sun.querySelector(".shade").setAttribute("height", String(32 * shade / 100));
  sun.querySelector(".sunroof-label").textContent = roof > 0 ? `open ${roof}%` : roof < 0 ? `tilted ${-roof}%` : "sunroof";
  mark(sun.querySelector(".glass"), [P.sunroof, P.shade]);
  $("f-sunroof").textContent = `${roof > 0 ? `open ${roof}%` : roof < 0 ? `tilted ${-roof}%` : "closed"} · shade ${shade}%`;
  const trunk = document.getElementById("trunk"), trunkOpen = !!state[P.trunkOpen];
  trunk.querySelector(".trunk").classList.toggle("open", trunkOpen);
  trunk.querySelector(".trunk-label").textContent = trunkOpen ? "trunk open" : "trunk";
  mark(trunk.querySelector(".trunk"), [P.trunkOpen, P.trunkLocked]);
  $("f-trunk").textContent = `${trunkOpen ? "open" : "closed"}${state[P.trunkLocked] ? ", locked" : ""}`;
  const lit = [];
  if (state[P.low]) lit.push("low beam"); if (state[P.high]) lit.push("high beam"); if (state[P.fog]) lit.push("fog");
  if (state[P.parking]) lit.push("parking"); if (state[P.hazard]) lit.push("hazard");
  document.querySelectorAll('[data-el="lights"]').forEach((n) => { n.classList.toggle("on", lit.length > 0); mark(n, [P.low, P.high, P.fog, P.parking, P.hazard, P.lightSwitch]); });
  $("f-lights").textContent = lit.length ? lit.join(", ") : `off (switch: ${show(state[P.lightSwitch], P.lightSwitch)})`;
  const wipe = state[P.wipers] || "OFF";
  document.querySelectorAll('[data-el="wipers"]').forEach((n) => { n.classList.toggle("on", wipe !== "OFF"); mark(n, [P.wipers]); });
  $("f-wipers").textContent = show(wipe, P.wipers);
  $("speed").textContent = num(state[P.speed]);
  const letter = gearLetter(state[P.gear]);
  $("gears").querySelectorAll("span").forEach((s) => s.classList.toggle("active", s.textContent === letter));
  $("gears").setAttribute("aria-label", `gear ${letter || "unknown"}`);
  $("f-media").textContent = show(state[P.volume], P.volume);
  $("f-outside").textContent = show(state[P.outside], P.outside);
  $("f-battery").textContent = show(state[P.battery], P.battery);
  const factPaths = { speed: [P.speed], gear: [P.gear], locks: Object.keys(DOORS).map((d) => `${V}Cabin.Door.${d}.IsLocked`),
    windows: Object.keys(DOORS).map((d) => `${V}Cabin.Door.${d}.Window.Position`), sunroof: [P.sunroof, P.shade],
    trunk: [P.trunkOpen, P.trunkLocked], lights: [P.low, P.high, P.fog, P.parking, P.hazard, P.lightSwitch], wipers: [P.wipers], media: [P.volume] };
  document.querySelectorAll("[data-fact]").forEach((n) => mark(n, factPaths[n.dataset.fact] || []));
  drawDriver();
  drawRaw();
  drawCarOnMap();
}
function drawRaw() {
  const body = $("raw"); body.replaceChildren();
  for (const path of Object.keys(state).sort()) {
    const tr = el("tr"); if (changed.has(path)) tr.className = "changed";
    tr.append(el("td", null, human(path)), el("td", null, show(state[path], path)), el("td", "path", path));
    body.append(tr);
  }
}
function drawDriver() {
  const box = $("driver"); box.replaceChildren();
  const rows = [["Fatigue", "FatigueLevel", true], ["Attentive", "AttentiveProbability", true], ["Distraction", "DistractionLevel", true],
    ["Eyes on road", "IsEyesOnRoad", false], ["Hands on wheel", "IsHandsOnWheel", false]];
  for (const [label, key, bar] of rows) {
    const v = state[`${V}Driver.${key}`];
    const d = el("div", "fact"); d.append(el("dt", null, label));
    const dd = el("dd", null, v === undefined ? "–" : show(v, `${V}Driver.${key}`));
    if (bar && typeof v === "number") { const b = el("div", "bar"); const s = el("span"); s.style.width = `${Math.max(0, Math.min(100, v))}%`; b.append(s); dd.append(b); }
    d.append(dd); box.append(d);
  }
}

async function loadState() {
  try {
    const res = await fetch("/v1/vehicle/state"); if (loggedOut(res) || !res.ok) return;
    Object.assign(state, await res.json()); drawCar();
  } catch (e) { /* the stack may be restarting; the next poll tries again */ }
}

// ---- the conversation ----------------------------------------------------------------------------
function bubble(cls, who, text) { const b = el("div", `bubble ${cls}`); b.append(el("span", "who", who), el("span", "text", text)); $("log").append(b); b.scrollIntoView({ block: "nearest" }); return b; }
let countdown = null;
function confirmBox(b, pending) {
  const box = el("div", "confirm");
  const yes = el("button", "primary", "Yes"); yes.type = "button";
  const no = el("button", null, "No"); no.type = "button";
  const left = el("span", "left");
  const until = Date.now() + 1000 * (pending.expires_in_s ?? 30);
  const tick = () => {
    const s = Math.max(0, Math.round((until - Date.now()) / 1000));
    left.textContent = s > 0 ? `${s} s left to answer` : "expired";
    if (s <= 0) { yes.disabled = no.disabled = true; clearInterval(countdown); }
  };
  clearInterval(countdown); tick(); countdown = setInterval(tick, 500);
  const answer = (word) => { clearInterval(countdown); box.remove(); say(word); };
  yes.addEventListener("click", () => answer("yes")); no.addEventListener("click", () => answer("no"));
  box.append(yes, no, left); b.append(box); yes.focus();
}
function closeQuestions() { clearInterval(countdown); document.querySelectorAll(".confirm").forEach((c) => c.remove()); }
async function say(text) {
  closeQuestions();
  bubble("me", `You (${SEATS[$("seat").value].label.toLowerCase()})`, text);
  let res;
  try {
    res = await fetch("/v1/utterances", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ text, seat: $("seat").value, session_id: session }) });
  } catch (e) { bubble("car error", "cabin", "The orchestrator does not answer."); return; }
  if (loggedOut(res)) { bubble("car error", "cabin", "Not logged in."); return; }
  const body = await res.json();
  if (!res.ok) { bubble("car error", "cabin", body.detail || `error ${res.status}`); return; }
  session = body.session_id;
  addSession(session);
  const b = bubble("car", "cabin", body.reply);
  b.dataset.turn = body.turn_id;
  const notes = body.actions.filter((a) => a.outcome !== "applied" && a.outcome !== "needs_confirmation");
  if (notes.length) {
    const ul = el("ul");
    for (const a of notes) {
      const li = el("li", `outcome-${a.outcome}`);
      const words = a.message || (a.outcome === "refused" ? "not allowed right now" : "it did not work");
      if (a.rule_id) { const r = el("span", "rule", words); r.title = `rule ${a.rule_id}`; r.dataset.rule = a.rule_id; li.append(`Not done: `, r); }
      else li.append(`Not done: ${words}`);
      ul.append(li);
    }
    b.append(ul);
  }
  if (body.pending_confirmation) confirmBox(b, body.pending_confirmation);
  changed = new Set(Object.keys(body.state_changes || {}));
  Object.assign(state, body.state_changes || {});
  drawCar();
}
$("say").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = $("text"); const text = input.value.trim(); if (!text) return;
  input.value = ""; say(text);
});

// ---- the trace -----------------------------------------------------------------------------------
const groups = new Map();
function addSession(id) {
  const sel = $("session-filter");
  if (![...sel.options].some((o) => o.value === id)) sel.append(new Option(`${id}${id === session ? " (this screen)" : ""}`, id));
}
function applyFilter() {
  const want = $("session-filter").value;
  for (const g of groups.values()) g.hidden = !!want && g.dataset.session !== want;
}
$("session-filter").addEventListener("change", applyFilter);
$("clear-trace").addEventListener("click", () => { groups.clear(); $("turns").replaceChildren(); });
function summary(ev) {
  switch (ev.type) {
    case "routing": return (ev.parts || []).map((p) => `${p.agent || "no agent"}/${p.skill || "–"} via ${p.via}` +
      (p.confidence != null ? ` (${Math.round(p.confidence * 100)}%)` : "") + (p.intent ? ` · intent ${p.intent}` : "") + ` · "${p.text}"`).join("; ");
    case "agent_call": return `${ev.agent}${ev.skill ? "/" + ev.skill : ""} ← "${ev.text || ev.method || ""}"` +
      (ev.intent ? ` · intent ${ev.intent}` : "") + (ev.slots && Object.keys(ev.slots).length ? ` · slots ${JSON.stringify(ev.slots)}` : "");
    case "agent_result": return `${ev.agent}: ${ev.state}`;
    case "agent_error": return `${ev.agent}: ${ev.reason}`;
    case "tool_call": return `${ev.tool} ${JSON.stringify(ev.arguments || {})}`;
    case "guardrail": return `${ev.tool}: ${ev.outcome}${ev.rule_id ? " (" + ev.rule_id + ")" : ""}`;
    case "state_change": return Object.entries(ev.changes || {}).map(([k, v]) => `${human(k)} → ${show(v, k)}`).join(", ");
    case "turn": return `"${ev.result.reply}"`;
    default: return ev.type;
  }
}
function group(ev) {
  let g = groups.get(ev.turn_id);
  if (!g) {
    g = el("details", "turn-group"); g.open = true; g.dataset.turn = ev.turn_id;
    const s = el("summary"); s.append(el("span", "said", "…"), el("span", "meta", ev.turn_id));
    g.append(s, el("ol", "timeline"));
    groups.set(ev.turn_id, g); $("turns").prepend(g);
    while (groups.size > 40) { const [k, old] = groups.entries().next().value; old.remove(); groups.delete(k); }
    for (const old of [...groups.values()].slice(0, -3)) old.open = false;
  }
  return g;
}
function traceEvent(ev) {
  if (!ev.turn_id || ev.turn_id === "-") return;
  const g = group(ev);
  if (ev.type === "routing") g.querySelector(".said").textContent = `"${ev.text}"`;
  if (ev.type === "turn") {
    g.dataset.session = ev.result.session_id; addSession(ev.result.session_id);
    g.querySelector(".meta").textContent = `${ev.turn_id} · session ${ev.result.session_id} · ${num(ev.result.latency_ms.total, 1)} ms`;
    applyFilter();
  }
  const li = el("li", `step ${ev.type}${ev.outcome === "refused" ? " refused" : ""}`);
  const d = el("details"); const s = el("summary");
  const ms = ev.type === "turn" ? ev.result.latency_ms.total : ev.latency_ms;
  s.append(el("span", "kind", KIND_LABEL[ev.type] || ev.type), el("span", "what", summary(ev)), el("span", "ms", ms != null ? `${num(ms, 1)} ms` : ""));
  d.append(s, el("pre", null, JSON.stringify(ev, null, 2))); li.append(d);
  g.querySelector(".timeline").append(li);
}

// ---- the map -------------------------------------------------------------------------------------
const view = { x: 0, y: 0, w: 1000, h: 700 };
function project(lat, lon) { return [(lon - mapData.bounds[1]) * mapData.metres_per_degree_longitude, (mapData.bounds[2] - lat) * mapData.metres_per_degree_latitude]; }
function setView() { $("map-svg").setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`); }
function centre(x, y) { view.x = x - view.w / 2; view.y = y - view.h / 2; setView(); }
function zoom(f) { const cx = view.x + view.w / 2, cy = view.y + view.h / 2; view.w *= f; view.h *= f; centre(cx, cy); }
function pan(dx, dy) { view.x += dx * view.w; view.y += dy * view.h; setView(); }
async function loadMap() {
  const res = await fetch("/v1/map"); if (loggedOut(res) || !res.ok) { $("map-note").textContent = "The map is not available."; return; }
  mapData = await res.json();
  const layers = $("map-layers");
  for (const layer of mapData.layers) if (layer.d) layers.append(svgEl("path", { class: layer.kind, d: layer.d }));
  const box = $("map-svg").getBoundingClientRect();
  view.w = 1400; view.h = view.w * (box.height / Math.max(box.width, 1));
  $("map-note").textContent = `${mapData.source} · ${mapData.attribution}. Drag or use the arrow keys to pan; + and − to zoom.`;
  drawCarOnMap(true); drawPois(); drawRoute();
}
function drawCarOnMap(recentre) {
  if (!mapData || typeof state[P.lat] !== "number") return;
  const [x, y] = project(state[P.lat], state[P.lon]);
  $("map-car").setAttribute("transform", `translate(${x} ${y}) rotate(${state[P.heading] || 0})`);
  if (recentre) centre(x, y);
}
function drawPois() {
  const g = $("map-pois"); g.replaceChildren(); if (!mapData) return;
  lastPois.forEach((p, i) => {
    const [x, y] = project(p.latitude, p.longitude);
    const m = svgEl("g", { class: "poi", transform: `translate(${x} ${y})` });
    const name = p.name || (p.category || "place").replace(/_/g, " ");
    const t = svgEl("title", {}); t.textContent = `${name}${p.address ? ", " + p.address : ""}`;
    m.append(t, svgEl("circle", { r: 16 }));
    const label = svgEl("text", { x: 22, y: 10 }); label.textContent = `${i + 1}. ${name}`;
    m.append(label); g.append(m);
  });
  if (lastPois.length) {
    const pts = lastPois.map((p) => project(p.latitude, p.longitude));
    if (typeof state[P.lat] === "number") pts.push(project(state[P.lat], state[P.lon]));
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const w = Math.max(600, (Math.max(...xs) - Math.min(...xs)) * 1.3), aspect = view.h / view.w;
    view.w = w; view.h = w * aspect; centre((Math.max(...xs) + Math.min(...xs)) / 2, (Math.max(...ys) + Math.min(...ys)) / 2);
  }
}
let routeKey = "";
async function drawRoute() {
  if (!mapData) return;
  const dest = $("map-dest");
  const lat = state[P.destLat], lon = state[P.destLon];
  if (typeof lat !== "number" || typeof lon !== "number" || typeof state[P.lat] !== "number") { $("map-route").setAttribute("d", ""); dest.replaceChildren(); routeKey = ""; return; }
  const key = [state[P.lat], state[P.lon], lat, lon].join(",");
  if (key === routeKey) return; routeKey = key;
  const [dx, dy] = project(lat, lon);
  dest.replaceChildren(); const m = svgEl("g", { class: "dest", transform: `translate(${dx} ${dy})` });
  const label = svgEl("text", { x: 22, y: 44 }); label.textContent = "destination";
  m.append(svgEl("circle", { r: 18 }), label); dest.append(m);
  const q = new URLSearchParams({ from_lat: state[P.lat], from_lon: state[P.lon], to_lat: lat, to_lon: lon });
  const res = await fetch(`/v1/map/route?${q}`);
  if (!res.ok) { $("map-route").setAttribute("d", ""); $("map-route").dataset.points = "0"; return; }
  const route = await res.json();
  $("map-route").setAttribute("d", route.points.map(([a, b], i) => { const [x, y] = project(a, b); return `${i ? "L" : "M"}${x.toFixed(1)} ${y.toFixed(1)}`; }).join(""));
  $("map-route").dataset.points = String(route.points.length);
  const t = svgEl("title", {}); t.textContent = `route: ${(route.distance_m / 1000).toFixed(1)} km, ${Math.round(route.duration_s / 60)} min${route.main_roads.length ? " via " + route.main_roads.join(", ") : ""}`;
  $("map-route").replaceChildren(t);
}
(function mapControls() {
  const svg = $("map-svg");
  $("zoom-in").addEventListener("click", () => zoom(0.7)); $("zoom-out").addEventListener("click", () => zoom(1 / 0.7));
  $("recenter").addEventListener("click", () => drawCarOnMap(true));
  svg.addEventListener("wheel", (e) => { e.preventDefault(); zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15); }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (e) => { drag = { x: e.clientX, y: e.clientY }; svg.setPointerCapture(e.pointerId); });
  svg.addEventListener("pointermove", (e) => {
    if (!drag) return; const r = svg.getBoundingClientRect();
    const s = Math.max(view.w / r.width, view.h / r.height);
    view.x -= (e.clientX - drag.x) * s; view.y -= (e.clientY - drag.y) * s; drag = { x: e.clientX, y: e.clientY }; setView();
  });
  svg.addEventListener("pointerup", () => { drag = null; });
  svg.addEventListener("keydown", (e) => {
    const moves = { ArrowLeft: [-0.15, 0], ArrowRight: [0.15, 0], ArrowUp: [0, -0.15], ArrowDown: [0, 0.15] };
    if (moves[e.key]) { e.preventDefault(); pan(...moves[e.key]); }
    else if (e.key === "+" || e.key === "=") zoom(0.7); else if (e.key === "-") zoom(1 / 0.7);
  });
})();

// ---- perception ----------------------------------------------------------------------------------
let frameStamp = null;
async function loadPerception() {
  let res;
  try { res = await fetch("/v1/perception"); } catch (e) { return; }
  if (loggedOut(res)) return;
  const box = $("frame-box");
  if (!res.ok) { const b = await res.json(); box.replaceChildren(el("p", "empty", b.detail)); $("signs").replaceChildren(); frameStamp = null; return; }
  const snap = await res.json();
  if (snap.timestamp === frameStamp) return; frameStamp = snap.timestamp;
  box.replaceChildren();
  if (snap.image) {
    const f = el("div", "frame"); const img = el("img"); img.alt = "Latest camera frame"; img.src = `/v1/perception/image?t=${snap.timestamp}`;
    const svg = svgEl("svg", { viewBox: `0 0 ${snap.image.width} ${snap.image.height}`, preserveAspectRatio: "none", "aria-hidden": "true" });
    for (const line of snap.lines) {
      svg.append(svgEl("polygon", { points: line.box.map((p) => p.join(",")).join(" ") }));
      const t = svgEl("title", {}); t.textContent = `${line.text} (${Math.round(line.confidence * 100)}%)`; svg.lastChild.append(t);
    }
    f.append(img, svg); box.append(f);
  } else box.append(el("p", "empty", "The latest frame has no camera image."));
  const read = snap.lines.map((l) => l.text).join(" / ");
  box.append(el("p", "map-note", `${snap.source} feed · ${snap.objects.length} objects around the car${read ? ` · text read: ${read}` : ""}`));
  const signs = $("signs"); signs.replaceChildren();
  for (const s of snap.signs) signs.append(el("li", null, `${s.kind.replace(/_/g, " ")}${s.value != null ? " " + s.value : ""}${s.text ? ": " + s.text : ""}`));
  for (const o of snap.objects.slice(0, 4)) signs.append(el("li", null, `${o.class} ${o.side} ${num(o.distance_m, 1)} m${o.blind_spot ? " (blind spot)" : ""}`));
}

// Without a feed of its own (GET /v1/perception is 404), the cockpit shows what the perception agent
// last reported: the signs, the objects and the text it read.
function showPerceptionAnswer(data) {
  const signs = $("signs"); signs.replaceChildren();
  for (const s of data.signs || []) signs.append(el("li", null, `${String(s.kind || "sign").replace(/_/g, " ")}${s.value != null ? " " + s.value : ""}${s.text ? ": " + s.text : ""}`));
  for (const o of (data.objects || []).slice(0, 4)) signs.append(el("li", null, `${o.class || o.object_class || "object"} ${o.side || ""} ${num(o.distance_m ?? o.distanceM, 1)} m`));
  const read = data.sign_text ?? data.signText;
  if (read) signs.append(el("li", null, `text read: ${read}`));
}

// ---- the live stream -----------------------------------------------------------------------------
function connect() {
  const events = new EventSource("/v1/events");
  const live = $("live");
  events.onopen = () => { live.querySelector(".status-dot").classList.add("live"); live.lastChild.textContent = "live"; };
  events.onerror = () => { live.querySelector(".status-dot").classList.remove("live"); live.lastChild.textContent = "reconnecting…"; };
  for (const kind of KINDS) {
    events.addEventListener(kind, (msg) => {
      const ev = JSON.parse(msg.data);
      traceEvent(ev);
      if (kind === "state_change") { Object.assign(state, ev.changes); if (ev.turn_id !== "-") ev.changes && Object.keys(ev.changes).forEach((k) => changed.add(k)); drawCar(); drawRoute(); }
      if (kind === "routing") changed = new Set();
      if (kind === "agent_result" && ev.data && Array.isArray(ev.data.pois) && ev.data.pois.length) { lastPois = ev.data.pois; drawPois(); }
      if (kind === "agent_result" && ev.agent && /perception/.test(ev.agent)) { if (frameStamp === null && ev.data) showPerceptionAnswer(ev.data); loadPerception(); }
    });
  }
}

// ---- theme ---------------------------------------------------------------------------------------
function setTheme(t) {
  document.documentElement.dataset.theme = t; localStorage.setItem("cabin-theme", t);
  $("theme").textContent = t === "dark" ? "Light theme" : "Dark theme"; $("theme").setAttribute("aria-pressed", String(t === "light"));
}
$("theme").addEventListener("click", () => setTheme(document.documentElement.dataset.theme === "dark" ? "light" : "dark"));
setTheme(localStorage.getItem("cabin-theme") || "dark");

drawDriver();
loadState().then(loadMap);
loadPerception();
connect();
setInterval(loadState, 5000);
setInterval(loadPerception, 4000);
$("text").focus();
