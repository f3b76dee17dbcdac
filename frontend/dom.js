// A small element builder shared by the panels the page draws in code (share panel, compare pane):
// el("button", {testid: "fork", class: "primary"}, "Make my own copy").

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "testid") node.dataset.testid = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}
