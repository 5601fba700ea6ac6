/* /track (layouts/track.py): while the tab is visible, every 20 s fetch the list's live part and
   swap it in, and ask for the notices newer than the last one shown and put them on top of the
   strip, so a trucker sees a release without reloading. No framework; the page works without it.
   Dash loads every script of assets/ into its own pages too: there it finds neither part. */
(function () {
  var live = document.getElementById("track-live"), strip = document.getElementById("track-notices");
  if (!(live || strip) || !window.fetch) return;
  var EVERY_MS = 20000, SHOWN = 5, busy = false, last = Date.now();
  var lang = document.documentElement.lang.indexOf("zh") === 0 ? "zh" : "en";
  function get(url, type) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": type}}).then(function (answer) {
      // a session that ended answers with the login form: leave the page, the next tap logs in again
      if (!answer.ok || answer.redirected) return null;
      return type === "text/html" ? answer.text() : answer.json();
    });
  }
  function when(at) {  // "MM-dd HH:mm" in the port's zone, as the server writes it
    try {
      var parts = {};
      new Intl.DateTimeFormat("en-GB", {timeZone: strip.getAttribute("data-zone"), month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23"}).formatToParts(new Date(at))
        .forEach(function (part) { parts[part.type] = part.value; });
      return parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
    } catch (e) { return at.slice(5, 16).replace("T", " "); }
  }
  function item(notice) {  // built with textContent: nothing in a notice becomes markup
    var li = document.createElement("li"), a = document.createElement("a"), time = document.createElement("time"),
        title = document.createElement("span"), link = notice.link || "";
    a.href = (link.charAt(0) === "/" && link.charAt(1) !== "/" ? link : "/track") + "?lang=" + lang;
    time.setAttribute("datetime", notice.at);
    time.textContent = when(notice.at);
    title.textContent = (notice.title && notice.title[lang]) || "";
    a.appendChild(time); a.appendChild(document.createTextNode(" ")); a.appendChild(title);
    li.appendChild(a);
    return li;
  }
  function notices() {
    var after = strip.getAttribute("data-after");
    return get(strip.getAttribute("data-src") + (after ? "?after=" + encodeURIComponent(after) : ""), "application/json")
      .then(function (body) {
        if (!body || !body.notices.length) return;
        var list = strip.querySelector("ol"), empty = strip.querySelector(".track-notices-empty");
        if (empty) empty.remove();
        for (var n = body.notices.length - 1; n >= 0; n--) list.insertBefore(item(body.notices[n]), list.firstChild);
        while (list.children.length > SHOWN) list.removeChild(list.lastChild);
        strip.setAttribute("data-after", body.notices[0].seq);  // newest first
      });
  }
  function boxes() {
    return get(live.getAttribute("data-src"), "text/html").then(function (html) { if (html !== null) live.innerHTML = html; });
  }
  function refresh() {
    if (busy || document.visibilityState !== "visible") return;
    busy = true;
    Promise.all([live ? boxes() : null, strip ? notices() : null])
      .catch(function () { /* offline for a moment: the next round tries again */ })
      .then(function () { busy = false; last = Date.now(); });
  }
  setInterval(refresh, EVERY_MS);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && Date.now() - last > EVERY_MS / 2) refresh();
  });
})();
