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

  function alertItem(item) {
    var li = document.createElement("li");
    if (item.kind === "vessel") {
      li.className = "alert-vessel";
      li.setAttribute("data-vessel", item.imo);
      var a = document.createElement("a");
      a.href = "/vessels/" + encodeURIComponent(item.imo) + "?lang=" + (document.getElementById("wall").dataset.lang || "zh");
      a.textContent = "⚠ " + item.text;
      li.appendChild(a);
    } else {
      li.className = "alert-box";
      li.setAttribute("data-container", item.number);
      li.textContent = "◆ " + item.text;
    }
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

  var last = { fast: 0, slow: 0 };
  var noUpdate = function () { return window.dash_clientside.no_update; };

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    wall: {
      fast: function (payload) {
        if (!payload || payload.seq <= last.fast) { return noUpdate(); }
        last.fast = payload.seq;
        Object.keys(payload.kpis).forEach(function (path) { setText(path, payload.kpis[path]); });
        document.getElementById("port-clock").textContent = payload.port_time;
        var badge = document.getElementById("demo-badge");
        badge.hidden = !payload.demo;
        badge.textContent = payload.demo || "";
        listItems("ticker", payload.ticker, tick);
        return { seq: payload.seq, at: Date.now(), sent_at: payload.sent_at };
      },
      slow: function (payload) {
        if (!payload || payload.seq <= last.slow) { return [noUpdate(), noUpdate(), noUpdate()]; }
        last.slow = payload.seq;
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
        return Object.assign({ at: Date.now() }, payload);
      },
      watchdog: function (n, connected, health) {
        var banner = document.getElementById("stale-banner");
        if (!banner) { return [noUpdate(), noUpdate()]; }
        var reason = null;  // the words come from the page, in its language (layouts/i18n.py)
        if (!connected) { reason = "socket"; }
        else if (!health || Date.now() - health.at > 10000) { reason = "heartbeat"; }
        else if (!health.redis) { reason = "redis"; }
        else if (health.consumer_stuck) { reason = "consumer"; }
        var why = reason && banner.getAttribute("data-why-" + reason);
        var liveBadge = document.getElementById("live-badge");
        if (!why) {
          window.__wallStaleSince = null;
          if (liveBadge) { liveBadge.classList.remove("is-stale"); }
          return banner.hidden ? [noUpdate(), noUpdate()] : [true, ""];
        }
        if (!window.__wallStaleSince) { window.__wallStaleSince = new Date(); }
        var since = window.__wallStaleSince.toTimeString().slice(0, 8);
        if (liveBadge) { liveBadge.classList.add("is-stale"); }
        var message = "⚠ " + banner.getAttribute("data-template").replace("{since}", since).replace("{why}", why);
        if (!banner.hidden && banner.textContent === message) { return [noUpdate(), noUpdate()]; }
        return [false, message];
      }
    }
  });
})();
