"""The attention views as ONE self-contained HTML file a teacher can hand out: it opens offline, as is.

Everything is inline (the numbers as JSON, a small vanilla script, the styles): no CDN, no network, no
library, so it works where BertViz (which loads d3 and jQuery from a CDN) shows nothing. Three views of
one input, linked by the layer and head chosen:

    the grid          every layer x head heatmap; click one to choose it
    the head view     token-to-token lines (BertViz-style), one colour per head; hover a token for its lines
    step by step      Q, K, V -> Q Kᵀ -> / √d -> mask -> softmax -> × V of the chosen head

The numbers are the model's own (TrainingSession.snapshot and analysis.steps), rounded to 4 significant
digits; the colours are viz/colors.py's tables, so the file matches the window and the PNG figures.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from playground.analysis.steps import attention_steps
from playground.core.atomic import atomic_write_text
from playground.viz.canvas import show_token
from playground.viz.colors import DIVERGING_11, MASKED_GREY, VIRIDIS_16, head_colours, hex_colour

# Every head's steps are written while they take at most this many numbers; past it only the chosen head's.
ALL_STEPS_LIMIT = 2_000_000
SIGNIFICANT = 4


def attention_page(session: Any, text: str | None = None, layer: int = 0, head: int = 0) -> str:
    """The HTML page of `session`'s attention on `text` (default: the probe); layer, head: 0-based, chosen first."""
    batch = session.dataset.example(text) if text else session.dataset.probe()
    snapshot = session.snapshot(batch)
    n_layers, n_heads, T, _ = snapshot.weights.shape
    first = attention_steps(session, batch, layer, head)
    per_head = sum(step.array.size for step in first.steps())
    chosen = [(layer, head)] if per_head * n_layers * n_heads > ALL_STEPS_LIMIT else \
        [(li, hi) for li in range(n_layers) for hi in range(n_heads)]
    steps = {f"{li},{hi}": _steps_data(first if (li, hi) == (layer, head) else attention_steps(session, batch, li, hi))
             for li, hi in chosen}
    spec = session.spec
    data = {
        "title": spec.name,
        "summary": (f"{spec.model.family} · {n_layers} layers × {n_heads} heads · d_model {spec.model.n_embd} · "
                    f"d_head {first.d_head} · step {session.step} · {session.info.title}"),
        "input": text or "the probe input",
        "prediction": snapshot.prediction,
        "labels": [show_token(str(t)) for t in snapshot.labels],
        "nLayers": n_layers, "nHeads": n_heads, "maskKind": first.mask_kind,
        "weights": [[_rounded(snapshot.weights[li, hi]) for hi in range(n_heads)] for li in range(n_layers)],
        "stepInfo": [{"key": s.key, "title": s.title, "shape": s.shape.split(" = ")[0], "note": s.note, "cols": s.cols}
                     for s in first.steps()],
        "steps": steps,
        "allSteps": len(chosen) > 1,
        "selected": [layer, head],
        "colours": {"viridis": VIRIDIS_16, "diverging": DIVERGING_11, "heads": head_colours(max(n_heads, 1)),
                    "masked": hex_colour(MASKED_GREY)},
    }
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return (_PAGE.replace("{{TITLE}}", html.escape(spec.name)).replace("{{STYLE}}", _STYLE)
            .replace("{{DATA}}", payload).replace("{{SCRIPT}}", _SCRIPT))


def save_attention_html(session: Any, path: str | Path, text: str | None = None, layer: int = 0,
                        head: int = 0) -> Path:
    """Write attention_page to `path` atomically; returns the path."""
    atomic_write_text(path, attention_page(session, text, layer, head))
    return Path(path)


def _steps_data(steps: Any) -> dict[str, Any]:
    """One head's panels as {key: {"r": rows, "c": cols, "v": numbers}}; -inf (masked) is written as null."""
    return {s.key: {"r": s.array.shape[0], "c": s.array.shape[1], "v": _rounded(s.array)} for s in steps.steps()}


def _rounded(array: np.ndarray) -> list[float | None]:
    flat = np.asarray(array, dtype=np.float64).ravel()
    return [float(f"{v:.{SIGNIFICANT}g}") if np.isfinite(v) else None for v in flat]


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{TITLE}} · attention</title>
<style>{{STYLE}}</style>
</head>
<body>
<header><h1 id="title"></h1><p id="summary"></p><p id="input"></p></header>
<nav>
  <label>Layer <select id="layer"></select></label>
  <label>Head <select id="head"></select></label>
  <span id="hover" class="hover">Hover a cell or a token to read its number.</span>
</nav>
<main>
<section id="gridSection"><h2>Attention grid <small>rows: layers · columns: heads · click a head</small></h2>
  <div id="grid"></div></section>
<section id="linesSection"><h2>Head view <small>left: who looks (query) · right: what is looked at (key) ·
  hover a token</small></h2>
  <div id="headBoxes"></div><canvas id="lines"></canvas></section>
<section id="stepsSection"><h2>Step by step <small id="stepsWhich"></small></h2>
  <p class="formula">Attention(Q, K, V) = softmax(Q Kᵀ / √d + mask) V</p>
  <div id="steps"></div></section>
</main>
<script id="attention-data" type="application/json">{{DATA}}</script>
<script>{{SCRIPT}}</script>
</body>
</html>
"""

_STYLE = """
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; background: #fafafa; }
header { padding: 12px 20px 4px; background: #fff; border-bottom: 1px solid #ddd; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 0 0 8px; }
h2 small { font-weight: normal; color: #777; font-size: 12px; }
header p { margin: 2px 0; color: #555; }
nav { position: sticky; top: 0; z-index: 2; background: #f0f0f0; padding: 6px 20px; border-bottom: 1px solid #ddd; }
nav label { margin-right: 16px; } .hover { color: #333; font-family: ui-monospace, monospace; font-size: 12px; }
main { display: flex; flex-wrap: wrap; gap: 16px; padding: 12px 20px; align-items: flex-start; }
section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 10px 12px; }
#stepsSection { flex-basis: 100%; }
#grid { display: grid; gap: 4px; align-items: center; }
#grid .row { font-size: 12px; color: #555; text-align: right; padding-right: 4px; }
#grid .col { font-size: 12px; color: #555; text-align: center; }
#grid canvas { cursor: pointer; border: 2px solid transparent; image-rendering: pixelated; }
#grid canvas.chosen { border-color: #d62728; }
#headBoxes label { margin-right: 10px; font-size: 12px; white-space: nowrap; }
#headBoxes span { display: inline-block; width: 10px; height: 10px; margin-right: 3px; border-radius: 2px; }
#steps { display: flex; flex-wrap: wrap; gap: 12px; }
.panel { width: 300px; } .panel h3 { font-size: 13px; margin: 0; } .panel p { margin: 2px 0 4px; color: #666; font-size: 12px; }
.panel canvas { image-rendering: pixelated; border: 1px solid #ccc; }
.formula { font-family: ui-monospace, monospace; color: #444; margin: 0 0 8px; }
"""

_SCRIPT = r"""
"use strict";
const D = JSON.parse(document.getElementById("attention-data").textContent);
const T = D.labels.length;
const state = { layer: D.selected[0], head: D.selected[1], heads: new Set([D.selected[1]]), query: null };

function hexRgb(h) { return [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16)); }
const TABLES = { viridis: D.colours.viridis.map(hexRgb), diverging: D.colours.diverging.map(hexRgb) };

// The same linear interpolation between stops as viz/colors.py's colormap.
function colour(v, lo, hi, table) {
  if (v === null || !isFinite(v)) return D.colours.masked;
  const t = Math.min(1, Math.max(0, (v - lo) / (hi > lo ? hi - lo : 1))) * (table.length - 1);
  const a = Math.floor(t), b = Math.min(a + 1, table.length - 1), f = t - a;
  const rgb = table[a].map((c, i) => Math.round(c * (1 - f) + table[b][i] * f));
  return `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
}

// Draws values (rows x cols) as cells of `cell` px; rowLabels/colLabels (or null) are written in a margin.
function heatmap(canvas, values, rows, cols, cell, kind, rowLabels = null, colLabels = null) {
  const font = `${Math.min(12, Math.max(9, cell - 2))}px ui-monospace, monospace`;
  const probe = canvas.getContext("2d");
  probe.font = font;
  const widest = labels => labels ? Math.max(...labels.map(t => probe.measureText(t).width)) + 6 : 0;
  const ox = widest(rowLabels), oy = colLabels ? widest(colLabels) : 0;
  canvas.width = ox + cols * cell; canvas.height = oy + rows * cell;
  canvas.dataset.ox = ox; canvas.dataset.oy = oy;
  const g = canvas.getContext("2d");
  let lo = 0, hi = 1, table = TABLES.viridis;
  if (kind === "signed") {
    const m = Math.max(1e-12, ...values.filter(v => v !== null).map(Math.abs));
    lo = -m; hi = m; table = TABLES.diverging;
  }
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    const v = values[r * cols + c];
    g.fillStyle = kind === "mask" ? (v ? "#ffffff" : D.colours.masked) : colour(v, lo, hi, table);
    g.fillRect(ox + c * cell, oy + r * cell, cell, cell);
  }
  g.font = font; g.fillStyle = "#333"; g.textBaseline = "middle";
  if (rowLabels) {
    g.textAlign = "right";
    rowLabels.forEach((t, r) => g.fillText(t, ox - 4, oy + (r + 0.5) * cell));
  }
  if (colLabels) {  // written upwards, one per column
    g.textAlign = "left";
    colLabels.forEach((t, c) => {
      g.save(); g.translate(ox + (c + 0.5) * cell, oy - 4); g.rotate(-Math.PI / 2); g.fillText(t, 0, 0); g.restore();
    });
  }
}

function fmt(v) { return v === null ? "−∞" : (typeof v === "number" ? v.toPrecision(4) : String(v)); }
function say(text) { document.getElementById("hover").textContent = text; }

function buildControls() {
  const layer = document.getElementById("layer"), head = document.getElementById("head");
  for (let l = 0; l < D.nLayers; l++) layer.add(new Option(`layer ${l + 1}`, l));
  for (let h = 0; h < D.nHeads; h++) head.add(new Option(`head ${h + 1}`, h));
  layer.onchange = () => choose(+layer.value, state.head);
  head.onchange = () => choose(state.layer, +head.value);
  const boxes = document.getElementById("headBoxes");
  for (let h = 0; h < D.nHeads; h++) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox"; box.dataset.head = h;
    box.onchange = () => { box.checked ? state.heads.add(h) : state.heads.delete(h); drawLines(); };
    const swatch = document.createElement("span");
    swatch.style.background = D.colours.heads[h % D.colours.heads.length];
    label.append(box, swatch, `head ${h + 1}`);
    boxes.append(label);
  }
}

function buildGrid() {
  const grid = document.getElementById("grid");
  const cell = Math.max(1, Math.floor(Math.min(110, Math.max(48, 560 / D.nHeads)) / T));
  grid.style.gridTemplateColumns = `auto repeat(${D.nHeads}, ${cell * T + 4}px)`;
  grid.append(document.createElement("div"));
  for (let h = 0; h < D.nHeads; h++) {
    const c = document.createElement("div"); c.className = "col"; c.textContent = `head ${h + 1}`; grid.append(c);
  }
  for (let l = 0; l < D.nLayers; l++) {
    const r = document.createElement("div"); r.className = "row"; r.textContent = `layer ${l + 1}`; grid.append(r);
    for (let h = 0; h < D.nHeads; h++) {
      const canvas = document.createElement("canvas");
      canvas.id = `tile-${l}-${h}`; canvas.title = `layer ${l + 1}, head ${h + 1}`;
      heatmap(canvas, D.weights[l][h], T, T, cell, "weights");
      canvas.onclick = () => choose(l, h);
      canvas.onmousemove = e => hoverCell(e, canvas, D.weights[l][h], T, T, "query", "key");
      grid.append(canvas);
    }
  }
}

function hoverCell(e, canvas, values, rows, cols, rowName, colName) {
  const box = canvas.getBoundingClientRect(), scale = canvas.width / box.width;
  const x = (e.clientX - box.left) * scale - canvas.dataset.ox, y = (e.clientY - box.top) * scale - canvas.dataset.oy;
  const c = Math.floor(x / (canvas.width - canvas.dataset.ox) * cols);
  const r = Math.floor(y / (canvas.height - canvas.dataset.oy) * rows);
  if (r < 0 || c < 0 || r >= rows || c >= cols) return;
  const rowText = rowName === "query" ? `“${D.labels[r]}”` : r + 1;
  const colText = colName === "key" ? `“${D.labels[c]}”` : c + 1;
  say(`${rowName} ${rowText} · ${colName} ${colText}: ${fmt(values[r * cols + c])}`);
}

const ROW = 18, LEFT = 150, RIGHT = 390, WIDTH = 540;
function drawLines() {
  const canvas = document.getElementById("lines");
  const ratio = window.devicePixelRatio || 1;
  const height = T * ROW + 16;
  canvas.style.width = WIDTH + "px"; canvas.style.height = height + "px";
  canvas.width = WIDTH * ratio; canvas.height = height * ratio;
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  g.clearRect(0, 0, WIDTH, height);
  g.font = "12px ui-monospace, monospace"; g.textBaseline = "middle";
  const y = i => 8 + i * ROW + ROW / 2;
  const heads = [...state.heads];
  for (const h of heads) {
    const w = D.weights[state.layer][h];
    g.strokeStyle = D.colours.heads[h % D.colours.heads.length];
    g.lineWidth = 2;
    for (let q = 0; q < T; q++) {
      if (state.query !== null && q !== state.query) continue;
      for (let k = 0; k < T; k++) {
        const a = w[q * T + k];
        if (!a || a < 0.01) continue;
        g.globalAlpha = Math.min(1, a * (state.query === null ? 0.9 : 1)) / Math.sqrt(heads.length);
        g.beginPath(); g.moveTo(LEFT + 6, y(q)); g.lineTo(RIGHT - 6, y(k)); g.stroke();
      }
    }
  }
  g.globalAlpha = 1;
  for (let i = 0; i < T; i++) {
    g.fillStyle = state.query === i ? "#d62728" : "#222";
    g.textAlign = "right"; g.fillText(D.labels[i], LEFT, y(i));
    g.fillStyle = "#222"; g.textAlign = "left"; g.fillText(D.labels[i], RIGHT, y(i));
  }
}

function hoverLines(e) {
  const box = e.target.getBoundingClientRect();
  const x = e.clientX - box.left, row = Math.floor((e.clientY - box.top - 8) / ROW);
  const q = x < (LEFT + RIGHT) / 2 && row >= 0 && row < T ? row : null;
  if (q === state.query) return;
  state.query = q;
  if (q !== null) {
    const w = D.weights[state.layer][state.head], top = [...w.slice(q * T, q * T + T).entries()]
      .sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `“${D.labels[k]}” ${v.toFixed(2)}`);
    say(`layer ${state.layer + 1}, head ${state.head + 1}: “${D.labels[q]}” looks most at ${top.join(", ")}`);
  }
  drawLines();
}

function drawSteps() {
  const which = `${state.layer},${state.head}`;
  const steps = D.steps[which];
  const holder = document.getElementById("steps");
  holder.replaceChildren();
  document.getElementById("stepsWhich").textContent = `layer ${state.layer + 1}, head ${state.head + 1} · mask: ${D.maskKind}`;
  if (!steps) {
    holder.textContent = "This file holds the steps of one head only (the model is large): write it again with " +
      "--layer and --head for another.";
    return;
  }
  for (const info of D.stepInfo) {
    const s = steps[info.key];
    const panel = document.createElement("div"); panel.className = "panel"; panel.id = `step-${info.key}`;
    const title = document.createElement("h3"); title.textContent = `${info.title}   ${info.shape}`;
    const note = document.createElement("p"); note.textContent = info.note;
    const canvas = document.createElement("canvas");
    const cell = Math.max(1, Math.floor(Math.min(240 / s.c, 240 / s.r, 22)));
    const kind = info.key === "weights" ? "weights" : info.key === "mask" ? "mask" : "signed";
    const readable = cell >= 8;  // token labels beside cells at least this tall
    heatmap(canvas, s.v, s.r, s.c, cell, kind, readable ? D.labels : null,
            readable && info.cols === "key" ? D.labels : null);
    canvas.onmousemove = e => hoverCell(e, canvas, s.v, s.r, s.c, "query", info.cols === "key" ? "key" : "dim");
    panel.append(title, note, canvas);
    holder.append(panel);
  }
}

function choose(layer, head, keepHeads = false) {
  document.querySelectorAll("#grid canvas.chosen").forEach(c => c.classList.remove("chosen"));
  state.layer = layer; state.head = head;
  document.getElementById(`tile-${layer}-${head}`).classList.add("chosen");
  document.getElementById("layer").value = layer; document.getElementById("head").value = head;
  if (!keepHeads) state.heads = new Set([head]);  // a chosen head alone; tick others to compare
  document.querySelectorAll("#headBoxes input").forEach(b => { b.checked = state.heads.has(+b.dataset.head); });
  drawLines(); drawSteps();
}

document.getElementById("title").textContent = D.title;
document.getElementById("summary").textContent = D.summary;
document.getElementById("input").textContent =
  `Input: ${D.labels.join(" ")}` + (D.prediction ? `  →  prediction: ${D.prediction}` : "");
buildControls(); buildGrid();
const lines = document.getElementById("lines");
lines.onmousemove = hoverLines;
lines.onmouseleave = () => { state.query = null; drawLines(); };
state.heads = new Set([...Array(D.nHeads).keys()]);  // at first every head, as BertViz opens
choose(state.layer, state.head, true);
"""
