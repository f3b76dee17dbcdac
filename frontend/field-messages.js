// What the form says beside a field, in plain words: the server's validation errors rewritten for
// people ("Learning rate must be at most 10", not "optimizer_d.lr: Input should be less than or
// equal to 10"), and the warning for a value outside the schema's sensible range (ui.sensible):
// allowed, but rarely trains.
import { getPath } from "./urlhash.js";

// pydantic's phrasings -> ours. Order matters: the longer phrase first.
const PHRASES = [
  [/^Input should be greater than or equal to (.+)$/, "must be at least $1"],
  [/^Input should be greater than (.+)$/, "must be more than $1"],
  [/^Input should be less than or equal to (.+)$/, "must be at most $1"],
  [/^Input should be less than (.+)$/, "must be less than $1"],
  [/^Input should be a valid integer.*$/, "must be a whole number"],
  [/^Input should be a valid number.*$/, "must be a number"],
  [/^Input should be a valid boolean.*$/, "must be on or off"],
  [/^Input should be a valid list.*$/, "must be a list of numbers, separated by commas"],
  [/^List should have at most (\d+) items? after validation, not (\d+)$/, "takes at most $1 values (got $2)"],
  [/^List should have at least (\d+) items? after validation, not (\d+)$/, "needs at least $1 values (got $2)"],
  [/^Input should be (.+)$/, "must be one of $1"],
  [/^Field required$/, "is required"],
];

/** The part of a server message ("a.b: why; c.d: why") about `path`, or the whole message. */
export function reasonFor(message, path) {
  const parts = String(message).split("; ");
  for (const part of parts) {
    const prefix = `${path}: `;
    if (part.startsWith(prefix)) return part.slice(prefix.length);
    if (part.startsWith(`${path}.`)) return part.slice(part.indexOf(": ") + 2); // a list item: means.2
  }
  const named = /^[\w.]+: (.*)$/s.exec(parts[0]);
  return named ? named[1] : parts[0];
}

/** "Input should be greater than 0" -> "must be more than 0"; anything else as it is. */
export function plainReason(reason) {
  for (const [pattern, words] of PHRASES) {
    if (pattern.test(reason)) return reason.replace(pattern, words);
  }
  return reason;
}

function show(v) {
  if (Array.isArray(v)) return v.join(", ");
  if (typeof v === "string") return `"${v}"`;
  return String(v);
}

/**
 * The sentence shown beside a field the server refused: "Learning rate must be more than 0: 0
 * was not applied, it stays 0.001." (tried / running omitted when unknown).
 */
export function plainError({ label, message, path, tried, running }) {
  const reason = plainReason(reasonFor(message, path));
  const lead = /^(must|takes|needs|is) /.test(reason) ? `${label} ${reason}` : `${label}: ${reason}`;
  if (tried === undefined) return `${lead}.`;
  const stays = running === undefined || running === null ? "" : `, it stays ${show(running)}`;
  return `${lead}: ${show(tried)} was not applied${stays}.`;
}

/** The warning for a value outside ui.sensible ([lo, hi]), or "" inside it (or without one). */
export function sensibleWarning(value, sensible) {
  if (!Array.isArray(sensible) || typeof value !== "number") return "";
  const [lo, hi] = sensible;
  if (value > hi) return `Above ${hi} is unusually high: training will likely blow up or jump around. Allowed, to see it.`;
  if (value < lo) return `Below ${lo} is unusually low: training will barely move.`;
  return "";
}

/**
 * The refusal `msg` (the server's {message, field}) as {path, text} for the form field it is about
 * ("target.means.2" is about target.means), or null when no shown field is. `lastEdit`: {path,
 * sent}, the change the page last sent; its value is named in the sentence.
 */
export function fieldError(form, msg, config, lastEdit) {
  if (!msg.field) return null;
  const parts = String(msg.field).split(".");
  while (parts.length && !form.shows(parts.join("."))) parts.pop();
  const path = parts.join(".");
  if (!path) return null;
  const edit = lastEdit && lastEdit.path === path ? lastEdit : null;
  const text = plainError({ label: form.fields.get(path).label(), message: msg.message || "", path,
    tried: edit ? edit.sent : undefined, running: edit ? getPath(config, path) : undefined });
  return { path, text };
}
