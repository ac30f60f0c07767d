// HTML built from templates in which every interpolated value is escaped, unless it is itself HTML
// made here (a `Html` value). The one way the console writes markup.

export class Html {
  /** @param {string} text */
  constructor(text) {
    this.text = text;
  }

  toString() {
    return this.text;
  }
}

/** @param {unknown} v */
export function escape(v) {
  return String(v ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** @param {unknown} v @returns {string} */
const part = (v) => (v instanceof Html ? v.text : Array.isArray(v) ? v.map(part).join("") : v === null || v === undefined || v === false ? "" : escape(v));

/** html`<p>${text}</p>`: values escaped, `Html` values and arrays of them kept. @param {TemplateStringsArray} strings @param {unknown[]} values */
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => {
    out += part(v) + strings[i + 1];
  });
  return new Html(out);
}
