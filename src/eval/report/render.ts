// Renders a Vega-Lite spec to SVG (Vega-Lite -> Vega -> a headless View, renderer "none": no canvas, no DOM) and
// SVG to PNG with resvg and the system fonts. Does not choose what to plot (charts.ts) or lay out the page (html.ts).
import { Resvg } from "@resvg/resvg-js";
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** The SVG text of a Vega-Lite chart. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A PNG of an SVG at `scale` times its size, text in the system fonts (DejaVu Sans when a family is missing). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const r = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
  });
  return r.render().asPng();
}

/**
 * The SVG with every id (and its url(#...) / href="#..." references) prefixed, so that several SVGs inlined in
 * one HTML page cannot resolve each other's clip paths and gradients.
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!));
  if (ids.size === 0) return svg;
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const alt = [...ids].sort((a, b) => b.length - a.length).map(esc).join("|");
  return svg
    .replace(new RegExp(`(\\sid=")(${alt})"`, "g"), `$1${prefix}$2"`)
    .replace(new RegExp(`url\\(#(${alt})\\)`, "g"), `url(#${prefix}$1)`)
    .replace(new RegExp(`(href=")#(${alt})"`, "g"), `$1#${prefix}$2"`);
}
