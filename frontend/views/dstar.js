// The optimal discriminator D*'s legend, in words, for the 1D and the 2D view: which optimum is
// drawn (the frame's d_optimal_kind, docs/protocol.md), for which losses it is the optimum, where it
// has gaps, and when none is drawn, why. One wording for both views.
import { COLORS } from "./canvas-util.js";

const FORMULA = { "p/(p+q)": "p/(p+q)", "(1-eps) p/(p+q)": "(1−ε) p/(p+q)" };
// For which losses each curve is D's optimum (gan_core.engine.optimal_d.kind).
const FOR = {
  "p/(p+q)": "the optimum of the logistic and least-squares losses",
  "(1-eps) p/(p+q)": "the optimum with one-sided label smoothing ε",
};

/**
 * What the D* legend says: {drawn, formula, why, gaps}. drawn: the frame carries D* (formula: the
 * curve, why: for which losses it is the optimum); otherwise why: the reason none is drawn (a
 * critic's, margin or EBGAN score has no optimum p/(p+q); a target without a density has nothing to
 * compare). gaps: the server left cells out (NaN: too few samples to know the generator's density).
 */
export function dStarWords(header, dOptimal) {
  const kind = header.d_optimal_kind;
  if (!dOptimal || !kind) {
    const why = header.d_kind === "score"
      ? "a critic's, margin or EBGAN loss has no optimum of the form p/(p+q)"
      : "this target has no density to compare with";
    return { drawn: false, formula: "", why, gaps: false };
  }
  const gaps = dOptimal.data.some((v) => !Number.isFinite(v));
  return { drawn: true, formula: FORMULA[kind] || kind, why: FOR[kind] || "", gaps };
}

/** The 1D view's legend entry [text, colour, dash]: the dashed curve's formula, or why there is none. */
export function dStarLegend(header, dOptimal) {
  const w = dStarWords(header, dOptimal);
  // Short: the 1D legend is one line per entry, and a phone's is ~50 characters wide.
  if (!w.drawn) return [header.d_kind === "score" ? "no D*: a critic's loss has no p/(p+q) optimum"
    : "no D*: this target has no density", COLORS.dStar, [1, 3]];
  return [`D* = ${w.formula}${w.gaps ? " (gaps: too few samples to know it)" : ""}`, COLORS.dStar, [6, 4]];
}

/**
 * The 2D view's words: a title over the inset, lines under it (for which losses; where it is
 * blank), and `short`, the lines for a canvas too small for them (a phone).
 */
export function dStarLines2d(header, dOptimal) {
  const w = dStarWords(header, dOptimal);
  if (!w.drawn) {
    const short = header.d_kind === "score" ? "none for this loss" : "no density here";
    return { drawn: false, title: "no D* drawn", lines: [w.why], short: [short] };
  }
  const lines = [w.why];
  if (w.gaps) lines.push("blank: too few samples to know it");
  return { drawn: true, title: `optimal D* = ${w.formula}`, lines, short: w.gaps ? ["blank: too few samples"] : [] };
}

/** Words wrapped to `width` px in ctx's font. */
export function wrapWords(ctx, text, width) {
  const rows = [];
  let row = "";
  for (const word of text.split(" ")) {
    const next = row ? `${row} ${word}` : word;
    if (row && ctx.measureText(next).width > width) {
      rows.push(row);
      row = word;
    } else row = next;
  }
  if (row) rows.push(row);
  return rows;
}
