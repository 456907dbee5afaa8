/* django-personalization: opens popups on their trigger as accessible dialogs, and reports
   when a popup is shown (its exposure counts then, not when the page is rendered), dismissals
   and clicks. Vanilla JavaScript, no dependencies. Without it, the page shows the
   popup's <noscript> version as a plain block. */
(function () {
  "use strict";
  var script = document.currentScript ||
    document.querySelector("script[data-pz-events-url]");
  var data = script ? script.dataset : {};
  var FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), " +
    "textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

  // The CSRF token: written into the page, or (when the browser already holds Django's
  // CSRF cookie) read from that cookie, as Django's documentation recommends.
  function csrfToken() {
    if (data.pzCsrf) return data.pzCsrf;
    var name = data.pzCsrfCookie;
    if (!name) return "";
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].slice(0, name.length + 1) === name + "=") {
        return decodeURIComponent(parts[i].slice(name.length + 1));
      }
    }
    return "";
  }

  // Report one event to the API's events endpoint. navigator.sendBeacon survives the page
  // being left (a click on a link); it cannot send headers, so the batch goes as a form with
  // the CSRF token in it, which Django's CSRF check reads. fetch with keepalive is the
  // fallback where there is no sendBeacon or it refuses. The slot's exposure token goes
  // with the event: it proves the server served this campaign to this visitor here.
  function send(type, slot) {
    var token = csrfToken(), url = data.pzEventsUrl;
    if (!url || !token || !slot || !slot.getAttribute("data-pz-campaign")) return;
    var event = { type: type, campaign: parseInt(slot.getAttribute("data-pz-campaign"), 10),
                  token: slot.getAttribute("data-pz-token") || "" };
    var variant = slot.getAttribute("data-pz-variant");
    if (variant && type !== "view") event.variant = parseInt(variant, 10);
    var body = new URLSearchParams();
    body.append("csrfmiddlewaretoken", token);
    body.append("events", JSON.stringify([event]));
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(url, body)) return;
      fetch(url, { method: "POST", body: body, credentials: "same-origin", keepalive: true,
                   headers: { "X-CSRFToken": token } }).catch(function () {});
    } catch (e) { /* reporting is best effort */ }
  }

  // Whether the visitor browses by touch (a phone, a tablet): no mouse leaves the page.
  function touchOnly() {
    return !!(window.matchMedia && window.matchMedia("(hover: none) and (pointer: coarse)").matches);
  }

  // Exit intent on a touch screen: a fast scroll back up (a flick towards the address bar
  // and the back button), at least a quarter of the screen within half a second.
  function onFlickUp(open) {
    var samples = [];
    function check() {
      var y = window.scrollY, t = Date.now(), highest = y;
      samples.push([t, y]);
      while (samples.length && t - samples[0][0] > 500) samples.shift();
      for (var i = 0; i < samples.length; i++) highest = Math.max(highest, samples[i][1]);
      if (highest - y >= Math.max(150, window.innerHeight / 4)) {
        window.removeEventListener("scroll", check);
        open();
      }
    }
    window.addEventListener("scroll", check, { passive: true });
  }

  // Call open() when the popup's trigger fires: on load, after a delay, on exit intent or
  // at a scroll depth.
  function onTrigger(popup, open) {
    var trigger = popup.getAttribute("data-pz-trigger");
    if (trigger === "delay") {
      setTimeout(open, 1000 * parseInt(popup.getAttribute("data-pz-delay") || "0", 10));
    } else if (trigger === "exit" && touchOnly()) {
      onFlickUp(open);
    } else if (trigger === "exit") {
      document.addEventListener("mouseout", function (e) {
        if (!e.relatedTarget && e.clientY <= 0) open();
      });
    } else if (trigger === "scroll") {
      // The share of the distance the page can be scrolled, not of its height: what shows
      // without scrolling is not read yet. A page too short to scroll never opens it.
      var depth = parseInt(popup.getAttribute("data-pz-scroll") || "50", 10);
      var check = function () {
        var scrollable = document.documentElement.scrollHeight - window.innerHeight;
        if (scrollable <= 0) return;
        if (window.scrollY / scrollable * 100 >= depth) {
          open();
          window.removeEventListener("scroll", check);
        }
      };
      window.addEventListener("scroll", check, { passive: true });
      check();
    } else {
      open();
    }
  }

  // The consent banner is answered first; a popup waits for the next page.
  function consentPending() {
    return !!document.querySelector("[data-pz-consent]:not([hidden])");
  }

  // A visitor held out of a popup campaign sees nothing; the moment the popup would have
  // opened is reported, so both arms are counted alike.
  function setupControl(slot) {
    var reported = false;
    onTrigger(slot, function () {
      if (reported || consentPending()) return;
      reported = true;
      send("view", slot);
    });
  }

  function setup(popup) {
    var dialog = popup.querySelector("[role=dialog]");
    var modal = popup.hasAttribute("data-pz-dismissible");
    var opened = false, previous = null;

    function onKey(e) {
      if (e.key === "Escape" || e.key === "Esc") { e.preventDefault(); close(true); return; }
      if (e.key !== "Tab") return;
      var items = Array.prototype.filter.call(dialog.querySelectorAll(FOCUSABLE), function (el) {
        return el.offsetParent !== null;
      });
      if (!items.length) { e.preventDefault(); dialog.focus(); return; }
      var first = items[0], last = items[items.length - 1], active = document.activeElement;
      if (e.shiftKey && (active === first || active === dialog)) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && (active === last || !dialog.contains(active))) { e.preventDefault(); first.focus(); }
    }
    function onFocus(e) { if (opened && !popup.contains(e.target)) dialog.focus(); }

    function open() {
      if (opened || popup.getAttribute("data-pz-closed") || consentPending()) return;
      opened = true;
      send("view", popup);
      popup.hidden = false;
      popup.classList.add("pz-popup--open");
      if (modal) {
        previous = document.activeElement;
        document.documentElement.classList.add("pz-modal-open");
        document.addEventListener("keydown", onKey);
        document.addEventListener("focusin", onFocus);
        dialog.focus();
      }
    }
    function close(byVisitor) {
      if (!opened) return;
      opened = false;
      popup.setAttribute("data-pz-closed", "1");
      popup.classList.remove("pz-popup--open");
      popup.hidden = true;
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("focusin", onFocus);
      document.documentElement.classList.remove("pz-modal-open");
      if (previous && previous.focus) previous.focus();
      if (byVisitor) send("dismiss", popup);
    }

    popup.querySelectorAll("[data-pz-dismiss], [data-pz-backdrop]").forEach(function (el) {
      el.addEventListener("click", function () { close(true); });
    });

    onTrigger(popup, open);
  }

  document.querySelectorAll(".pz-popup[data-pz-variant]").forEach(setup);
  document.querySelectorAll(".pz-popup[data-pz-control]").forEach(setupControl);

  document.addEventListener("click", function (e) {
    var link = e.target.closest ? e.target.closest("[data-pz-click]") : null;
    if (link) send("click", link.closest("[data-pz-campaign]"));
  });
})();
