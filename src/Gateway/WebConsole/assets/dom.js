// Building the page from server data without ever parsing it as HTML: every value becomes a text node or an
// attribute value, so a SIP URI or an error message that contains markup is shown, not run.

/** Creates an element. props: class, dataset (object), on<event> (listener), anything else as an attribute. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") setData(node, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Replaces a table body's rows; with no rows, one row saying so across every column. */
export function setRows(tbody, rows, emptyText) {
  if (rows.length > 0) {
    tbody.replaceChildren(...rows);
    return;
  }
  const columns = tbody.closest("table").querySelectorAll("thead th").length;
  tbody.replaceChildren(el("tr", { class: "empty" }, el("td", { colspan: columns }, emptyText)));
}

/** Shows (or, with null, hides) a panel's error line. */
export function showError(panel, message) {
  const line = panel.querySelector(":scope > .error");
  line.hidden = message === null;
  line.textContent = message ?? "";
}

function setData(node, values) {
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== null) node.dataset[name] = String(value);
  }
}
