/* The demo's headless home page: plain fetch(), no framework. It asks the REST API what each
   slot shows this visitor, puts the answer's markup in, opens a popup on its trigger, and
   reports what the visitor sees and does (view, click, dismiss) to events/. The visitor is
   the one the shop's cookies name, exactly as on a server-rendered page. */
(function () {
  "use strict";
  function meta(name) { return document.querySelector('meta[name="' + name + '"]').content; }
  var token = meta("csrf-token");
  var banner = document.querySelector("[data-consent]"), optional = [];
  var status = document.querySelector("[data-status]");

  function post(events) {
    return fetch(meta("pz-events"), {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ events: events })
    });
  }

  // Call open() once, when the popup's trigger fires (as the bundled pz.js does on a
  // server-rendered page): on load, after a delay, on exit intent or at a scroll depth.
  function onTrigger(fields, open) {
    var done = false;
    function once() { if (!done) { done = true; open(); } }
    if (fields.trigger === "delay") {
      setTimeout(once, 1000 * (fields.delay_seconds || 0));
    } else if (fields.trigger === "exit" && window.matchMedia &&
               window.matchMedia("(hover: none) and (pointer: coarse)").matches) {
      // A touch screen has no mouse to leave by: a fast scroll back up is the exit intent.
      var samples = [];
      var flick = function () {
        var y = window.scrollY, t = Date.now(), highest = y;
        samples.push([t, y]);
        while (samples.length && t - samples[0][0] > 500) samples.shift();
        samples.forEach(function (s) { highest = Math.max(highest, s[1]); });
        if (highest - y >= Math.max(150, window.innerHeight / 4)) {
          window.removeEventListener("scroll", flick); once();
        }
      };
      window.addEventListener("scroll", flick, { passive: true });
    } else if (fields.trigger === "exit") {
      document.addEventListener("mouseout", function (e) {
        if (!e.relatedTarget && e.clientY <= 0) once();
      });
    } else if (fields.trigger === "scroll") {
      // The share of the distance the page can be scrolled: what shows without scrolling
      // has not been read yet.
      var depth = fields.scroll_percent || 50;
      var check = function () {
        var scrollable = document.documentElement.scrollHeight - window.innerHeight;
        if (scrollable > 0 && window.scrollY / scrollable * 100 >= depth) {
          window.removeEventListener("scroll", check); once();
        }
      };
      window.addEventListener("scroll", check, { passive: true });
      check();
    } else {
      once();
    }
  }

  function showPopup(decision, holder) {
    var campaign = decision.campaign;
    var fields = decision.content ? decision.content.fields : {};
    onTrigger(fields, function () {
      // Both arms count the moment the popup opens (or would have, for the held out).
      post([{ type: "view", campaign: campaign, token: decision.token }]);
      if (!decision.content) return;
      var popup = holder.querySelector(".pz-popup");
      popup.hidden = false;
      var dialog = popup.querySelector("[role=dialog]");
      if (dialog) dialog.focus();
      function close() {
        popup.hidden = true;
        post([{ type: "dismiss", campaign: campaign, variant: decision.variant,
                 token: decision.token }]);
      }
      popup.querySelectorAll("[data-pz-dismiss], [data-pz-backdrop]").forEach(function (el) {
        el.addEventListener("click", close);
      });
      popup.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
    });
  }

  function render(decisions) {
    decisions.forEach(function (decision) {
      var holder = document.querySelector('[data-slot="' + decision.slot + '"]');
      if (!holder) return;
      holder.setAttribute("data-campaign", decision.campaign || "");
      holder.setAttribute("data-token", decision.token || "");
      if (decision.content && decision.content.html) holder.innerHTML = decision.content.html;
      // The consent question is answered first; a popup waits for the next load.
      if (decision.kind === "popup" && decision.campaign && banner.hidden) {
        showPopup(decision, holder);
      }
    });
    status.textContent = "";
  }

  function load() {
    var url = meta("pz-api") + "?path=/" + ["greeting", "home_hero", "usual_order",
      "home_products", "site_popup"].map(function (s) { return "&slot=" + s; }).join("");
    status.textContent = "Loading…";
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (body) { render(body.decisions); })
      .catch(function () { status.textContent = ""; });  // the defaults stay
  }

  // A click on a link inside a campaign's content is reported before the page is left.
  document.addEventListener("click", function (e) {
    var link = e.target.closest ? e.target.closest("a[href]") : null;
    var holder = link ? link.closest("[data-slot][data-campaign]") : null;
    var slot = link ? link.closest("[data-pz-campaign]") : null;
    if (!holder || !slot || !holder.getAttribute("data-campaign")) return;
    // The exposure token proves the server served this content to this visitor.
    post([{ type: "click", campaign: parseInt(slot.getAttribute("data-pz-campaign"), 10),
            variant: parseInt(slot.getAttribute("data-pz-variant"), 10) || null,
            token: slot.getAttribute("data-pz-token") || holder.getAttribute("data-token") }]);
  });

  // Consent through the API: until the visitor chooses, the page asks.
  fetch(meta("pz-consent"), { credentials: "same-origin" }).then(function (r) { return r.json(); })
    .then(function (consent) {
      optional = consent.purposes.filter(function (p) { return !p.required; });
      if (!consent.decided) banner.hidden = false;
      load();
    }).catch(load);
  banner.querySelectorAll("[data-consent-choice]").forEach(function (button) {
    button.addEventListener("click", function () {
      var all = button.getAttribute("data-consent-choice") === "all", choices = {};
      optional.forEach(function (p) { choices[p.key] = all; });
      fetch(meta("pz-consent"), {
        method: "PUT", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ choices: choices })
      }).then(function () { banner.hidden = true; load(); });
    });
  });
})();
