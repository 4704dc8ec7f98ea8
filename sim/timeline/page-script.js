// The timeline page's drawing script (sim --html): inlined into the page, run in the browser. It
// reads the run's data from the JSON script element and draws one SVG: a time axis, a lane per
// node (its faults as bands and marks, then a row per piece of state: Raft role and term, each
// partition's role, leader epoch, log end offset and high watermark), a lane per client (its
// operations per time slice) and a red line at each finding. Plain DOM calls, no library.
'use strict';
// A failure of this script shows on the page and in the DOM (data-script-error), not only in a console.
window.addEventListener('error', (event) => {
  document.body.setAttribute('data-script-error', String(event.message));
  const host = document.getElementById('timeline');
  if (host) host.textContent = 'The timeline could not be drawn: ' + event.message;
});
(function drawTimeline() {
  const data = JSON.parse(document.getElementById('timeline-data').textContent);
  const svgNs = 'http://www.w3.org/2000/svg';
  const labelW = 120;
  const baseW = 1200;
  let zoom = 1;

  const roleColors = { leader: '#2f9e44', follower: '#a5d8ff', candidate: '#fcc419', preCandidate: '#ffe066', failed: '#868e96' };
  const markColors = { 'conn-reset': '#7048e8', 'sync-failure': '#f08c00', 'sync-failed': '#e03131', 'sync-failure-cancelled': '#adb5bd', 'bit-flip': '#d6336c', 'net-latency': '#1c7ed6', warn: '#f59f00', error: '#c92a2a' };
  const seriesColors = { leo: '#1864ab', hw: '#2b8a3e' };
  // Where in the faults row each kind of band lies (fractions of its height), so that faults at
  // the same time stay apart: a node down or stopping fills the row, the others are stripes.
  const bandStripes = { down: [0, 1], stopping: [0, 1], partition: [0, 0.4], 'slow-link': [0.4, 0.6], 'disk-slow': [0.6, 0.8], 'disk-full': [0.8, 1] };

  function el(name, attrs, parent, text) {
    const node = document.createElementNS(svgNs, name);
    for (const key of Object.keys(attrs)) node.setAttribute(key, String(attrs[key]));
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function title(node, text) {
    el('title', {}, node, text);
    return node;
  }
  function ms(value) {
    return (Math.round(value * 10) / 10).toFixed(1) + ' ms';
  }

  /** A round step for the axis ticks: about one every 100 px. */
  function tickStep(pxPerMs) {
    const raw = 100 / pxPerMs;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
    return 10 * power;
  }

  function draw() {
    const host = document.getElementById('timeline');
    host.textContent = '';
    const plotW = baseW * zoom;
    const endMs = Math.max(data.endMs, 1);
    const x = (t) => labelW + (Math.min(Math.max(t, 0), endMs) / endMs) * plotW;
    const width = labelW + plotW + 20;
    const svg = el('svg', { id: 'timeline-svg', width, xmlns: svgNs }, host);
    let y = 0;

    // Axis.
    const axis = el('g', { class: 'axis' }, svg);
    const step = tickStep(plotW / endMs);
    for (let t = 0; t <= endMs; t += step) {
      el('line', { x1: x(t), x2: x(t), y1: 14, y2: 22, stroke: '#495057' }, axis);
      el('text', { x: x(t) + 2, y: 11, class: 'tick' }, axis, t >= 1000 ? (t / 1000).toFixed(step >= 1000 ? 0 : 1) + ' s' : t + ' ms');
    }
    y = 26;
    const gridTop = y;

    // Faults of no one node (the whole network).
    const worldMarks = data.marks.filter((m) => m.lane === null);
    if (worldMarks.length > 0) {
      const g = el('g', { class: 'lane world', 'data-lane': '(network)' }, svg);
      el('text', { x: 4, y: y + 12, class: 'lane-name' }, g, 'network');
      for (const m of worldMarks) drawMark(g, m, y, 16);
      y += 20;
    }

    const marksByLane = groupBy(data.marks.filter((m) => m.lane !== null), (m) => m.lane);
    const bandsByLane = groupBy(data.bands, (b) => b.lane);
    const seriesMax = seriesMaxima();
    const opsByProcess = groupBy(data.ops, (s) => s.process);

    for (const lane of data.lanes) {
      const g = el('g', { class: 'lane', 'data-lane': lane.name, 'data-client': lane.client ? 'true' : 'false' }, svg);
      const laneTop = y;
      el('rect', { x: 0, y: laneTop, width, height: 1, fill: '#ced4da' }, g);
      el('text', { x: 4, y: y + 14, class: 'lane-name' }, g, lane.name);
      y += 3;
      if (!lane.client) {
        // Faults row: bands, then marks over them.
        const row = el('g', { class: 'faults' }, g);
        el('text', { x: labelW - 4, y: y + 12, class: 'track-name', 'text-anchor': 'end' }, row, 'faults');
        const laneBands = bandsByLane.get(lane.name) || [];
        // Whole-row bands first, stripes over them.
        for (const b of laneBands) if (b.kind === 'down' || b.kind === 'stopping') drawBand(row, b, y, 16);
        for (const b of laneBands) if (b.kind !== 'down' && b.kind !== 'stopping') drawBand(row, b, y, 16);
        for (const m of marksByLane.get(lane.name) || []) drawMark(row, m, y, 16);
        y += 18;
        for (const track of lane.tracks) y = drawTrack(g, track, y, seriesMax.get(track.name) || 0);
      } else {
        for (const m of marksByLane.get(lane.name) || []) drawMark(g, m, y, 14);
        for (const strip of opsByProcess.get(lane.name) || []) y = drawStrip(g, strip, y);
        if (!(opsByProcess.get(lane.name) || []).length) y += 16;
      }
      y += 4;
    }

    // Findings: a red line across every lane, numbered as in the list below.
    const findingsG = el('g', { class: 'findings' }, svg);
    data.findings.forEach((f, i) => {
      const fx = x(f.atMs);
      const line = el('line', { class: 'finding', 'data-at': f.atMs, 'data-index': i + 1, x1: fx, x2: fx, y1: gridTop, y2: y, stroke: '#e03131', 'stroke-width': 2 }, findingsG);
      title(line, 'finding ' + (i + 1) + ' at ' + ms(f.atMs) + (f.timeKnown ? '' : ' (no time known: marked at the end)') + '\n' + f.text);
      const flag = el('g', { class: 'finding-flag' }, findingsG);
      el('rect', { x: fx - 1, y: gridTop - 12, width: 16, height: 12, fill: '#e03131' }, flag);
      el('text', { x: fx + 2, y: gridTop - 2, class: 'flag-text' }, flag, String(i + 1));
      title(flag, f.text);
    });
    svg.setAttribute('height', y + 10);

    // The time under the pointer.
    const readout = document.getElementById('pointer-time');
    svg.addEventListener('mousemove', (event) => {
      const box = svg.getBoundingClientRect();
      const t = ((event.clientX - box.left - labelW) / plotW) * endMs;
      readout.textContent = t >= 0 && t <= endMs ? 't = ' + ms(t) : '';
    });

    function drawBand(parent, b, top, h) {
      const x1 = x(b.startMs);
      const w = Math.max(x(b.endMs) - x1, 2);
      const stripe = bandStripes[b.kind] || [0, 1];
      const y1 = top + 1 + stripe[0] * (h - 2);
      const rect = el('rect', { class: 'band band-' + b.kind, 'data-kind': b.kind, 'data-fault': b.id, x: x1, y: y1, width: w, height: (stripe[1] - stripe[0]) * (h - 2) }, parent);
      title(rect, b.label + '\n' + ms(b.startMs) + ' .. ' + (b.open ? 'end of run' : ms(b.endMs)));
    }

    function drawMark(parent, m, top, h) {
      const mx = x(m.atMs);
      const color = markColors[m.kind] || '#495057';
      const g = el('g', { class: 'mark mark-' + m.kind, 'data-kind': m.kind, 'data-fault': m.id }, parent);
      if (m.kind === 'warn' || m.kind === 'error') {
        el('circle', { cx: mx, cy: top + h - 3, r: 2, fill: color }, g);
      } else {
        el('path', { d: 'M' + (mx - 4) + ' ' + top + ' L' + (mx + 4) + ' ' + top + ' L' + mx + ' ' + (top + 7) + ' Z', fill: color }, g);
        el('line', { x1: mx, x2: mx, y1: top, y2: top + h, stroke: color, 'stroke-width': 1.5 }, g);
      }
      title(g, m.label + ' at ' + ms(m.atMs));
    }

    function drawTrack(parent, track, top, maxValue) {
      const h = track.series.length > 0 ? 30 : 16;
      const g = el('g', { class: 'track', 'data-track': track.name }, parent);
      el('text', { x: labelW - 4, y: top + 12, class: 'track-name', 'text-anchor': 'end' }, g, track.name);
      for (const s of track.segments) {
        const x1 = x(s.startMs);
        const w = Math.max(x(s.endMs) - x1, 1);
        const rect = el('rect', { class: 'seg', 'data-role': s.role, 'data-epoch': s.epoch === null ? '' : s.epoch, x: x1, y: top + 1, width: w, height: h - 2, fill: roleColors[s.role] || '#dee2e6' }, g);
        const epochName = track.name === 'raft' ? 'term' : 'leader epoch';
        title(rect, track.name + ': ' + s.role + (s.epoch === null ? '' : ', ' + epochName + ' ' + s.epoch) + (s.detail ? ', ' + s.detail : '') + '\n' + ms(s.startMs) + ' .. ' + ms(s.endMs));
        if (w > 26 && s.epoch !== null) el('text', { x: x1 + 2, y: top + 11, class: 'seg-text' }, g, (track.name === 'raft' ? 'T' : 'e') + s.epoch);
      }
      for (const series of track.series) {
        if (series.points.length === 0 || maxValue <= 0) continue;
        const yOf = (v) => top + h - 2 - (v / maxValue) * (h - 6);
        // A step line, broken where the value is null (the replica was gone).
        let d = '';
        let drawing = false;
        let lastPoint = null;
        for (const p of series.points) {
          const px = x(p[0]);
          if (p[1] === null) {
            if (drawing) d += ' H' + px;
            drawing = false;
            continue;
          }
          d += drawing ? ' H' + px + ' V' + yOf(p[1]) : ' M' + px + ' ' + yOf(p[1]);
          drawing = true;
          lastPoint = p;
        }
        if (drawing) d += ' H' + x(data.endMs);
        if (lastPoint === null) continue;
        const last = lastPoint;
        const path = el('path', { class: 'series', 'data-series': series.name, d, fill: 'none', stroke: seriesColors[series.name] || '#000', 'stroke-width': 1.2 }, g);
        title(path, track.name + ' ' + series.name + ': last ' + last[1] + ' at ' + ms(last[0]) + ' (scale 0..' + maxValue + ')');
      }
      return top + h + 1;
    }

    function drawStrip(parent, strip, top) {
      const h = 30;
      const mid = top + h / 2;
      const g = el('g', { class: 'ops', 'data-process': strip.process, 'data-kind': strip.kind, 'data-sent': strip.sent, 'data-ok': strip.ok, 'data-info': strip.info, 'data-fail': strip.fail }, parent);
      el('text', { x: labelW - 4, y: top + 12, class: 'track-name', 'text-anchor': 'end' }, g, strip.kind);
      title(el('rect', { x: labelW, y: top, width: plotW, height: h, fill: 'transparent' }, g), strip.process + ' ' + strip.kind + ': ' + strip.sent + ' sent; answered ' + strip.ok + ' ok, ' + strip.info + ' unknown, ' + strip.fail + ' failed (per slice of ' + ms(strip.binMs) + ')');
      let peak = 1;
      for (const b of strip.bins) peak = Math.max(peak, b[1], b[2] + b[3] + b[4]);
      const scale = (h / 2 - 1) / peak;
      const bw = Math.max((strip.binMs / endMs) * plotW, 1);
      el('line', { x1: labelW, x2: labelW + plotW, y1: mid, y2: mid, stroke: '#dee2e6' }, g);
      for (const b of strip.bins) {
        const bx = x(b[0] * strip.binMs);
        if (b[1] > 0) el('rect', { class: 'op-sent', x: bx, y: mid - b[1] * scale, width: bw, height: b[1] * scale }, g);
        let below = mid;
        for (const [count, cls] of [[b[2], 'op-ok'], [b[3], 'op-info'], [b[4], 'op-fail']]) {
          if (count === 0) continue;
          el('rect', { class: cls, x: bx, y: below, width: bw, height: count * scale }, g);
          below += count * scale;
        }
      }
      return top + h + 1;
    }
  }

  function groupBy(items, key) {
    const map = new Map();
    for (const item of items) {
      const k = key(item);
      if (!map.has(k)) map.set(k, []);
      map.get(k).push(item);
    }
    return map;
  }

  /** Per track name (a partition), the largest number any node's series of it reached: one scale for all its replicas. */
  function seriesMaxima() {
    const max = new Map();
    for (const lane of data.lanes) {
      for (const track of lane.tracks) {
        for (const s of track.series) for (const p of s.points) if (p[1] !== null) max.set(track.name, Math.max(max.get(track.name) || 0, p[1]));
      }
    }
    return max;
  }

  document.getElementById('zoom-in').addEventListener('click', () => {
    zoom = Math.min(zoom * 2, 64);
    draw();
  });
  document.getElementById('zoom-out').addEventListener('click', () => {
    zoom = Math.max(zoom / 2, 1);
    draw();
  });
  for (const item of document.querySelectorAll('.finding-item')) {
    item.addEventListener('click', () => {
      const at = Number(item.getAttribute('data-at'));
      const scroller = document.getElementById('timeline');
      scroller.scrollLeft = labelW + (at / Math.max(data.endMs, 1)) * baseW * zoom - scroller.clientWidth / 2;
    });
  }
  draw();
  document.body.setAttribute('data-drawn', 'true');
})();
