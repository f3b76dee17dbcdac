// The resume token of this tab's session, kept in sessionStorage so a reload (F5 on a projector)
// comes back to the same server session: same iteration, running or paused, curves and timeline.
// Not in the URL: a shared link must never hand a session over. sessionStorage is per tab, so a
// second tab starts its own session; only a reload (or back/forward) of this one resumes, while
// opening a link anew starts the link's experiment.

const KEY = "toygan.resume";

function storage() {
  try {
    return window.sessionStorage; // null or throwing where storage is off (some private modes)
  } catch {
    return null;
  }
}

/** How this page was reached: "reload", "back_forward", "navigate" (a link, the address bar). */
function navigationType() {
  const nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
  return nav ? nav.type : "navigate";
}

/** The token to resume with on this load, or null (then a new session starts). */
export function resumeToken() {
  const s = storage();
  if (!s) return null;
  const kind = navigationType();
  if (kind !== "reload" && kind !== "back_forward") {
    s.removeItem(KEY); // opened anew: the link's experiment, not the last session of this tab
    return null;
  }
  return s.getItem(KEY);
}

/** Keep the newest token (the server may issue a new one on every resume). */
export function saveResumeToken(token) {
  const s = storage();
  if (s && token) s.setItem(KEY, token);
}

export function forgetResumeToken() {
  const s = storage();
  if (s) s.removeItem(KEY);
}
