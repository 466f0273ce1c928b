// The dashboard's charts. The pages carry their data in data- attributes (the CSP allows no inline
// script); uPlot, served from /dashboard/static/vendor, draws the line charts, and this file draws
// the sparklines and the heatmap on plain canvases. Without uPlot the line charts say so.
"use strict";

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function fmt(n) {
  if (n === null || n === undefined) return "–";
  return Math.round(n).toLocaleString("en-US");
}

function sparkline(canvas) {
  const [xs, ys] = JSON.parse(canvas.dataset.series);
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 3;
  ctx.clearRect(0, 0, w, h);
  if (ys.length === 0) {
    ctx.fillStyle = "#999";
    ctx.font = "11px sans-serif";
    ctx.fillText("no counts yet", pad, h / 2 + 4);
    return;
  }
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  const sx = (x) => pad + (x1 === x0 ? (w - 2 * pad) / 2 : ((x - x0) / (x1 - x0)) * (w - 2 * pad));
  const sy = (y) => h - pad - (y1 === y0 ? (h - 2 * pad) / 2 : ((y - y0) / (y1 - y0)) * (h - 2 * pad));
  ctx.strokeStyle = "#2a6fdb";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  xs.forEach((x, i) => (i === 0 ? ctx.moveTo(sx(x), sy(ys[i])) : ctx.lineTo(sx(x), sy(ys[i]))));
  if (xs.length === 1) ctx.arc(sx(xs[0]), sy(ys[0]), 2, 0, 2 * Math.PI);
  ctx.stroke();
  canvas.dataset.drawn = String(xs.length);
}

function lineChart(el, xs, ys, label, opts) {
  if (typeof window.uPlot !== "function") {
    el.textContent = "Chart unavailable: the chart library is not installed.";
    el.classList.add("unavailable");
    return;
  }
  if (xs.length === 0) {
    el.textContent = "Nothing to draw in this window.";
    return;
  }
  const section = el.closest("section");
  const width = Math.max(280, Math.min(560, (section ? section.clientWidth : 600) - 40));
  const plot = new window.uPlot({
    width, height: 240,
    // The whole window on the x axis, unless it has no width (one point, "all"): then uPlot's own.
    scales: { x: opts.range && opts.range[0] < opts.range[1]
      ? { time: opts.time, range: opts.range } : { time: opts.time } },
    series: [
      { label: opts.xLabel },
      { label, stroke: opts.color, width: 1.5, points: { show: true, size: 5 },
        value: (u, v) => fmt(v) },
    ],
    axes: [{ label: opts.time ? undefined : opts.xLabel }, { values: (u, vals) => vals.map(fmt), size: 70 }],
    cursor: { drag: { x: true, y: false } },  // drag to zoom, double-click to reset
  }, [xs, ys], el);
  el.dataset.drawn = String(xs.length);
  return plot;
}

function heatmap(canvas, grid, tz, out) {
  const ctx = canvas.getContext("2d");
  const left = 40, top = 18, cw = (canvas.width - left) / 24, ch = (canvas.height - top) / 7;
  const values = grid.flat().filter((v) => v !== null);
  const max = values.length ? Math.max(...values) : 0;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = "11px sans-serif";
  ctx.fillStyle = "#333";
  for (let h = 0; h < 24; h += 3) ctx.fillText(String(h).padStart(2, "0"), left + h * cw + 2, 12);
  grid.forEach((row, d) => {
    ctx.fillStyle = "#333";
    ctx.fillText(DAYS[d], 4, top + d * ch + ch / 2 + 4);
    row.forEach((v, h) => {
      ctx.fillStyle = v === null ? "#f2f2f2" : `rgba(42, 111, 219, ${0.15 + 0.85 * (max ? v / max : 0)})`;
      ctx.fillRect(left + h * cw + 1, top + d * ch + 1, cw - 2, ch - 2);
    });
  });
  canvas.dataset.drawn = String(values.length);
  canvas.addEventListener("mousemove", (e) => {
    const r = canvas.getBoundingClientRect();
    const h = Math.floor(((e.clientX - r.left) * (canvas.width / r.width) - left) / cw);
    const d = Math.floor(((e.clientY - r.top) * (canvas.height / r.height) - top) / ch);
    if (h < 0 || h > 23 || d < 0 || d > 6) return;
    const v = grid[d][h];
    out.textContent = `${DAYS[d]} ${String(h).padStart(2, "0")}:00 (${tz}): ` +
      (v === null ? "no post" : `median ${fmt(v)} views`);
  });
}

function channelCharts(section) {
  const data = JSON.parse(section.dataset.charts);
  const [vx, vy] = data.views, [sx, sy] = data.subscribers;
  lineChart(section.querySelector('[data-chart="views"]'), vx, vy, "views",
    { time: true, xLabel: "published", color: "#2a6fdb", range: data.range });
  lineChart(section.querySelector('[data-chart="subscribers"]'), sx, sy, "subscribers",
    { time: true, xLabel: "counted", color: "#d9822b", range: data.range });
  heatmap(section.querySelector("canvas.heatmap"), data.heatmap, data.tz, section.querySelector(".cell-value"));
}

function start() {
  document.querySelectorAll("canvas.sparkline").forEach(sparkline);
  document.querySelectorAll("section.charts[data-charts]").forEach(channelCharts);
  document.querySelectorAll("section.charts[data-post]").forEach((section) => {
    const [ages, views] = JSON.parse(section.dataset.post);
    lineChart(section.querySelector('[data-chart="post"]'), ages, views, "views",
      { time: false, xLabel: "age (hours)", color: "#2a6fdb" });
  });
}

document.addEventListener("DOMContentLoaded", start);
