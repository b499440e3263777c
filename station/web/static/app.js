// hi-station dashboard: one EventSource, state from the server's run folder.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let offsetMs = 0;              // server clock - page clock, from each message
  let edgesMs = [];              // every planned edge [ms, down?], from status.key_downs_utc
  let txSeen = false;            // a TX log exists: the indicator follows its edge records
  const txLines = [];
  const TX_SHOWN = 14;

  const pad = (n, w) => String(n).padStart(w || 2, "0");
  const hms = (ms) => { const d = new Date(ms);
    return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + "Z"; };
  const ms = (iso) => Date.parse(iso);
  const nowMs = () => Date.now() + offsetMs;

  function setKey(down, source, planned) {
    const el = $("key");
    const text = (down ? "KEY DOWN" : "key up") + (source === "planned" ? " (planned)" : "");
    if (el.dataset.key === (down ? "down" : "up") && el.dataset.source === source &&
        el.dataset.planned === (planned || "")) return;
    el.className = "key " + (down ? "down" : "up") + (source === "planned" ? " planned" : "");
    el.textContent = text;
    el.dataset.source = source;
    el.dataset.planned = planned || "";
    el.dataset.key = down ? "down" : "up";   // last: observers watch this attribute
  }

  function tick() {
    const now = nowMs();
    $("utc").textContent = hms(now);
    let next = null;
    let down = false;
    for (const [t, isDown] of edgesMs) {
      if (t > now) { next = [t, isDown]; break; }
      down = isDown;
    }
    const cd = $("countdown");
    if (next) {
      const left = next[0] - now;
      cd.dataset.ms = String(Math.round(left));
      cd.textContent = "key " + (next[1] ? "down" : "up") + " in " + fmtLeft(left);
    } else {
      cd.dataset.ms = "";
      cd.textContent = edgesMs.length ? "no edge left" : "next edge: -";
    }
    if (!txSeen && edgesMs.length) setKey(down, "planned", "");
  }

  function fmtLeft(left) {
    const s = left / 1000;
    if (s < 60) return s.toFixed(1) + " s";
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = Math.floor(s % 60);
    return (h ? h + " h " : "") + m + " min " + pad(r) + " s";
  }

  function onStatus(st) {
    const ev = st.event || {}, sta = st.station || {}, rnd = st.round || {}, clk = st.clock || {};
    $("call").textContent = sta.callsign || "-";
    $("letter").textContent = sta.letter || "-";
    $("freq").textContent = sta.freq_hz == null ? "-" : (sta.freq_hz / 1e6).toFixed(6) + " MHz";
    $("event").textContent = ev.name || ev.id || "-";
    $("state").textContent = st.state || "-";
    $("round").textContent = rnd.number == null ? "-" : rnd.number;
    $("round-of").textContent = rnd.of == null ? "-" : rnd.of;
    $("offset").textContent = clk.offset_s == null ? "not measured"
      : (clk.offset_s * 1000).toFixed(1) + " ms" + (clk.server ? " (" + clk.server + ")" : "");
    const ul = $("warnings");
    ul.replaceChildren(...(st.warnings || []).map((w) => {
      const li = document.createElement("li"); li.textContent = w; return li; }));
    const edges = [];
    for (const [a, b] of st.key_downs_utc || []) { edges.push([ms(a), true]); edges.push([ms(b), false]); }
    edgesMs = edges;
    tick();
  }

  function onTx(rec) {
    txSeen = true;
    if (rec.type === "edge") {
      setKey(rec.key === "down", "tx", rec.planned_utc || "");
      const err = rec.error_ms == null ? "" : " " + (rec.error_ms >= 0 ? "+" : "") + rec.error_ms.toFixed(1) + " ms";
      txLines.push((rec.actual_utc || rec.sent_utc || "") + " round " + rec.round + " el " + rec.element +
                   " key " + rec.key + err + (rec.transmit ? "" : " (dry run)"));
    } else {
      if (rec.type === "start" && $("key").dataset.source !== "tx") setKey(false, "tx", "");
      if (rec.type === "stop") setKey(false, "tx", "");
      const what = rec.reason || rec.reply || rec.text || rec.message || "";
      txLines.push((rec.utc || "") + " " + rec.type + (what ? ": " + what : ""));
    }
    while (txLines.length > TX_SHOWN) txLines.shift();
    $("txlog").textContent = txLines.join("\n");
  }

  function onRound(r) {
    const body = $("rounds").tBodies[0];
    const old = body.querySelectorAll('tr[data-round="' + r.round_number + '"]');
    old.forEach((tr) => tr.remove());
    const chans = r.channels && r.channels.length ? r.channels : [null];
    for (const c of chans) {
      const tr = document.createElement("tr");
      tr.dataset.round = r.round_number;
      const heard = c ? (c.signals || []).filter((s) => s.text).map((s) => s.text).join(", ") : "";
      const cells = [r.round_number, hms(ms(r.start_utc)), c ? c.label : (r.note || "-"),
        c ? (c.detected ? "yes" : "no") : "-",
        c && c.snr2500_db != null ? c.snr2500_db.toFixed(1) + " dB" : "-",
        c ? (c.offset_hz >= 0 ? "+" : "") + c.offset_hz.toFixed(1) + " Hz" : "-", heard];
      cells.forEach((v, i) => { const td = document.createElement("td"); td.textContent = v;
        if (i === 3 && c) td.className = c.detected ? "yes" : "no"; tr.appendChild(td); });
      body.appendChild(tr);
    }
  }

  function onGrabs(list) {
    const div = $("grabs");
    div.replaceChildren(...list.slice().reverse().map((g) => {
      const a = document.createElement("a"); a.href = "/grabs/" + encodeURIComponent(g.name);
      const img = document.createElement("img"); img.alt = g.name; img.title = g.name;
      img.src = a.href + "?v=" + g.mtime; a.appendChild(img); return a; }));
  }

  // The waterfall: a 256-colour palette (black - blue - yellow - white), time left to right.
  const palette = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const x = i / 255;
    palette[4 * i] = 255 * Math.min(1, Math.max(0, 2 * x - 0.6));
    palette[4 * i + 1] = 255 * Math.min(1, Math.max(0, 1.6 * x - 0.3));
    palette[4 * i + 2] = 255 * Math.min(1, Math.max(0, x < 0.5 ? 2 * x : 2 - 2 * x + 0.4 * x));
    palette[4 * i + 3] = 255;
  }
  let waterfall = null;
  const off = document.createElement("canvas");

  function onWaterfall(wf) { waterfall = wf; drawWaterfall(); }

  function drawWaterfall() {
    const wf = waterfall, canvas = $("waterfall");
    if (!wf || !wf.n_time || !wf.n_freq) return;
    const raw = atob(wf.pixels_b64), nt = wf.n_time, nf = wf.n_freq;
    off.width = nt; off.height = nf;
    const octx = off.getContext("2d"), img = octx.createImageData(nt, nf);
    for (let t = 0; t < nt; t++) {
      for (let f = 0; f < nf; f++) {
        const v = raw.charCodeAt(t * nf + f), o = 4 * ((nf - 1 - f) * nt + t);
        img.data[o] = palette[4 * v]; img.data[o + 1] = palette[4 * v + 1];
        img.data[o + 2] = palette[4 * v + 2]; img.data[o + 3] = 255;
      }
    }
    octx.putImageData(img, 0, 0);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = "#000"; ctx.fillRect(0, 0, canvas.width, canvas.height);
    const span = wf.frame_s ? wf.frame_s / wf.column_s : nt;
    ctx.drawImage(off, 0, 0, canvas.width * Math.min(1, nt / span), canvas.height);
    $("wf-label").textContent = (wf.label || "") + " from " + hms(ms(wf.start_utc)) + ", " +
      (wf.freq_lo_hz).toFixed(1) + " to " + (wf.freq_lo_hz + wf.freq_step_hz * nf).toFixed(1) + " Hz";
  }

  function handle(name, fn) {
    es.addEventListener(name, (e) => {
      const msg = JSON.parse(e.data);
      offsetMs = msg.t - Date.now();
      if (fn) fn(msg.d);
    });
  }

  const es = new EventSource("/events");
  es.onopen = () => { $("conn").textContent = "live"; };
  es.onerror = () => { $("conn").textContent = "reconnecting"; };
  handle("hello", () => {     // a (re)connection: the snapshot follows, start afresh
    txSeen = false; txLines.length = 0;
    $("rounds").tBodies[0].replaceChildren();
  });
  handle("status", onStatus);
  handle("tx", onTx);
  handle("round", onRound);
  handle("grabs", onGrabs);
  handle("waterfall", onWaterfall);
  handle("clock", null);
  setInterval(tick, 100);
  setInterval(drawWaterfall, 1000);
})();
