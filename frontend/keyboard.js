// Keyboard: space play/pause, right arrow step, r reset, ? help, Escape closes what is open.
// Keys typed into a form control belong to that control. On a focused button (say Play, just
// clicked) space still means play/pause, not "click the focused button again"; Enter keeps
// activating buttons. SHORTCUTS is the one list: the help overlay is drawn from it.

const TYPING = ["INPUT", "SELECT", "TEXTAREA"];

export const SHORTCUTS = Object.freeze([
  { keys: ["Space"], what: "Play or pause", action: "togglePlay" },
  { keys: ["→"], what: "One iteration (D steps, then G steps)", action: "step" },
  { keys: ["R"], what: "Reset: new networks from the same seed", action: "reset" },
  { keys: ["?"], what: "This help", action: "help" },
  { keys: ["Esc"], what: "Close the help, the guide or the settings drawer", action: "close" },
]);

const KEY_ACTION = { " ": "togglePlay", ArrowRight: "step", r: "reset", R: "reset", "?": "help", Escape: "close" };

/** actions: {togglePlay, step, reset, help, close(typing)} (close: true when it closed something). */
export function installKeyboard(actions) {
  window.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const action = KEY_ACTION[e.key];
    if (!action) return;
    const t = e.target;
    const typing = t && (t.isContentEditable || TYPING.includes(t.tagName));
    if (typing && action !== "close") return;
    if (action === "close") {
      if (actions.close(typing)) e.preventDefault();
      return;
    }
    if (action === "togglePlay" || action === "step") e.preventDefault();
    if (action === "togglePlay" && e.repeat) return;
    actions[action]();
  });
  // A button fires its click on space's keyup; cancelling it keeps space a pure play/pause key.
  window.addEventListener("keyup", (e) => {
    if (e.key === " " && e.target && e.target.tagName === "BUTTON") e.preventDefault();
  });
}
