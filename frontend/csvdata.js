// A person's own data as the target: CSV text (pasted or from a file) -> rows of 1 value (1D) or
// 2 (2D points), with every bad row named by its line number in the text, the line a person sees
// in an editor. Pure functions; the server validates the resulting config as usual (gan_core's
// `data` target), these checks only say it sooner and in the person's terms.
//
// Accepted: one or two numbers per line, separated by a comma, semicolon, tab or spaces (with
// semicolons a decimal comma is read too: "1,5; 2,25"); an optional header line first; blank lines
// and lines starting with # are skipped.

const MAX_PROBLEMS = 8; // rows named at most; the rest are counted

/** "1,5" -> 1.5 where commas are decimal marks; "" / "abc" / "NaN" / "Infinity" -> NaN. */
function number(cell, decimalComma) {
  const text = (decimalComma ? cell.replace(",", ".") : cell).trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return NaN;
  return Number(text);
}

function splitter(lines) {
  const sample = lines.slice(0, 50).join("\n");
  if (sample.includes("\t")) return { split: (l) => l.split("\t"), decimalComma: false };
  if (sample.includes(";")) return { split: (l) => l.split(";"), decimalComma: true };
  if (sample.includes(",")) return { split: (l) => l.split(","), decimalComma: false };
  return { split: (l) => l.trim().split(/\s+/), decimalComma: false };
}

const plural = (n, one, many) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;

/**
 * Parse CSV text. limits: {maxRows, maxAbs}; rescale: centre each column and divide by its std
 * (so values in any unit suit the networks). Returns {rows ([[x]] or [[x, y]]), dim, header (the
 * column names or null), problems ([{line, message}]), more (problems not listed), scale (per
 * column {mean, std} when rescaled, else null)}. Any problem means the data are not used.
 */
export function parseCsv(text, limits, rescale = false) {
  const lines = String(text || "").split(/\r\n|\n|\r/);
  const { split, decimalComma } = splitter(lines.filter((l) => l.trim() && !l.trim().startsWith("#")));
  const rows = [];
  const lineOf = [];
  const problems = [];
  let more = 0;
  let header = null;
  let dim = 0;
  let dimLine = 0;
  const problem = (line, message) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ line, message });
    else more++;
  };
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (!trimmed || trimmed.startsWith("#")) return;
    const cells = split(trimmed).map((c) => c.trim());
    const values = cells.map((c) => number(c, decimalComma));
    if (!rows.length && !header && !dim && values.every((v) => Number.isNaN(v)) && cells.some((c) => /[A-Za-z_]/.test(c))) {
      header = cells; // column names: only as the first line with content
      return;
    }
    if (!dim) {
      if (cells.length > 2) {
        problem(line, `${plural(cells.length, "value", "values")}; use 1 column (values, 1D) or 2 (x and y, 2D)`);
        return;
      }
      dim = cells.length;
      dimLine = line;
    }
    if (cells.length !== dim) {
      problem(line, `${plural(cells.length, "value", "values")}, but line ${dimLine} has ${dim}: every row needs the same number`);
      return;
    }
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      const what = cells[bad] === "" ? "is empty" : `"${cells[bad].slice(0, 20)}" is not a number`;
      const name = header && header.length === dim ? header[bad] : dim === 1 ? "" : ["x", "y"][bad];
      problem(line, `the ${name ? `${name} ` : ""}value ${what}`);
      return;
    }
    rows.push(values);
    lineOf.push(line);
  });
  if (!rows.length && !problems.length) problems.push({ line: null, message: "no numbers found: paste one value or one x, y pair per line" });
  if (rows.length > limits.maxRows) {
    problems.unshift({ line: null, message: `${plural(rows.length, "row", "rows")}: at most ${limits.maxRows.toLocaleString("en")} can be used` });
  }
  let scale = null;
  let out = rows;
  if (rescale && rows.length && !problems.length) ({ rows: out, scale } = standardise(rows, dim));
  if (!problems.length) {
    out.forEach((r, i) => {
      const far = r.find((v) => Math.abs(v) > limits.maxAbs);
      if (far !== undefined) problem(lineOf[i], `${far} is outside ±${limits.maxAbs}: tick "rescale" or divide the column`);
    });
  }
  return { rows: problems.length ? [] : out, dim, header, problems, more, scale };
}

/** Each column minus its mean, divided by its std (a constant column: by 1), 4 significant digits
 * (the link stays short; far finer than the jitter around each point). */
export function standardise(rows, dim) {
  const scale = [];
  for (let a = 0; a < dim; a++) {
    const col = rows.map((r) => r[a]);
    const mean = col.reduce((s, v) => s + v, 0) / col.length;
    const sd = Math.sqrt(col.reduce((s, v) => s + (v - mean) ** 2, 0) / col.length) || 1;
    scale.push({ mean, std: sd });
  }
  const round = (v) => Number(v.toPrecision(4));
  return { rows: rows.map((r) => r.map((v, a) => round((v - scale[a].mean) / scale[a].std))), scale };
}

/** The jitter std for `rows`: Silverman's rule of thumb, 1.06 sigma n^(-1/5) (sigma: the smaller of
 * the std and IQR / 1.34 per column, the mean over columns), so the target's density looks like a
 * smooth histogram of the data; 2 significant digits, at least 0.01. */
export function suggestStd(rows, dim) {
  const n = rows.length;
  if (n < 2) return 0.1;
  let sigma = 0;
  for (let a = 0; a < dim; a++) {
    const col = rows.map((r) => r[a]).sort((x, y) => x - y);
    const mean = col.reduce((s, v) => s + v, 0) / n;
    const sd = Math.sqrt(col.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
    const iqr = col[Math.floor(0.75 * (n - 1))] - col[Math.floor(0.25 * (n - 1))];
    sigma += (iqr > 0 ? Math.min(sd, iqr / 1.34) : sd) / dim;
  }
  return Math.max(0.01, Number((1.06 * sigma * n ** -0.2).toPrecision(2)));
}

/** What went wrong, for the page: "line 3: ...; line 7: ...; and 4 more rows". */
export function describeProblems(parsed) {
  const parts = parsed.problems.map((p) => (p.line ? `line ${p.line}: ${p.message}` : p.message));
  if (parsed.more) parts.push(`and ${plural(parsed.more, "more row", "more rows")} like these`);
  return parts;
}
