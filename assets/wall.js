/* The wall in the browser: fit the 1920×1080 canvas to the screen, rotate pages, and apply the
   socket's updates to the DOM (textContent only: nothing from an event is ever parsed as HTML). */
(function () {
  "use strict";

  function fit() {
    var scale = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
    document.documentElement.style.setProperty("--wall-scale", String(scale));
  }
  window.addEventListener("resize", fit);
  document.addEventListener("DOMContentLoaded", fit);
  fit();

  var PAGES = ["overview", "berths", "services"];
  function rotate() {
    var wall = document.getElementById("wall");
    var seconds = wall ? Number(wall.getAttribute("data-rotate")) : 0;
    if (!seconds || wall.__rotating) { return; }
    wall.__rotating = true;
    var index = 0;
    wall.setAttribute("data-page", PAGES[index]);
    setInterval(function () {
      index = (index + 1) % PAGES.length;
      wall.setAttribute("data-page", PAGES[index]);
    }, seconds * 1000);
  }
  new MutationObserver(rotate).observe(document.documentElement, { childList: true, subtree: true });

  function setText(path, value) {
    var nodes = document.querySelectorAll('[data-kpi="' + path + '"]');
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].textContent !== value) { nodes[i].textContent = value; }
    }
  }

  function listItems(id, items, build) {
    var list = document.getElementById(id);
    if (!list) { return; }
    var fresh = document.createDocumentFragment();
    items.forEach(function (item) { fresh.appendChild(build(item)); });
    list.replaceChildren(fresh);
  }

  function tick(item) {
    var li = document.createElement("li");
    li.className = "tick tick-" + item.type.replace(".", "-");
    li.setAttribute("data-event-id", item.id);
    li.textContent = item.text;
    return li;
  }

  /* A delay or a stuck box; an acknowledged one dimmed with its owner (as layouts/wall.py draws it). */
  function alertItem(item) {
    var li = document.createElement("li");
    var mark = item.alert || {};
    var state = mark.state || "none";
    var dimmed = state === "acknowledged" ? " alert-acknowledged" : "";
    li.setAttribute("data-alert-state", state);
    if (item.kind === "vessel") {
      li.className = "alert-vessel" + dimmed;
      li.setAttribute("data-vessel", item.imo);
      var a = document.createElement("a");
      a.href = "/vessels/" + encodeURIComponent(item.imo) + "?lang=" + (document.getElementById("wall").dataset.lang || "zh");
      a.textContent = "⚠ " + item.text;
      li.appendChild(a);
    } else {
      li.className = "alert-box" + dimmed;
      li.setAttribute("data-container", item.number);
      li.textContent = "◆ " + item.text;
    }
    if (mark.label) { li.insertBefore(span("alert-owner", mark.label), li.firstChild); }  // first: a long line is cut at its end
    return li;
  }

  function feedItem(row) {
    var li = document.createElement("li");
    li.className = row.silent ? "feed-silent" : "feed-ok";
    var dot = document.createElement("span");
    dot.className = "feed-dot";
    dot.textContent = row.silent ? "○ " : "● ";
    var rate = document.createElement("span");
    rate.className = "feed-rate";
    rate.textContent = " " + row.rate + " · ✖" + row.rejects;
    li.append(dot, row.source, rate);
    return li;
  }

  function span(cls, text) {
    var el = document.createElement("span");
    el.className = cls;
    el.textContent = text;
    return el;
  }

  function schematicItem(row) {
    var li = document.createElement("li");
    li.appendChild(span("terminal-name", row.name));
    if (row.kind === "terminal") {
      row.berths.forEach(function (b) {
        li.appendChild(b.vessel ? span("berth busy", "■ " + b.vessel) : span("berth free", "□ " + b.berth));
      });
    } else {
      li.appendChild(span("site-pending", "◆ " + row.pending));
    }
    return li;
  }

  var ICONS = { ok: "●", warn: "▲", late: "✖" };
  function chain(nodes) {
    Object.keys(nodes).forEach(function (stage) {
      var el = document.querySelector('[data-stage="' + stage + '"]');
      if (!el) { return; }
      var node = nodes[stage];
      el.className = "node sla-" + node.status;
      el.querySelector(".sla-icon").textContent = ICONS[node.status];
      el.querySelector(".sla-label").textContent = node.label;
      el.querySelector(".node-dwell").textContent = node.dwell;
    });
  }

  /* What the page shows, and how fresh it is. Every update names the process that made it
     (`epoch`, new at each start of the service) and its `seq` (one counter per epoch, shared by
     fast and slow); it carries the log position (`position`, a stream id "ms-seq") and the port
     time (`port_ms`) of its data. A new epoch is a fresh start: its seqs count from 0 again. */
  var shown = { epoch: null, fast_seq: 0, slow_seq: 0, position: "0-0", port_ms: null, at: 0 };
  var retired = [];  // epochs this page has left: a late update of one must not take the page back
  var beat = null;   // the latest heartbeat, as received
  var behind = { since: 0, why: null, resynced: 0 };  // the page missed updates, or awaits a restarted service's
  var watch = { staleSince: null, badge: null, resyncs: 0, downAt: Date.now() };

  var LAG_GRACE_MS = 1000;     // an update follows its heartbeat within ~0.1 s: a shorter lag is no lag
  var RESYNC_AFTER_MS = 3000;  // behind past one heartbeat: ask for the full state
  var RESYNC_EVERY_MS = 10000;
  var BANNER_AFTER_MS = 10000; // still behind this long after noticing: the red banner
  var MISSED_LOG_MS = 10000;   // the heartbeat's position this far ahead of the data shown: updates were lost
  var CATCHING_UP_SECONDS = 2;

  function streamId(id) {  // "ms-seq" → [ms, seq], compared numerically
    var parts = String(id || "0-0").split("-");
    return [Number(parts[0]) || 0, Number(parts[1]) || 0];
  }
  function compareIds(a, b) {
    var x = streamId(a), y = streamId(b);
    return x[0] !== y[0] ? (x[0] < y[0] ? -1 : 1) : (x[1] === y[1] ? 0 : (x[1] < y[1] ? -1 : 1));
  }
  function logLagMs(ahead, of) {  // how far `ahead` is past `of`, in log time (ms), never negative
    return compareIds(ahead, of) > 0 ? Math.max(0, streamId(ahead)[0] - streamId(of)[0]) : 0;
  }
  function epochOf(payload) { return payload.epoch === undefined || payload.epoch === null ? null : String(payload.epoch); }

  /* Take an update of `kind` (fast / slow) or drop it; → true when it is to be applied. */
  function accept(kind, payload) {
    if (!payload || typeof payload.seq !== "number") { return false; }
    var epoch = epochOf(payload);
    if (epoch !== shown.epoch) {
      if (retired.indexOf(epoch) >= 0 && !(beat && beat.epoch === epoch)) { return false; }
      if (shown.epoch !== null) { retired = retired.concat([shown.epoch]).slice(-8); }
      shown = { epoch: epoch, fast_seq: 0, slow_seq: 0, position: payload.position || "0-0", port_ms: null, at: 0 };
    }
    if (payload.seq <= shown[kind + "_seq"]) { return false; }
    shown[kind + "_seq"] = payload.seq;
    if (payload.position && compareIds(payload.position, shown.position) > 0) { shown.position = payload.position; }
    if (typeof payload.port_ms === "number") { shown.port_ms = payload.port_ms; }
    shown.at = Date.now();
    return true;
  }

  function snapshot() { return Object.assign({}, shown); }

  /* Is the page behind the service (it missed updates, or the service restarted and its data has
     not come yet)? → "missed" / "restarted" / null. */
  function missing(health) {
    if (health.epoch === undefined || health.epoch === null) { return null; }  // a service without epochs
    if (String(health.epoch) !== shown.epoch) { return "restarted"; }
    if ((health.fast_seq || 0) > shown.fast_seq || (health.slow_seq || 0) > shown.slow_seq) { return "missed"; }
    if (!health.catching_up && health.position && logLagMs(health.position, shown.position) > MISSED_LOG_MS) {
      return "missed";
    }
    return null;
  }

  /* How far behind the log's head the data shown is (s), when the service is catching up or the
     data shown is behind the service's; null when it is the latest; undefined: wait and see (the
     update that follows a fresh heartbeat is on its way). */
  function lagging(health, now) {
    var serviceBehind = typeof health.behind_seconds === "number" ? Math.max(0, health.behind_seconds) : 0;
    var shownBehind = health.position ? logLagMs(health.position, shown.position) / 1000 : 0;
    if (shownBehind > 0 && !health.catching_up && serviceBehind < CATCHING_UP_SECONDS &&
        now - health.at < LAG_GRACE_MS) { return undefined; }
    if (health.catching_up || serviceBehind >= CATCHING_UP_SECONDS || shownBehind > 0) {
      return serviceBehind + shownBehind;
    }
    return null;
  }

  function badgeOutput(badge, state, seconds) {
    var text = badge.getAttribute("data-text-" + state) || "";
    if (state === "catching-up") { text = text.replace("{n}", String(Math.max(1, Math.round(seconds)))); }
    return ["live-badge is-" + state + (state === "syncing" ? " is-catching-up" : ""), text];
  }

  var noUpdate = function () { return window.dash_clientside.no_update; };

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    wall: {
      fast: function (payload) {
        if (!accept("fast", payload)) { return noUpdate(); }
        Object.keys(payload.kpis).forEach(function (path) { setText(path, payload.kpis[path]); });
        document.getElementById("port-clock").textContent = payload.port_time;
        var badge = document.getElementById("demo-badge");
        badge.hidden = !payload.demo;
        badge.textContent = payload.demo || "";
        listItems("ticker", payload.ticker, tick);
        return snapshot();
      },
      slow: function (payload) {
        if (!accept("slow", payload)) { return [noUpdate(), noUpdate(), noUpdate()]; }
        Object.keys(payload.kpis).forEach(function (path) { setText(path, payload.kpis[path]); });
        chain(payload.chain);
        listItems("alerts", payload.alerts, alertItem);
        listItems("feeds", payload.feeds, feedItem);
        listItems("schematic", payload.schematic, schematicItem);
        var trends = payload.trends || {};
        return [payload.gantt, trends["import"] || noUpdate(), trends["export"] || noUpdate()];
      },
      heartbeat: function (payload) {
        if (!payload) { return noUpdate(); }
        beat = Object.assign({ at: Date.now() }, payload);
        return beat;
      },
      /* The watchdog (every second, and when the socket comes or goes): is what the page shows the
         service's latest? In this order: socket down; no heartbeat for 10 s; Redis down; processing
         stuck; the service restarted and its data has not come; the page missed updates (asks for the
         full state after ~3 s, the red banner after 10 s); the service catching up (amber badge).
         → [banner hidden, banner text, badge class, badge text, socket options]. */
      watchdog: function (n, connected, health, options) {
        var banner = document.getElementById("stale-banner");
        var liveBadge = document.getElementById("live-badge");
        if (!banner || !liveBadge) { return [noUpdate(), noUpdate(), noUpdate(), noUpdate(), noUpdate()]; }
        var now = Date.now();
        if (!connected) { watch.downAt = now; }
        // a heartbeat from before the socket went down speaks for a process that may be gone
        var heard = health && health.at > watch.downAt ? health : null;
        var reason = null;  // the words come from the page, in its language (layouts/i18n.py)
        if (!connected) { reason = "socket"; }
        else if (now - (heard ? heard.at : watch.downAt) > 10000) { reason = "heartbeat"; }
        else if (heard && !heard.redis) { reason = "redis"; }
        else if (heard && heard.consumer_stuck) { reason = "consumer"; }

        var newOptions = noUpdate();
        var why = reason || !heard ? null : missing(heard);
        if (!why) {
          behind = { since: 0, why: null, resynced: 0 };
        } else {
          if (!behind.since || behind.why !== why) { behind = { since: behind.since || now, why: why, resynced: behind.resynced }; }
          var waited = now - behind.since;
          if (waited >= RESYNC_AFTER_MS && (!behind.resynced || now - behind.resynced >= RESYNC_EVERY_MS)) {
            // the component makes a new socket when its options change; the server's connect
            // handler sends that socket the full state (dashboard/emitter.py)
            behind.resynced = now;
            watch.resyncs += 1;
            var current = options || {};
            newOptions = Object.assign({}, current, { forceNew: true,
              query: Object.assign({}, current.query || {}, { resync: watch.resyncs }) });
          }
          if (waited >= BANNER_AFTER_MS) { reason = why; }
        }

        var badge, bannerOut;
        if (reason) {
          if (!watch.staleSince) { watch.staleSince = new Date(reason === why ? behind.since : now); }
          var since = watch.staleSince.toTimeString().slice(0, 8);
          var message = "⚠ " + banner.getAttribute("data-template").replace("{since}", since)
            .replace("{why}", banner.getAttribute("data-why-" + reason) || reason);
          bannerOut = !banner.hidden && banner.textContent === message ? [noUpdate(), noUpdate()] : [false, message];
          badge = badgeOutput(liveBadge, "stale");
        } else {
          watch.staleSince = null;
          bannerOut = banner.hidden ? [noUpdate(), noUpdate()] : [true, ""];
          if (why || !heard) { badge = badgeOutput(liveBadge, "syncing"); }
          else {
            var seconds = lagging(heard, now);
            if (seconds === undefined) { badge = watch.badge || badgeOutput(liveBadge, "stale"); }
            else { badge = seconds === null ? badgeOutput(liveBadge, "live") : badgeOutput(liveBadge, "catching-up", seconds); }
          }
        }
        var same = watch.badge && watch.badge[0] === badge[0] && watch.badge[1] === badge[1] &&
          liveBadge.className === badge[0];
        watch.badge = badge;
        window.__wallShown = snapshot();  // for the curious (and the tests): what the page shows
        return bannerOut.concat(same ? [noUpdate(), noUpdate()] : badge, [newOptions]);
      }
    }
  });
})();
