// The console's one script: actions on inbox items without a full reload, and the overview's chart.
// Without it every page still works: the forms post and the server redirects back.
"use strict";
(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";
  const status = document.getElementById("status");
  const say = (text) => {
    if (status) status.textContent = text;
  };

  // An item's action: POST the form with the CSRF header, then put the re-rendered item(s) in place.
  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.item || form.method.toLowerCase() !== "post") return;
    ev.preventDefault();
    const article = document.getElementById(`item-${form.dataset.item}`);
    const buttons = article ? [...article.querySelectorAll("button")] : [];
    buttons.forEach((b) => (b.disabled = true));
    article?.setAttribute("aria-busy", "true");
    say("Working…");
    let answer;
    try {
      const res = await fetch(form.action, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", "x-csrf-token": csrf },
        body: new URLSearchParams(new FormData(form)),
        credentials: "same-origin",
      });
      answer = await res.json();
      if (!res.ok) throw new Error(answer.error ?? `HTTP ${res.status}`);
    } catch (e) {
      buttons.forEach((b) => (b.disabled = false));
      article?.removeAttribute("aria-busy");
      say(`Not done: ${e instanceof Error ? e.message : e}`);
      return;
    }
    const list = document.getElementById("items");
    let first = null;
    for (const it of answer.items) {
      const tpl = document.createElement("template");
      tpl.innerHTML = it.html; // built and escaped by the server
      const fresh = tpl.content.firstElementChild;
      if (!fresh) continue;
      const old = document.getElementById(`item-${it.id}`);
      if (old) old.replaceWith(fresh);
      else list?.append(fresh);
      first ??= fresh;
    }
    say(answer.message);
    first?.querySelector(".state")?.focus();
  });

  // The overview's chart (uPlot, served by the host from node_modules).
  const chart = document.getElementById("chart");
  if (chart && typeof uPlot === "function") {
    const d = JSON.parse(chart.dataset.series ?? "{}");
    const started = new Map((d.runs ?? []).map((id, i) => [id, d.started[i]]));
    const width = () => Math.max(280, chart.clientWidth);
    const plot = new uPlot({
      width: width(), height: 260,
      scales: { x: { time: false } },
      series: [
        { label: "run", value: (_u, v) => (v == null ? "--" : `${v} (${started.get(v) ?? ""})`) },
        { label: "writes", stroke: "#1f5fbf", width: 2, points: { show: true } },
        { label: "conflicts", stroke: "#b86e00", width: 2, points: { show: true } },
        { label: "errors", stroke: "#c0262d", width: 2, points: { show: true } },
      ],
      axes: [{ label: "run", incrs: [1, 2, 5, 10, 20, 50, 100], values: (_u, vals) => vals.map((v) => (Number.isInteger(v) ? String(v) : "")) }, { label: "per run" }],
    }, [d.runs ?? [], d.writes ?? [], d.conflicts ?? [], d.errors ?? []], chart);
    let pending = 0;
    window.addEventListener("resize", () => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(() => plot.setSize({ width: width(), height: 260 }));
    });
  }
})();
