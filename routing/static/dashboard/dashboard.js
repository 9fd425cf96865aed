// Draws the dashboard's charts from the figures the page embeds (json_script).
(function () {
  "use strict";
  const figures = JSON.parse(document.getElementById("figures").textContent);
  const days = figures.daily.map((d) => d.date.slice(5));
  const minutes = (s) => (s === null ? null : Math.round((s / 60) * 10) / 10);
  const percent = (share) => (share === null ? null : Math.round(share * 1000) / 10);

  // Legible on a phone: Chart.js draws 12 px text by default, tick labels included;
  // 13 px keeps axis text above that once a chart shrinks.
  Chart.defaults.font.size = 13;
  Chart.defaults.maintainAspectRatio = false; // the card's .chart box sets the height

  // "AI agent → hand-off → person" on two lines: on one, a narrow chart cuts it off.
  function wrapPath(name) {
    const [first, ...rest] = name.split(" → ");
    return rest.length ? [`${first} →`, rest.join(" → ")] : name;
  }

  // A chart whose period had no data is replaced by the page's empty state (no canvas).
  function chart(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  chart("chart-volume", {
    type: "bar",
    data: {
      labels: days,
      datasets: [
        { label: "Leads", data: figures.daily.map((d) => d.leads), yAxisID: "y" },
        {
          type: "line", label: "Within SLA (%)", yAxisID: "share",
          data: figures.daily.map((d) => percent(d.within_sla_share)),
        },
      ],
    },
    options: {
      scales: { y: { beginAtZero: true }, share: { position: "right", min: 0, max: 100 } },
    },
  });

  chart("chart-speed", {
    type: "line",
    data: {
      labels: days,
      datasets: [
        { label: "Median (min)", data: figures.daily.map((d) => minutes(d.speed_median_seconds)) },
        { label: "90th percentile (min)", data: figures.daily.map((d) => minutes(d.speed_p90_seconds)) },
        {
          label: "Median to a person's first action (min)",
          data: figures.daily.map((d) => minutes(d.first_human_action_median_seconds)),
        },
      ],
    },
    options: { spanGaps: true, scales: { y: { beginAtZero: true } } },
  });

  const repSpeeds = JSON.parse(document.getElementById("rep-speeds").textContent);
  chart("chart-reps", {
    type: "bar",
    data: {
      labels: repSpeeds.map((r) => r.rep),
      datasets: [
        { label: "Median (min)", data: repSpeeds.map((r) => minutes(r.median)) },
        { label: "90th percentile (min)", data: repSpeeds.map((r) => minutes(r.p90)) },
      ],
    },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true } } },
  });

  figures.fairness.forEach((pool, index) => {
    chart(`chart-fairness-${index}`, {
      type: "bar",
      data: {
        labels: pool.members.map((m) => m.rep),
        datasets: [
          { label: "Leads", data: pool.members.map((m) => m.leads) },
          { label: "Expected", data: pool.members.map((m) => m.expected) },
        ],
      },
      options: { scales: { y: { beginAtZero: true } } },
    });
  });

  for (const [id, rows] of [
    ["chart-rules", figures.conversion_by_rule],
    ["chart-pools", figures.conversion_by_pool],
    ["chart-paths", figures.conversion_by_path],
  ]) {
    chart(id, {
      type: "bar",
      data: {
        labels: rows.map((r) => wrapPath(r.name)),
        datasets: [
          { label: "Leads", data: rows.map((r) => r.leads) },
          { label: "Converted", data: rows.map((r) => r.converted) },
        ],
      },
      options: {
        indexAxis: "y",
        scales: { x: { beginAtZero: true }, y: { ticks: { autoSkip: false } } },
      },
    });
  }
})();
