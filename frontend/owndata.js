// "Use your own data": the part of App's store behind the CSV panel (text or a file -> the `data`
// target). App owns it (app.ownData) and paints it (chrome.js PAINTERS.ownData); this module holds
// its state and what its buttons do. Parsing is csvdata.js's.
import { describeProblems, parseCsv, suggestStd } from "./csvdata.js";

const fmt = (v) => String(Number(v.toPrecision(4)));

export class OwnData {
  /** app: the App (configure, paint); limits: {maxRows, maxAbs} from the schema's data target. */
  constructor(app, limits) {
    this.app = app;
    this.limits = limits;
    this.text = "";
    this.source = "";
    this.rescale = true;
    this.problems = []; // readable sentences, each naming its line
    this.summary = ""; // what is in use: "Using 200 values (1D) from heights.csv ..."
    this.pending = false; // sent, not yet accepted by the server
  }

  /** The target's limits, as the schema states them (points' maxItems, ui.max_abs). */
  static limitsFrom(schema) {
    const points = schema.$defs.DataConfig.properties.points;
    return { maxRows: points.maxItems, maxAbs: points.ui.max_abs };
  }

  setText(text, source = "") {
    this.text = text;
    this.source = source;
  }

  setRescale(on) {
    this.rescale = on;
  }

  /** Parse what was given and, if every row is good, make it the target. */
  use() {
    const parsed = parseCsv(this.text, this.limits, this.rescale);
    this.problems = describeProblems(parsed);
    this.summary = "";
    if (this.problems.length) {
      this.app.paint("ownData");
      return false;
    }
    const { rows, dim, header, scale } = parsed;
    const source = (this.source || "pasted data").slice(0, 120);
    const names = header && header.length === dim ? header : dim === 1 ? ["value"] : ["x", "y"];
    const what = `${rows.length.toLocaleString("en")} ${dim === 1 ? "values (1D)" : "points (2D)"}`;
    const how = scale ? ` Rescaled: ${scale.map((s, a) => `${names[a]} → (${names[a]} − ${fmt(s.mean)}) / ${fmt(s.std)}`).join(", ")}.` : "";
    this.summary = `Using ${what} from ${source}.${how}`;
    this.pending = true;
    this.app.useData({ name: "data", dim, points: rows, std: suggestStd(rows, dim), source });
    this.app.paint("ownData");
    return true;
  }

  /** The server accepted the change (a `config` came back). */
  accepted() {
    this.pending = false;
  }

  /** The server refused it: say why beside the panel (the message names the row). */
  refused(message) {
    this.pending = false;
    this.summary = "";
    this.problems = [message];
    this.app.paint("ownData");
  }
}
