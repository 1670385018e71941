// The inline stylesheet of index.html: system fonts only (the page must render offline and fetch
// nothing), dense tables, and verdict colours that survive a greyscale print through their labels.
export const REPORT_CSS = `
:root { --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg-alt: #f9fafb; --pass: #15803d; --pass-bg: #dcfce7;
  --fail: #b91c1c; --fail-bg: #fee2e2; --warn: #b45309; --warn-bg: #fef3c7; --crash: #6d28d9; --crash-bg: #ede9fe; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #f3f4f6;
  font: 13px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
main, .page-head { max-width: 1240px; margin: 0 auto; padding: 0 16px; }
.page-head { padding-top: 18px; padding-bottom: 6px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 6px; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
h3 { font-size: 14px; margin: 16px 0 6px; }
a { color: #1d4ed8; text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 12px; }
code.replay { user-select: all; background: #f3f4f6; border: 1px solid var(--line); border-radius: 4px; padding: 1px 5px; white-space: nowrap; }
.muted { color: var(--muted); }
.nw { white-space: nowrap; }
#verdicts code.replay { display: inline-block; margin-top: 2px; white-space: normal; overflow-wrap: anywhere; }
.failure .rationale, .jobs .rationale, .faults .rationale { color: var(--muted); font-size: 12px; font-weight: 400; }
.totals { margin: 0; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.card { background: white; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 12px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: #374151; background: var(--bg-alt); white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) td { background: #fcfcfd; }
.badge { display: inline-block; font-size: 11px; font-weight: 700; letter-spacing: .02em; padding: 2px 8px; border-radius: 999px; white-space: nowrap; }
.badge.pass, .pill.pass { color: var(--pass); background: var(--pass-bg); }
.badge.correctness, .pill.fail { color: var(--fail); background: var(--fail-bg); }
.badge.liveness { color: var(--warn); background: var(--warn-bg); }
.badge.crash { color: var(--crash); background: var(--crash-bg); }
.pill { font-weight: 700; padding: 2px 10px; border-radius: 999px; }
.bad { color: var(--fail); font-weight: 600; }
.run { border-left: 5px solid var(--pass); }
.run.verdict-correctness { border-left-color: var(--fail); }
.run.verdict-liveness { border-left-color: #d97706; }
.run.verdict-crash { border-left-color: var(--crash); }
.run .seed { font-weight: 400; color: var(--muted); font-size: 13px; }
.description { margin: 0 0 8px; max-width: 110ch; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 10px; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; }
.failure { background: #fff7f7; border: 1px solid #fecaca; border-radius: 6px; padding: 8px 12px 10px; margin: 10px 0; }
.failure h3 { margin-top: 4px; color: var(--fail); }
.failure pre { background: white; border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px; margin: 4px 0; white-space: pre-wrap; }
ol.timeline { margin: 4px 0; padding-left: 28px; font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12px; }
ol.timeline li:last-child { color: var(--fail); font-weight: 600; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(138px, 1fr)); gap: 6px; margin: 10px 0; }
.kpi { border: 1px solid var(--line); border-radius: 6px; padding: 5px 8px; background: var(--bg-alt); }
.kpi .label { color: var(--muted); font-size: 11px; }
.kpi .value { font-size: 15px; font-weight: 650; font-variant-numeric: tabular-nums; }
.kpi.bad { border-color: #fca5a5; background: #fff1f2; }
.kpi.bad .value { color: var(--fail); }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; margin: 10px 0; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; background: white; min-width: 0; }
figure.chart.wide { grid-column: 1 / -1; }
figure.chart figcaption { font-size: 12px; color: #4b5563; margin-bottom: 6px; }
figure.chart figcaption strong { color: var(--fg); font-size: 13px; margin-right: 4px; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
.phases { display: flex; flex-wrap: wrap; gap: 2px 10px; }
.phase.failed { color: var(--fail); font-weight: 600; }
.phase.unfinished { color: var(--warn); }
.no-data { color: var(--muted); font-style: italic; }
@media (max-width: 900px) { .charts { grid-template-columns: 1fr; } }
`;
