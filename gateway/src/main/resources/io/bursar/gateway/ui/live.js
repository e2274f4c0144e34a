// The live operations page: reads GET /v1/live/stream (Server-Sent Events, one "figures" event a second) with the
// API key it was given, and draws each sample. The key comes from the address (#key=...) or the form, and is kept
// for this tab only (sessionStorage); it is sent as a Bearer token, never in the URL.
"use strict";

const KEY_ITEM = "bursar.live.key";
const COLORS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d"];
const $ = (id) => document.getElementById(id);
let connection = null;

function key() {
  const fromAddress = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromAddress) {
    sessionStorage.setItem(KEY_ITEM, fromAddress);
    history.replaceState(null, "", location.pathname); // the key leaves the address bar and the history
  }
  return sessionStorage.getItem(KEY_ITEM);
}

function askForKey(message) {
  $("figures").hidden = true;
  $("key-form").hidden = false;
  $("key-message").textContent = message || "";
  status("error", message ? "no access" : "not connected");
}

function status(state, text) {
  $("status").dataset.state = state;
  $("status").textContent = text;
}

async function connect() {
  const apiKey = key();
  if (!apiKey) {
    askForKey("");
    return;
  }
  status("idle", "connecting…");
  if (connection) {
    connection.abort(); // one stream per page: a new key replaces the old stream
  }
  const mine = connection = new AbortController();
  let response;
  try {
    response = await fetch("/v1/live/stream", {signal: mine.signal, cache: "no-store",
      headers: {"Authorization": "Bearer " + apiKey, "Accept": "text/event-stream"}});
  } catch (e) {
    if (!mine.signal.aborted) {
      retry("gateway unreachable");
    }
    return;
  }
  if (response.status === 401 || response.status === 403) {
    sessionStorage.removeItem(KEY_ITEM);
    const answer = await response.json().catch(() => ({}));
    askForKey((response.status === 401 ? "This key is not known. " : "This key may not read the figures: ")
      + (answer.error || "") + " The page needs an admin or a viewer key.");
    return;
  }
  if (!response.ok) {
    retry("gateway answered " + response.status);
    return;
  }
  $("key-form").hidden = true;
  $("figures").hidden = false;
  status("live", "live");
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const {value, done} = await reader.read();
      if (done) {
        break;
      }
      buffer += decoder.decode(value, {stream: true});
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        handle(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  } catch (e) {
    // The connection dropped, or was replaced: connect again below unless replaced.
  }
  if (!mine.signal.aborted) {
    retry("connection lost");
  }
}

function retry(why) {
  status("error", why + "; retrying");
  setTimeout(connect, 2000);
}

function handle(frame) {
  let event = "message";
  const data = [];
  for (const line of frame.split("\n")) {
    if (line.startsWith("event:")) {
      event = line.slice(6).trim();
    } else if (line.startsWith("data:")) {
      data.push(line.slice(5).replace(/^ /, ""));
    }
  }
  if (event === "figures" && data.length) {
    render(JSON.parse(data.join("\n")));
  }
}

// ---- numbers ----

const number = (n) => n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en");
const rate = (n) => n === null || n === undefined ? "–" : (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString("en"));
const ms = (n) => n === null || n === undefined ? "no results yet" : Math.round(n).toLocaleString("en") + " ms";
const sum = (values) => values.reduce((a, b) => a + b, 0);
const lastMean = (values, n) => values.length ? sum(values.slice(-n)) / Math.min(n, values.length) : 0;

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) {
    td.className = className;
  }
  row.appendChild(td);
  return td;
}

function render(f) {
  $("instance").textContent = f.instance;
  $("since").textContent = new Date(f.since).toLocaleTimeString();
  $("updated").textContent = new Date(f.at).toLocaleTimeString();
  const commands = Object.values(f.rates.commands);
  const results = Object.values(f.rates.results);
  $("commands-rate").textContent = rate(sum(commands.map((s) => lastMean(s, 10))));
  $("results-rate").textContent = rate(sum(results.map((s) => lastMean(s, 10))));
  $("latency-p50").textContent = ms(f.latency.p50Ms);
  $("latency-p99").textContent = ms(f.latency.p99Ms);
  $("commands-total").textContent = number(sum(commands.map((s) => sum(s))));
  chart("commands", f.rates.commands, f.seconds, {});
  chart("results", f.rates.results, f.seconds, {});
  const limits = {};
  f.providers.forEach((p) => limits[p.providerId] = p.limitPerSecond);
  chart("calls", f.rates.providerCalls, f.seconds, limits);
  renderRejections(f.rejections);
  renderFunnel(f.orders);
  renderDeadLetters(f.deadLetters);
  renderProviders(f.providers);
  renderInstances(f.instances);
}

function renderRejections(rejections) {
  const body = $("rejections");
  body.replaceChildren();
  const entries = Object.entries(rejections).sort((a, b) => b[1] - a[1]);
  entries.forEach(([reason, count]) => {
    const row = body.insertRow();
    cell(row, reason);
    cell(row, number(count));
  });
  $("rejections-none").hidden = entries.length > 0;
}

function renderFunnel(orders) {
  const box = $("funnel");
  box.replaceChildren();
  const most = Math.max(1, ...Object.values(orders));
  Object.entries(orders).forEach(([stage, count], i) => {
    const row = document.createElement("div");
    row.className = "step" + (i >= 4 ? " end" : "");
    row.dataset.figure = "orders-" + stage;
    const label = document.createElement("span");
    label.textContent = stage;
    const track = document.createElement("span");
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.style.width = (100 * count / most) + "%";
    track.appendChild(bar);
    const value = document.createElement("span");
    value.className = "count";
    value.textContent = number(count);
    row.append(label, track, value);
    box.appendChild(row);
  });
}

function renderDeadLetters(letters) {
  $("dead-letters-total").textContent = number(letters.total);
  $("dead-letters-total").className = "big" + (letters.total > 0 ? " bad" : "");
  const body = $("dead-letters-by-topic");
  body.replaceChildren();
  Object.entries(letters.byTopic).forEach(([topic, count]) => {
    const row = body.insertRow();
    cell(row, topic);
    cell(row, number(count));
  });
  const list = $("dead-letters-latest");
  list.replaceChildren();
  letters.latest.forEach((letter) => {
    const item = document.createElement("li");
    item.textContent = new Date(letter.at).toLocaleTimeString() + " " + letter.topic
      + (letter.key ? " [" + letter.key + "]" : "") + ": " + (letter.reason || "no reason given");
    list.appendChild(item);
  });
  $("dead-letters-link").dataset.href = letters.list;
}

function renderProviders(providers) {
  const body = $("providers");
  body.replaceChildren();
  providers.forEach((p) => {
    const row = body.insertRow();
    row.dataset.provider = p.providerId;
    cell(row, p.providerId);
    cell(row, p.owner || "not assigned yet");
    cell(row, p.queued === null ? "on " + (p.owner || "its owner") : number(p.queued));
    const calls = cell(row, "");
    const meter = document.createElement("div");
    meter.className = "meter" + (p.callsPerSecond >= p.limitPerSecond * 0.95 ? " full" : "");
    const fill = document.createElement("span");
    fill.style.width = Math.min(100, 100 * p.callsPerSecond / p.limitPerSecond) + "%";
    meter.appendChild(fill);
    const text = document.createElement("small");
    text.textContent = rate(p.callsPerSecond) + " of " + p.limitPerSecond + " /s";
    calls.append(meter, text);
    cell(row, number(p.retries));
    cell(row, [p.calls.success, p.calls.retryable, p.calls.permanent].map(number).join(" · "));
    const o = p.outcomes;
    cell(row, [o.SUCCEEDED || 0, o.FAILED || 0, o.DEAD_LETTERED || 0].map(number).join(" · "));
    const letters = cell(row, number(p.deadLetters), p.deadLetters > 0 ? "bad" : "");
    letters.dataset.figure = "provider-dead-letters-" + p.providerId;
  });
}

function renderInstances(instances) {
  const body = $("instances");
  body.replaceChildren();
  instances.forEach((instance) => {
    Object.entries(instance.applications).forEach(([name, app], i) => {
      const row = body.insertRow();
      cell(row, i === 0 ? instance.instance + (instance.self ? " (this page)" : "") : "");
      cell(row, name);
      cell(row, app.state || "see its own page", app.state ? "state-" + app.state : "hint");
      cell(row, number(app.activeTasks));
      cell(row, number(app.standbyTasks));
      cell(row, number(app.lag));
      cell(row, number(app.standbyLag));
    });
  });
}

// ---- charts: per-second series over the last minutes, drawn on a canvas ----

function chart(name, series, seconds, limits) {
  const canvas = $("chart-" + name);
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight || 150;
  if (canvas.width !== Math.round(width * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const names = Object.keys(series);
  // Scaled to the last minute, so one burst long ago (a bulk load) does not flatten what happens now; older
  // peaks above the scale are cut at its top.
  const recent = names.map((n) => Math.max(0, ...series[n].slice(-60)));
  const top = niceMax(Math.max(1, ...recent, ...Object.values(limits)) * 1.1);
  const left = 34, right = 6, above = 6, below = 16;
  const plotW = width - left - right, plotH = height - above - below;
  const x = (i, length) => left + plotW * (seconds - length + i) / Math.max(1, seconds - 1);
  const y = (v) => above + plotH * (1 - v / top);
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = "#5f6b7a";
  g.strokeStyle = "#e6e9ee";
  g.lineWidth = 1;
  for (let t = 0; t <= 4; t++) {
    const v = top * t / 4;
    g.beginPath();
    g.moveTo(left, y(v));
    g.lineTo(width - right, y(v));
    g.stroke();
    g.textAlign = "right";
    g.fillText(v >= 10000 ? (v / 1000) + "k" : v % 1 ? v.toFixed(1) : String(v), left - 4, y(v) + 4);
  }
  g.textAlign = "left";
  g.fillText("−" + Math.round(seconds / 60) + " min", left, height - 3);
  g.textAlign = "right";
  g.fillText("now", width - right, height - 3);
  g.save();
  g.beginPath();
  g.rect(left, above - 1, plotW, plotH + 2);
  g.clip();
  const legend = $("legend-" + name);
  legend.replaceChildren();
  names.forEach((n, k) => {
    const color = COLORS[k % COLORS.length];
    const values = series[n];
    g.strokeStyle = color;
    g.lineWidth = 1.5;
    g.setLineDash([]);
    g.beginPath();
    values.forEach((v, i) => i ? g.lineTo(x(i, values.length), y(v)) : g.moveTo(x(i, values.length), y(v)));
    g.stroke();
    if (limits[n] !== undefined) {
      g.setLineDash([4, 3]);
      g.beginPath();
      g.moveTo(left, y(limits[n]));
      g.lineTo(width - right, y(limits[n]));
      g.stroke();
      g.setLineDash([]);
    }
    const entry = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = color;
    entry.append(swatch, n + " " + rate(lastMean(values, 10)) + "/s");
    legend.appendChild(entry);
  });
  g.restore();
}

function niceMax(value) {
  const step = Math.pow(10, Math.floor(Math.log10(value)));
  for (const m of [1, 2, 4, 8]) {
    if (m * step >= value) {
      return m * step;
    }
  }
  return 10 * step;
}

// ---- the dead letters' list, with the page's key ----

$("dead-letters-link").addEventListener("click", async (e) => {
  e.preventDefault();
  const out = $("dead-letters-list");
  out.hidden = false;
  const response = await fetch(e.target.dataset.href || "/v1/admin/dead-letters",
    {headers: {"Authorization": "Bearer " + sessionStorage.getItem(KEY_ITEM)}});
  const answer = await response.json().catch(() => ({}));
  out.textContent = response.ok ? JSON.stringify(answer, null, 2)
    : "The list needs an admin key (" + response.status + ": " + (answer.error || "") + ")";
});

$("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY_ITEM, $("key").value.trim());
  $("key").value = "";
  window.addEventListener("hashchange", connect); // a key pasted into the address
connect();
});

window.addEventListener("hashchange", connect); // a key pasted into the address
connect();
