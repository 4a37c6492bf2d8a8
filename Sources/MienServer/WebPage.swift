/// The web page at `/`: plain HTML, CSS and JavaScript in the binary (no build step, no CDN, works offline). The
/// notice is shown, and must be acknowledged, before anything is sent for analysis.
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mien — facial expression and movement analysis</title>
<style>
  :root { --ink:#1d2330; --muted:#5b6475; --line:#d9dee7; --accent:#2f6fdf; --warn:#b35c00; --bg:#f7f8fb; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.45 system-ui, sans-serif; color:var(--ink); background:var(--bg); }
  header { padding:14px 24px; background:#fff; border-bottom:1px solid var(--line); }
  header h1 { margin:0; font-size:20px; }
  header p { margin:2px 0 0; color:var(--muted); }
  main { max-width:1100px; margin:0 auto; padding:16px 24px 48px; }
  section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:16px; margin:0 0 16px; }
  h2 { font-size:17px; margin:0 0 10px; }
  #notice h3 { font-size:14px; margin:10px 0 2px; }
  #notice p { margin:0 0 4px; color:var(--muted); }
  .tools[aria-disabled="true"] { opacity:.45; pointer-events:none; }
  .drop { border:2px dashed var(--line); border-radius:8px; padding:22px; text-align:center; color:var(--muted); }
  .drop.over { border-color:var(--accent); color:var(--accent); }
  button, .button { font:inherit; padding:6px 14px; border-radius:6px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
  button.secondary { background:#fff; color:var(--accent); }
  .row { display:flex; gap:16px; flex-wrap:wrap; align-items:flex-start; }
  #photo-image { max-width:520px; width:100%; border-radius:6px; border:1px solid var(--line); }
  .face { border:1px solid var(--line); border-radius:6px; padding:10px; margin:0 0 10px; min-width:300px; flex:1; }
  .face h3 { margin:0 0 6px; font-size:15px; }
  .state { display:inline-block; padding:1px 8px; border-radius:10px; font-size:13px; margin-left:6px; }
  .state-label { background:#e6efff; color:#1d4fa8; }
  .state-uncertain { background:#fff1e0; color:var(--warn); border:1px dashed var(--warn); }
  .state-none { background:#eef0f3; color:var(--muted); }
  .bar { display:grid; grid-template-columns:90px 1fr 48px; gap:6px; align-items:center; font-size:13px; }
  .bar .track { background:#eef0f3; height:10px; border-radius:5px; overflow:hidden; }
  .bar .fill { background:var(--accent); height:100%; }
  .uncertain .bar .fill { background:#d08a3a; }
  table { border-collapse:collapse; font-size:13px; margin-top:6px; }
  td { padding:1px 8px 1px 0; } td:first-child { color:var(--muted); }
  progress { width:100%; height:14px; }
  .error { color:#a40000; }
  .muted { color:var(--muted); }
  #report-frame { width:100%; height:520px; border:1px solid var(--line); border-radius:6px; }
  canvas#live-chart { width:100%; max-width:520px; height:140px; border:1px solid var(--line); border-radius:6px; }
  video#camera { width:320px; border-radius:6px; background:#000; }
</style>
</head>
<body>
<header>
  <h1>Mien</h1>
  <p>Facial expression and movement analysis that says what it can and cannot know.</p>
</header>
<main>
  <section id="notice" aria-live="polite">
    <h2 id="notice-title">Notice</h2>
    <div id="notice-body" class="muted">Loading the notice…</div>
    <p><strong>Expression estimates describe facial expressions as people would label them — not what anyone feels.</strong></p>
    <label><input type="checkbox" id="notice-ack"> I have read this notice</label>
  </section>

  <div class="tools" id="tools" aria-disabled="true">
  <section>
    <h2>API key</h2>
    <p class="muted">Needed when the server requires keys; kept in this tab only.</p>
    <input id="key" type="password" size="60" placeholder="mien_… (leave empty on a local server)" autocomplete="off">
    <p><label><input type="checkbox" id="body-toggle" disabled> Body keypoints: the skeleton and body movement (photo and webcam)</label>
      <span id="body-note" class="muted"></span></p>
  </section>

  <section id="photo">
    <h2>Photo</h2>
    <div class="drop" id="photo-drop">Drop a photo here, or <label class="button secondary">pick one<input id="photo-file" type="file" accept="image/*" hidden></label></div>
    <p id="photo-status" class="muted"></p>
    <div class="row">
      <img id="photo-image" alt="The photo with each face's box, landmarks and label drawn" hidden>
      <div id="faces" style="flex:1"></div>
    </div>
  </section>

  <section id="webcam">
    <h2>Webcam (live)</h2>
    <p class="muted">Frames go to the server over a WebSocket; nothing is recorded.</p>
    <button id="camera-start" class="secondary">Start the camera</button> <button id="camera-stop" class="secondary" disabled>Stop</button>
    <span id="live-status" class="muted"></span>
    <div class="row"><video id="camera" autoplay muted playsinline hidden></video><canvas id="live-chart" width="520" height="140"></canvas></div>
  </section>

  <section id="video">
    <h2>Video</h2>
    <input id="video-file" type="file" accept="video/*"> <button id="video-send">Analyse the video</button>
    <p><progress id="video-progress" max="1" value="0" hidden></progress></p>
    <p id="video-status" class="muted"></p>
    <iframe id="report-frame" title="The video's timeline report" hidden sandbox=""></iframe>
  </section>

  <section id="audio">
    <h2>Audio</h2>
    <input id="audio-file" type="file" accept="audio/*,video/*"> <button id="audio-send">Analyse the audio</button>
    <p id="audio-status" class="muted"></p>
    <div id="audio-result"></div>
  </section>
  </div>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const key = () => $("key").value.trim();
const auth = () => key() ? { "Authorization": "Bearer " + key() } : {};
const pct = (x) => (100 * x).toFixed(0) + "%";
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));

async function errorText(response) {
  try { const body = await response.json(); return body.error.message + " (" + body.error.code + ", HTTP " + response.status + ")"; }
  catch (e) { return "HTTP " + response.status; }
}

fetch("/v1/notice").then((r) => r.json()).then((n) => {
  $("notice-title").textContent = n.title;
  $("notice-body").innerHTML = n.sections.map((s) => "<h3>" + esc(s.title) + "</h3><p>" + esc(s.text) + "</p>").join("");
}).catch(() => { $("notice-body").textContent = "The notice could not be loaded; ask the operator before using this page."; });

// What this server loaded: body keypoints only with `mien serve --body`.
fetch("/healthz").then((r) => r.json()).then((h) => {
  $("body-toggle").disabled = !h.body;
  $("body-note").textContent = h.body ? "(about 150 ms more a person)" : "(this server was started without --body)";
}).catch(() => {});
const bodyOn = () => !$("body-toggle").disabled && $("body-toggle").checked;

$("notice-ack").addEventListener("change", (e) => {
  $("tools").setAttribute("aria-disabled", e.target.checked ? "false" : "true");
});

// ---- photo ----
function expressionBlock(e) {
  if (!e) return '<p><span class="state state-none" data-state="none">no expression estimate</span> <span class="muted">(measures only)</span></p>';
  const uncertain = e.label === "uncertain";
  const head = uncertain
    ? '<span class="state state-uncertain" data-state="uncertain">uncertain</span> <span class="muted">' + esc(e.abstain_reason || ("no class reaches the " + pct(e.threshold) + " threshold")) + "</span>"
    : '<span class="state state-label" data-state="label">' + esc(e.label) + " " + pct(e.confidence) + "</span>";
  const bars = Object.entries(e.probabilities).sort((a, b) => b[1] - a[1]).map(([name, p]) =>
    '<div class="bar"><span>' + esc(name) + '</span><span class="track"><span class="fill" style="width:' + (100 * p).toFixed(1) + '%"></span></span><span>' + pct(p) + "</span></div>").join("");
  return '<div class="' + (uncertain ? "uncertain" : "") + '"><p>Expression:' + head + "</p>" + bars + '<p class="muted">' + esc(e.basis || "") + "</p></div>";
}

function table(obj, digits) {
  if (!obj) return "";
  return "<table>" + Object.entries(obj).map(([k, v]) => "<tr><td>" + esc(k.replace(/_/g, " ")) + "</td><td>" + (typeof v === "number" ? v.toFixed(digits) : esc(v)) + "</td></tr>").join("") + "</table>";
}

function gazeBlock(g) {
  if (!g) return "";
  if (g.abstained) return '<p>Gaze: <span class="muted">' + esc(g.abstained) + "</span></p>";
  const rows = {};
  if (g.combined) { rows["eye in head, yaw"] = g.combined.yaw; rows["eye in head, pitch"] = g.combined.pitch; }
  if (g.camera) { rows["towards the camera, yaw"] = g.camera.yaw; rows["towards the camera, pitch"] = g.camera.pitch; }
  return "<p>Gaze from the irises (degrees; no per-person calibration)</p>" + table(rows, 1);
}

function blendshapeBlock(b) {
  if (!b) return "";
  if (b.abstained) return '<p>Blendshapes: <span class="muted">' + esc(b.abstained) + "</span></p>";
  const top = Object.entries(b.coefficients).filter(([k]) => k !== "_neutral").sort((x, y) => y[1] - x[1]).slice(0, 6);
  return '<p>Strongest blendshapes (facial movement, 0–1)</p><div class="blendshapes">' + table(Object.fromEntries(top), 2) + "</div>";
}

function bodyBlock(b) {
  if (!b) return "";
  if (b.abstained) return '<p class="body-abstained">Body: <span class="muted">' + esc(b.abstained) + "</span></p>";
  return '<p>Body movement (' + b.points.length + ' keypoints; movement, not emotion)</p><div class="body-measures">' + table(b.movement, 3) + "</div>";
}

function showFaces(doc) {
  const image = doc.images[0];
  const faces = image.faces;
  let html = '<p><strong id="face-count" data-count="' + faces.length + '">' + faces.length + " face" + (faces.length === 1 ? "" : "s") + "</strong> found in " + image.width + "×" + image.height + " pixels.</p>";
  faces.forEach((f, i) => {
    html += '<div class="face" data-face="' + i + '"><h3>Face ' + (i + 1) + "</h3>" + expressionBlock(f.expression);
    html += "<p>Head pose (degrees)</p>" + table(f.pose, 1);
    html += "<p>Movement measures (IOD units)</p>" + table(f.movement_measures, 3);
    html += gazeBlock(f.gaze) + blendshapeBlock(f.blendshapes) + bodyBlock(f.body) + "</div>";
  });
  $("faces").innerHTML = html;
}

async function analysePhoto(file) {
  $("photo-status").textContent = "Analysing " + file.name + "…";
  $("faces").innerHTML = "";
  const form = new FormData();
  form.append("file", file, file.name);
  try {
    const r = await fetch("/v1/analyze?annotated=jpeg&landmarks=false" + (bodyOn() ? "&body=true" : "") + "&source=" + encodeURIComponent(file.name), { method: "POST", headers: auth(), body: form });
    if (!r.ok) { $("photo-status").innerHTML = '<span class="error">' + esc(await errorText(r)) + "</span>"; return; }
    const doc = await r.json();
    if (doc.annotated_image) { $("photo-image").src = doc.annotated_image; $("photo-image").hidden = false; }
    showFaces(doc);
    $("photo-status").textContent = "Purpose " + doc.purpose + "; outputs: " + doc.outputs.join(", ") + ". " + doc.notice;
  } catch (e) { $("photo-status").innerHTML = '<span class="error">The server could not be reached: ' + esc(e) + "</span>"; }
}
$("photo-file").addEventListener("change", (e) => { if (e.target.files[0]) analysePhoto(e.target.files[0]); });
const drop = $("photo-drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) analysePhoto(e.dataTransfer.files[0]); });

// ---- video ----
$("video-send").addEventListener("click", () => {
  const file = $("video-file").files[0];
  if (!file) { $("video-status").textContent = "Pick a video first."; return; }
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/v1/videos");
  if (key()) xhr.setRequestHeader("Authorization", "Bearer " + key());
  xhr.setRequestHeader("Content-Type", "application/octet-stream");
  $("video-progress").hidden = false;
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) { $("video-progress").value = e.loaded / e.total; $("video-status").textContent = "Uploading " + pct(e.loaded / e.total); } };
  xhr.onload = () => {
    let body = {}; try { body = JSON.parse(xhr.responseText); } catch (e) {}
    if (xhr.status !== 202) { $("video-status").innerHTML = '<span class="error">' + esc(body.error ? body.error.message : "HTTP " + xhr.status) + "</span>"; return; }
    poll(body.id);
  };
  xhr.onerror = () => { $("video-status").innerHTML = '<span class="error">The upload failed.</span>'; };
  xhr.send(file);
});

async function poll(id) {
  const r = await fetch("/v1/videos/" + id, { headers: auth() });
  if (!r.ok) { $("video-status").innerHTML = '<span class="error">' + esc(await errorText(r)) + "</span>"; return; }
  const job = await r.json();
  $("video-progress").value = job.progress;
  $("video-status").textContent = "Job " + job.id + ": " + job.state + " — " + job.frames_analysed + " frames analysed";
  if (job.state === "done") {
    const report = await fetch("/v1/videos/" + id + "/result?format=html", { headers: auth() });
    $("report-frame").srcdoc = await report.text();
    $("report-frame").hidden = false;
  } else if (job.state === "failed") {
    $("video-status").innerHTML = '<span class="error">' + esc(job.failure) + "</span>";
  } else {
    setTimeout(() => poll(id), 1000);
  }
}

// ---- audio ----
$("audio-send").addEventListener("click", async () => {
  const file = $("audio-file").files[0];
  if (!file) { $("audio-status").textContent = "Pick an audio file first."; return; }
  $("audio-status").textContent = "Analysing " + file.name + "…";
  const r = await fetch("/v1/voice", { method: "POST", headers: Object.assign({ "Content-Type": "application/octet-stream" }, auth()), body: file });
  if (!r.ok) { $("audio-status").innerHTML = '<span class="error">' + esc(await errorText(r)) + "</span>"; return; }
  const v = await r.json();
  $("audio-status").textContent = v.duration.toFixed(1) + " s of audio, " + v.segments.length + " voiced segment(s).";
  $("audio-result").innerHTML = "<p>Prosody summary</p>" + table(v.summary, 2) +
    v.segments.slice(0, 20).map((s, i) => '<div class="face"><h3>Segment ' + (i + 1) + " (" + s.start.toFixed(1) + "–" + s.end.toFixed(1) + " s)</h3>" + expressionBlock(s.expression) + "</div>").join("");
});

// ---- webcam over the live WebSocket ----
let socket = null, stream = null, timer = null, points = [];
function drawChart() {
  const c = $("live-chart"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  g.strokeStyle = "#d9dee7"; g.beginPath(); g.moveTo(0, c.height / 2); g.lineTo(c.width, c.height / 2); g.stroke();
  g.strokeStyle = "#2f6fdf"; g.beginPath();
  points.forEach((v, i) => { const x = i * c.width / 120, y = c.height / 2 - v * c.height / 2; i ? g.lineTo(x, y) : g.moveTo(x, y); });
  g.stroke();
  g.fillStyle = "#5b6475"; g.fillText("valence of face 1 (−1…1), last 120 frames", 6, 12);
}
$("camera-start").addEventListener("click", async () => {
  try { stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } }); }
  catch (e) { $("live-status").textContent = "No camera: " + e; return; }
  $("camera").srcObject = stream; $("camera").hidden = false;
  if (key()) document.cookie = "mien_token=" + encodeURIComponent(key()) + "; path=/v1/live; SameSite=Strict";
  socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/live" + (bodyOn() ? "?body=true&body_every=5" : ""));
  socket.binaryType = "arraybuffer";
  let busy = false;
  socket.onmessage = (m) => {
    busy = false;
    const msg = JSON.parse(m.data);
    if (msg.error) { $("live-status").textContent = msg.error.message; return; }
    if (msg.kind === "live-summary") { $("live-status").textContent = msg.frames_analysed + " frames analysed, " + msg.frames_dropped + " dropped"; return; }
    const face = msg.faces[0];
    const e = face && (face.expression_smoothed || face.expression);
    points.push(e && typeof e.valence === "number" ? e.valence : 0); if (points.length > 120) points.shift();
    $("live-status").textContent = msg.faces.length + " face(s); " + (e ? (e.label === "uncertain" ? "uncertain" : e.label) : "measures only") + "; dropped " + msg.dropped;
    drawChart();
  };
  socket.onclose = (e) => { if (e.reason) $("live-status").textContent = e.reason; };
  const canvas = document.createElement("canvas");
  timer = setInterval(() => {
    if (!socket || socket.readyState !== 1 || busy) return;
    const v = $("camera"); if (!v.videoWidth) return;
    canvas.width = v.videoWidth; canvas.height = v.videoHeight;
    canvas.getContext("2d").drawImage(v, 0, 0);
    canvas.toBlob((b) => { if (b && socket.readyState === 1) { busy = true; b.arrayBuffer().then((a) => socket.send(a)); } }, "image/jpeg", 0.8);
  }, 66);
  $("camera-stop").disabled = false;
});
$("camera-stop").addEventListener("click", () => {
  clearInterval(timer); if (socket) socket.close(); if (stream) stream.getTracks().forEach((t) => t.stop());
  $("camera-stop").disabled = true;
});
</script>
</body>
</html>
"""#
}
