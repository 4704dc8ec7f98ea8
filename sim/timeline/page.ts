import { readFileSync } from 'node:fs';
import type { TimelineData } from './model.ts';

/** The drawing script, inlined into every page (the page loads nothing from anywhere). */
const script = readFileSync(new URL('./page-script.js', import.meta.url), 'utf8');

const style = `
body { font: 13px/1.4 system-ui, sans-serif; margin: 12px; color: #212529; }
header h1 { font-size: 17px; margin: 0 0 4px; }
header dl { display: grid; grid-template-columns: max-content auto; gap: 0 12px; margin: 0; }
header dt { color: #868e96; }
header dd { margin: 0; font-family: ui-monospace, monospace; }
.verdict-PASS { color: #2b8a3e; font-weight: bold; }
.verdict-FAIL { color: #e03131; font-weight: bold; }
#controls { margin: 8px 0; }
#controls button { font-size: 13px; }
#pointer-time { margin-left: 12px; font-family: ui-monospace, monospace; }
#timeline { overflow-x: auto; border: 1px solid #dee2e6; }
#timeline svg { display: block; }
.tick, .track-name, .seg-text, .flag-text { font-size: 10px; }
.lane-name { font-size: 12px; font-weight: bold; }
.flag-text { fill: #fff; font-weight: bold; }
.seg-text { fill: #212529; pointer-events: none; }
.band-down { fill: #343a40; opacity: 0.75; }
.band-stopping { fill: #adb5bd; opacity: 0.8; }
.band-partition { fill: #f76707; opacity: 0.55; }
.band-slow-link { fill: #9775fa; opacity: 0.5; }
.band-disk-slow { fill: #4dabf7; opacity: 0.5; }
.band-disk-full { fill: #c92a2a; opacity: 0.6; }
.op-sent { fill: #868e96; }
.op-ok { fill: #40c057; }
.op-info { fill: #fab005; }
.op-fail { fill: #fa5252; }
.legend span { display: inline-block; margin-right: 12px; }
.legend i { display: inline-block; width: 12px; height: 10px; margin-right: 3px; vertical-align: -1px; }
table { border-collapse: collapse; }
td, th { border: 1px solid #dee2e6; padding: 1px 6px; text-align: left; }
#findings { list-style: none; padding-left: 0; }
.finding-item { cursor: pointer; font-family: ui-monospace, monospace; white-space: pre-wrap; }
.notes { color: #868e96; }
`;

const legend: [string, string][] = [
  ['#2f9e44', 'leader'],
  ['#a5d8ff', 'follower'],
  ['#fcc419', 'candidate'],
  ['#ffe066', 'pre-candidate'],
  ['#868e96', 'failed'],
  ['#343a40', 'down (crashed or stopped)'],
  ['#adb5bd', 'graceful stop'],
  ['#f76707', 'partitioned'],
  ['#9775fa', 'slow link'],
  ['#4dabf7', 'slow disk'],
  ['#c92a2a', 'disk full'],
  ['#7048e8', '▼ connection reset'],
  ['#f08c00', '▼ next fsync fails'],
  ['#e03131', '▼ fsync failed'],
  ['#d6336c', '▼ bit flip'],
  ['#1864ab', 'log end offset'],
  ['#2b8a3e', 'high watermark'],
  ['#868e96', 'ops sent (up)'],
  ['#40c057', 'answered ok (down)'],
  ['#fab005', 'unknown'],
  ['#fa5252', 'failed'],
];

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON safe inside a script element: no `<` can close it. */
function scriptJson(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c');
}

/**
 * One self-contained HTML page showing a run over virtual time: the header (seed, scenario, nodes,
 * trace hash, verdict) and the findings are plain HTML; the lanes are drawn by the inlined script
 * from the inlined data. No external resource of any kind.
 */
export function renderTimelinePage(data: TimelineData): string {
  const h = data.header;
  const findings = data.findings
    .map((f, i) => `<li class="finding-item" data-at="${f.atMs}">[${i + 1}] at ${f.atMs.toFixed(1)} ms${f.timeKnown ? '' : ' (no time known: the end of the run)'}: ${escapeHtml(f.text)}</li>`)
    .join('\n');
  const faults = Object.entries(data.faultCounts)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, count]) => `<tr data-fault-kind="${escapeHtml(name)}"><td>${escapeHtml(name)}</td><td class="count">${count}</td></tr>`)
    .join('\n');
  const rows: [string, string][] = [
    ['seed', String(h.seed)],
    ['scenario', h.scenario],
    ['nodes', String(h.nodes)],
    ['trace hash', h.traceHash],
    ['virtual time', `${h.virtualMs.toFixed(0)} ms, ${h.events} events`],
    ['reproduce', h.command],
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(`${h.scenario} seed ${h.seed}: ${h.verdict}`)}</title>
<style>${style}</style>
</head>
<body>
<header>
<h1>Simulation timeline: <span id="verdict" class="verdict-${h.verdict}">${h.verdict}</span></h1>
<dl>
${rows.map(([k, v]) => `<dt>${k}</dt><dd id="${k.replace(/ /g, '-')}">${escapeHtml(v)}</dd>`).join('\n')}
</dl>
</header>
<div id="controls"><button id="zoom-out" type="button">zoom out</button> <button id="zoom-in" type="button">zoom in</button><span id="pointer-time"></span></div>
<div class="legend">${legend.map(([color, name]) => `<span><i style="background:${color}"></i>${escapeHtml(name)}</span>`).join('')}</div>
<div id="timeline"></div>
<h2>Findings (${data.findings.length})</h2>
<ul id="findings">${findings.length > 0 ? findings : '<li>none: the run passed</li>'}</ul>
<h2>Faults injected</h2>
<table id="fault-counts"><tr><th>trace line</th><th>count</th></tr>
${faults}
</table>
<p class="notes">Bands run from a fault to its end (a crash or a graceful stop to the restart, a partition to the heal); marks are one-off faults and warning or error lines; hover anything for its details. ${data.notes.map(escapeHtml).join('; ')}</p>
<script id="timeline-data" type="application/json">${scriptJson(data)}</script>
<script>${script}</script>
</body>
</html>
`;
}
