// Live SLA countdown: every <time class="sla" datetime="..."> shows the time left until
// its deadline, or how long it is overdue. Without JavaScript the deadline itself shows.
(function () {
  "use strict";
  function pad(n) { return String(n).padStart(2, "0"); }
  function span(seconds) {
    var s = Math.abs(Math.round(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + ":" + pad(m) : m) + ":" + pad(r);
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.sla[datetime]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("datetime")) - now) / 1000;
      el.textContent = left >= 0 ? span(left) + " left" : "overdue by " + span(left);
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 120);
    });
  }
  tick();
  setInterval(tick, 1000);
})();
