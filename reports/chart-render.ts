// Renders a Vega-Lite chart to an SVG string without a browser: compile to a Vega spec, then let a
// headless Vega view (renderer 'none') draw the scenegraph as SVG markup. The result is inlined
// into the HTML report, so the page needs no script, no network and no font download.
import { View, parse, type LoggerInterface } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface RenderedChart {
  readonly svg: string;
  /** What Vega-Lite or Vega complained about: a chart that warns is drawn wrong, so tests demand none. */
  readonly warnings: readonly string[];
}

export async function renderChart(spec: TopLevelSpec, idPrefix: string): Promise<RenderedChart> {
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  const vegaSpec = compile(spec, { logger }).spec;
  const view = new View(parse(vegaSpec), { renderer: 'none', logger });
  try {
    const svg = await view.toSVG();
    return { svg: prefixIds(svg, idPrefix), warnings };
  } finally {
    view.finalize();
  }
}

/**
 * Vega numbers clip paths and gradients with counters global to the process, reset per SVG only
 * sometimes: two charts on one page could share `id="clip1"` (the second would be clipped by the
 * first one's rectangle), and the same chart could get other numbers on another call. Ids are
 * renamed `<prefix>-<n>` in order of definition, which makes them unique and reproducible.
 */
export function prefixIds(svg: string, prefix: string): string {
  const renamed = new Map<string, string>();
  for (const match of svg.matchAll(/\sid="([^"]+)"/g)) if (!renamed.has(match[1])) renamed.set(match[1], `${prefix}-${renamed.size + 1}`);
  if (renamed.size === 0) return svg;
  return svg.replace(/(\sid="|url\(#|href="#)([^")]+)/g, (whole, lead: string, id: string) => {
    const name = renamed.get(id);
    return name === undefined ? whole : `${lead}${name}`;
  });
}

function collectingLogger(warnings: string[]): LoggerInterface {
  let level = 2; // vega.Warn: record warnings and errors, drop info and debug
  const record = (...args: readonly unknown[]) => warnings.push(args.map(String).join(' '));
  const logger = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error(...args: readonly unknown[]) {
      record(...args);
      return logger;
    },
    warn(...args: readonly unknown[]) {
      record(...args);
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger as LoggerInterface;
}
