// Indexes over one table of an emulated site, so that a list page costs O(log n + page) instead of a
// filter and sort of the whole table (list.mjs decides when it can use them):
//   - a sorted index per timestamp field a list sorts by (updated_at, created_at, occurred_at, date): the
//     table's entries ordered by (value, seq), in chunks of about a thousand so that an insert or a move
//     costs O(log n + chunk), built on the first list that sorts by the field;
//   - a hash index per field an `[is]`/`[in]` filter can narrow to a few rows (invoice_id of orders,
//     item_id of item prices, event_type of events), built on first use; `id` uses the table itself.
// Every write of the emulator goes through Site.put (a new or replaced entry) or Site.stamp (a record
// changed in place gets a new updated_at): both mark the entry dirty, and the next list re-files the
// dirty entries before it reads. A field's value as filed is kept on the entry (`entry.ix`), so that
// re-filing finds the old place. Nothing else writes records once they are listed (the seed data may,
// before the first list); EMULATOR_VERIFY_LISTS=1 checks every indexed page against a full scan.

/** @typedef {{ seq: number, data: Record<string, any>, ix?: Record<string, any> }} Entry */

const CHUNK = 1024;

/** The sort key of a timestamp field, as list.mjs computes it. @param {Record<string, any>} data @param {string} field */
export const numericKey = (data, field) => Number(data[field] ?? 0);

/** A hash bucket's key: what `[in]` compares (`str(value) ?? ""`). @param {unknown} v */
export const bucketKey = (v) => (v === undefined || v === null ? "" : String(v));

/** A position in a sorted index: chunk and offset in it. @typedef {{ c: number, i: number }} Pos */

/** Entries ordered by (numeric value of `field`, seq), in chunks. */
export class SortedIndex {
  /** @param {string} field @param {Iterable<Entry>} entries */
  constructor(field, entries) {
    this.field = field;
    /** rows whose value is NaN: the sort order is then undefined, and list.mjs scans instead */
    this.nan = 0;
    const all = [];
    for (const e of entries) {
      this.#file(e);
      all.push(e);
    }
    all.sort((a, b) => this.#cmp(a, b));
    /** @type {Entry[][]} */
    this.chunks = [];
    for (let i = 0; i < all.length; i += CHUNK) this.chunks.push(all.slice(i, i + CHUNK));
    this.size = all.length;
  }

  /** @param {Entry} e */
  #file(e) {
    const k = numericKey(e.data, this.field);
    if (Number.isNaN(k)) this.nan++;
    (e.ix ??= {})[this.field] = k;
  }

  /** @param {Entry} e */
  #unfile(e) {
    const k = /** @type {Record<string, any>} */ (e.ix)[this.field];
    if (Number.isNaN(k)) this.nan--;
  }

  /** @param {Entry} a @param {Entry} b */
  #cmp(a, b) {
    const x = /** @type {Record<string, any>} */ (a.ix)[this.field];
    const y = /** @type {Record<string, any>} */ (b.ix)[this.field];
    return x < y ? -1 : x > y ? 1 : a.seq - b.seq;
  }

  /** The key an entry is filed under. @param {Entry} e @returns {number} */
  keyOf(e) {
    return /** @type {Record<string, any>} */ (e.ix)[this.field];
  }

  /**
   * The first position whose (key, seq) is greater than (k, seq), or equal when `orEqual`.
   * @param {number} k @param {number} seq @param {boolean} [orEqual] @returns {Pos}
   */
  seek(k, seq, orEqual = false) {
    const before = (/** @type {Entry} */ e) => {
      const x = this.keyOf(e);
      const c = x < k ? -1 : x > k ? 1 : e.seq - seq;
      return orEqual ? c < 0 : c <= 0;
    };
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const last = chunks[mid];
      if (before(last[last.length - 1])) lo = mid + 1;
      else hi = mid;
    }
    if (lo === chunks.length) return { c: lo, i: 0 };
    const chunk = chunks[lo];
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (before(chunk[mid])) a = mid + 1;
      else b = mid;
    }
    return { c: lo, i: a };
  }

  /** @param {Entry} e */
  insert(e) {
    this.#file(e);
    this.size++;
    if (this.chunks.length === 0) {
      this.chunks.push([e]);
      return;
    }
    let { c, i } = this.seek(this.keyOf(e), e.seq);
    if (c === this.chunks.length) {
      c--;
      i = this.chunks[c].length;
    }
    const chunk = this.chunks[c];
    if (i === chunk.length) chunk.push(e);
    else chunk.splice(i, 0, e);
    if (chunk.length > 2 * CHUNK) this.chunks.splice(c, 1, chunk.slice(0, CHUNK), chunk.slice(CHUNK));
  }

  /** @param {Entry} e */
  remove(e) {
    let { c, i } = this.seek(this.keyOf(e), e.seq, true);
    if (this.chunks[c]?.[i] !== e) {
      // only with NaN values, whose order is undefined: look everywhere
      c = this.chunks.findIndex((ch) => ch.includes(e));
      if (c < 0) throw new Error(`emulator index ${this.field}: entry ${e.data.id} is not filed`);
      i = this.chunks[c].indexOf(e);
    }
    const chunk = this.chunks[c];
    chunk.splice(i, 1);
    if (chunk.length === 0) this.chunks.splice(c, 1);
    this.#unfile(e);
    this.size--;
  }

  /** Files an entry again if its value changed. @param {Entry} e @param {boolean} known whether it is in the index */
  refile(e, known) {
    if (known) {
      if (Object.is(this.keyOf(e), numericKey(e.data, this.field))) return;
      this.remove(e);
    }
    this.insert(e);
  }

  /**
   * Calls `visit` on entries from `from` onwards (forwards) or from the one before `from` backwards, until
   * it returns false or the index ends.
   * @param {Pos} from @param {boolean} backwards @param {(e: Entry) => boolean} visit
   */
  walk(from, backwards, visit) {
    const chunks = this.chunks;
    if (!backwards) {
      for (let c = from.c, i = from.i; c < chunks.length; c++, i = 0) {
        const chunk = chunks[c];
        for (; i < chunk.length; i++) if (!visit(chunk[i])) return;
      }
      return;
    }
    let c = from.c;
    let i = from.i - 1;
    if (c === chunks.length) {
      c--;
      i = c >= 0 ? chunks[c].length - 1 : -1;
    }
    for (; c >= 0; c--, i = c >= 0 ? chunks[c].length - 1 : -1) {
      const chunk = chunks[c];
      for (; i >= 0; i--) if (!visit(chunk[i])) return;
    }
  }
}

/** The indexes of one table, built on first use and kept up to date through `touch`. */
export class TableIndex {
  /** @param {Map<string, Entry>} rows the table (id → entry) */
  constructor(rows) {
    this.rows = rows;
    /** @type {Map<string, SortedIndex>} */
    this.sorted = new Map();
    /** @type {Map<string, Map<string, Set<Entry>>>} */
    this.hashed = new Map();
    /** entries written since the last list @type {Set<Entry>} */
    this.dirty = new Set();
    /** entries added since the last list (not yet in any index) @type {Set<Entry>} */
    this.added = new Set();
    /** whether some row's id is not a string (then `id` filters scan) */
    this.oddIds = false;
  }

  /** A new entry. @param {Entry} e */
  add(e) {
    if (typeof e.data.id !== "string") this.oddIds = true;
    if (this.sorted.size || this.hashed.size) this.added.add(e);
  }

  /** An entry whose record changed (replaced, or stamped in place). @param {Entry} e */
  touch(e) {
    if (typeof e.data.id !== "string") this.oddIds = true;
    if ((this.sorted.size || this.hashed.size) && !this.added.has(e)) this.dirty.add(e);
  }

  /** Files what was written since the last list. */
  flush() {
    if (this.dirty.size === 0 && this.added.size === 0) return;
    for (const ix of this.sorted.values()) {
      for (const e of this.dirty) ix.refile(e, true);
      for (const e of this.added) ix.insert(e);
    }
    for (const [field, buckets] of this.hashed) {
      for (const e of this.dirty) this.#rehash(field, buckets, e, true);
      for (const e of this.added) this.#rehash(field, buckets, e, false);
    }
    this.dirty.clear();
    this.added.clear();
  }

  /** @param {string} field @returns {SortedIndex} */
  sortedBy(field) {
    this.flush();
    let ix = this.sorted.get(field);
    if (!ix) {
      ix = new SortedIndex(field, this.rows.values());
      this.sorted.set(field, ix);
    }
    return ix;
  }

  /** @param {string} field @returns {Map<string, Set<Entry>>} */
  hashedBy(field) {
    this.flush();
    let buckets = this.hashed.get(field);
    if (!buckets) {
      buckets = new Map();
      for (const e of this.rows.values()) this.#rehash(field, buckets, e, false);
      this.hashed.set(field, buckets);
    }
    return buckets;
  }

  /** @param {string} field @param {Map<string, Set<Entry>>} buckets @param {Entry} e @param {boolean} known */
  #rehash(field, buckets, e, known) {
    const slot = `=${field}`;
    const now = bucketKey(e.data[field]);
    if (known) {
      const was = /** @type {Record<string, any>} */ (e.ix)[slot];
      if (was === now) return;
      const b = buckets.get(was);
      b?.delete(e);
      if (b?.size === 0) buckets.delete(was);
    }
    (e.ix ??= {})[slot] = now;
    let b = buckets.get(now);
    if (!b) buckets.set(now, (b = new Set()));
    b.add(e);
  }
}
