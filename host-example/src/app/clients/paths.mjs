// The last guard before a request leaves: the path it goes to must be the path the caller gave. An id that
// reached a path unescaped (`..`, `a/../../items/x`, `..\customers`) would otherwise be resolved by the URL
// parser into another endpoint — `POST /items/..\customers` is `POST /customers`.

export class UnsafePathError extends Error {
  /** @param {string} system @param {string} method @param {string} path @param {string} why */
  constructor(system, method, path, why) {
    super(`${system} ${method} ${JSON.stringify(path)} refused: ${why}; an id in this path is not one ${system} can have`);
    this.name = "UnsafePathError";
    this.system = system;
    this.path = path;
  }
}

/**
 * `base` + `path`, or an UnsafePathError when normalising the URL would change the path: dot segments, a
 * backslash, a `?` or `#` inside the path, control characters or white space.
 * @param {string} system "Chargebee" or "Customerp" @param {string} method
 * @param {string} base e.g. http://127.0.0.1:4000/api/v2 @param {string} path e.g. /items/SKU-1 @param {string} [query] "?…" or ""
 */
export function requestUrl(system, method, base, path, query = "") {
  const refuse = (/** @type {string} */ why) => new UnsafePathError(system, method, path, why);
  if (!path.startsWith("/")) throw refuse("it does not start with /");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f\\?#]/.test(path)) throw refuse("it holds a control character, white space, \\, ? or #");
  const url = new URL(`${base}${path}${query}`);
  const expected = `${new URL(base).pathname.replace(/\/$/, "")}${path}`;
  if (url.pathname !== expected) throw refuse(`it would be sent to ${url.pathname}`);
  return url.toString();
}
