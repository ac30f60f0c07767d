// The benches' command line: `--key value`, `--key=value` and bare flags; every value of a repeated key kept,
// in order (the last one is the key's value where only one makes sense).

/**
 * @param {string[]} argv @param {string[]} flags keys that take no value ("true" when given)
 * @returns {Record<string, string[]>}
 */
export function benchArgs(argv, flags) {
  /** @type {Record<string, string[]>} */
  const given = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    const [k, inline] = a.slice(2).split(/=(.*)/s, 2);
    const v = flags.includes(k) ? "true" : inline ?? argv[++i];
    if (v === undefined) throw new Error(`--${k} needs a value`);
    (given[k] ??= []).push(v);
  }
  return given;
}
