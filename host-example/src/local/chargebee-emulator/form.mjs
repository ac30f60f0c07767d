// Chargebee's form encoding, read back: `billing_address[city]=Oslo` → {billing_address: {city}},
// `applicable_items[0]=a` → {applicable_items: ["a"]}, and the column form of lists of objects,
// `item_prices[item_price_id][0]=x&item_prices[quantity][0]=2` → {item_prices: [{item_price_id, quantity}]}.
// Values stay strings; each endpoint's schema gives them their types.

/** @typedef {string | any[] | { [key: string]: any }} FormValue strings, lists and objects of them */
/** @typedef {{ [key: string]: FormValue }} FormObject */

/**
 * Splits `a[b][0]` into ["a", "b", "0"]; null when the brackets are malformed.
 * @param {string} key
 */
export function splitKey(key) {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!m) return null;
  const parts = [m[1]];
  for (const b of m[2].matchAll(/\[([^[\]]*)\]/g)) parts.push(b[1]);
  return parts;
}

const isIndex = (/** @type {string} */ k) => /^\d+$/.test(k);

/**
 * Parses an x-www-form-urlencoded body (or query string) into nested params.
 * @param {string} text
 * @returns {{ params: FormObject, badKey?: string }}
 */
export function parseForm(text) {
  /** @type {FormObject} */
  const root = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const parts = splitKey(key);
    if (!parts) return { params: root, badKey: key };
    /** @type {any} */
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i];
      if (typeof node[p] !== "object") node[p] = {};
      node = node[p];
    }
    node[parts[parts.length - 1]] = value;
  }
  return { params: /** @type {FormObject} */ (normalize(root, true)) };
}

/**
 * Index maps become arrays; a (non-root) object whose fields are all index maps becomes a list of objects.
 * @param {any} node
 * @param {boolean} [isRoot]
 * @returns {FormValue}
 */
function normalize(node, isRoot = false) {
  if (typeof node !== "object") return node;
  const keys = Object.keys(node);
  if (keys.length > 0 && keys.every(isIndex)) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => normalize(node[k]));
  }
  const columns = keys.length > 0 && keys.every((k) => typeof node[k] === "object" && Object.keys(node[k]).every(isIndex));
  if (!isRoot && columns) {
    /** @type {Map<number, FormObject>} */
    const rows = new Map();
    for (const field of keys) {
      for (const [i, v] of Object.entries(node[field])) {
        const row = rows.get(Number(i)) ?? {};
        row[field] = normalize(v);
        rows.set(Number(i), row);
      }
    }
    return [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([, row]) => row);
  }
  /** @type {FormObject} */
  const out = {};
  for (const k of keys) out[k] = normalize(node[k]);
  return out;
}
