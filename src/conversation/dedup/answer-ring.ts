/**
 * The memory dedup store's answers, kept outside the JavaScript heap: a byte ring (one Buffer) holding every
 * answer in completion order, and an open-addressing hash table (two typed arrays) from key to record.
 *
 * Why: a remembered answer lives for its whole ttl (`DEDUP_TTL`, 60 s by default), so on the callback's hot path
 * every answer — a key, a reply of ~1 KB and their bookkeeping — survived the young generation, was copied into
 * the old one and kept the old generation's full collections busy marking hundreds of thousands of small objects.
 * Here an answer is a few hundred bytes written into memory the collector never looks into, and the ring reuses
 * the same pages.
 *
 * What the plain version costs (measured 2026-12-03, 2 vCPU, Node 20): a Map in completion order with the same
 * byte and entry bounds (evicting through one long-lived iterator: a fresh `keys().next()` per eviction walks
 * every hole V8 keeps for deleted entries, ~20 s per 300 000 evictions at 200 000 entries). In the main benchmark,
 * run side by side in the same rounds, it served 9–18 % fewer requests than this ring (0.77× against 0.93× the
 * minimal crypto server in the steadier run; the target is 0.80×). The store alone at its bound (claim + complete
 * with a ~0.7 KB reply, 1.2 M messages): 5.1–7.6 µs a message against 1.6–1.9 µs, the collector's pauses up to
 * 60–160 ms against ~6 ms. Keeping the replies as Buffers in that Map was no faster.
 *
 * Records (little-endian): u32 size | u32 key hash | f64 expiresAt | u16 key length | key | reply, key and reply
 * as UTF-16 code units. UTF-16 is a straight copy of the string (one native call each, no encoding pass and no
 * byte counting), keeps any string exactly — lone surrogates included — and for the mostly Chinese text of
 * answers is smaller than UTF-8. The ring is FIFO: the oldest record is evicted first when space or the entry
 * limit runs out, so eviction order is completion order, as in the store's contract. Replacing a key's answer
 * leaves the old record in the ring as garbage (its slot now points to the new one) until the ring reaches it.
 *
 * The ring is allocated at its full size on the first answer, never touched ahead of use (so resident memory
 * grows only as far as answers have been written) and never moved: growing it by copying stalled the process
 * for tens of milliseconds at the sizes a busy server reaches.
 */

const HEADER_BYTES = 18;
const EMPTY = -1;
/** Written where the writer wrapped to the start (when at least 4 bytes were left there). */
const WRAP_MARK = 0;
/** The smallest ring: a few dozen typical answers. */
const MIN_BYTES = 64 * 1024;
const UNALLOCATED = Buffer.alloc(0);

export interface AnswerRingOptions {
  /** Answers held at most; beyond it the oldest is evicted. */
  maxEntries: number;
  /** Bytes the ring may grow to; beyond it the oldest answers are evicted to make room. */
  maxBytes: number;
}

/** FNV-1a over UTF-16 code units. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export class AnswerRing {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #ring: Buffer;
  /** Next write position, and the oldest record (when `#records > 0`). */
  #head = 0;
  #tail = 0;
  /** Records in the ring, replaced ones included. */
  #records = 0;
  /** Slots: record offset (EMPTY when free) and the key's hash, so that probing never reads the ring. */
  #offsets: Int32Array;
  #hashes: Uint32Array;
  #mask: number;
  /** Keys with a live record. */
  #live = 0;
  /** The last key hashed and its hash: a message's key is looked up, then stored (claim, then complete). */
  #hashedKey = '';
  #hashedValue = hashOf('');

  constructor(options: AnswerRingOptions) {
    this.#maxEntries = options.maxEntries;
    this.#maxBytes = Math.max(MIN_BYTES, options.maxBytes);
    this.#ring = UNALLOCATED;
    // At most half full, so that probe sequences stay short.
    let slots = 16;
    while (slots < this.#maxEntries * 2) slots *= 2;
    this.#offsets = new Int32Array(slots).fill(EMPTY);
    this.#hashes = new Uint32Array(slots);
    this.#mask = slots - 1;
  }

  /** Answers held (expired ones included until evicted or swept). */
  get size(): number {
    return this.#live;
  }

  /** The reply for `key` if held and not expired at `now`. */
  get(key: string, now: number): string | undefined {
    const slot = this.#find(key, this.#hash(key));
    if (slot < 0) return undefined;
    const offset = this.#offsets[slot]!;
    const ring = this.#ring;
    if (ring.readDoubleLE(offset + 8) <= now) return undefined;
    const size = ring.readUInt32LE(offset);
    const replyStart = offset + HEADER_BYTES + 2 * ring.readUInt16LE(offset + 16);
    return ring.toString('utf16le', replyStart, offset + size);
  }

  /** Stores (or replaces) the answer for `key`, evicting the oldest answers if needed. */
  set(key: string, reply: string, expiresAt: number): void {
    if (key.length > 0xffff) throw new RangeError('dedup key too long');
    const hash = this.#hash(key);
    const size = HEADER_BYTES + 2 * (key.length + reply.length);
    const existing = this.#find(key, hash);
    if (existing >= 0) this.#removeSlot(existing);
    while (this.#live >= this.#maxEntries) this.#evictOldest();
    const offset = this.#reserve(size);
    const ring = this.#ring;
    ring.writeUInt32LE(size, offset);
    ring.writeUInt32LE(hash, offset + 4);
    ring.writeDoubleLE(expiresAt, offset + 8);
    ring.writeUInt16LE(key.length, offset + 16);
    const keyStart = offset + HEADER_BYTES;
    if (key.length > 0) ring.write(key, keyStart, 'utf16le');
    if (reply.length > 0) ring.write(reply, keyStart + 2 * key.length, 'utf16le');
    this.#records++;
    this.#insertSlot(hash, offset);
  }

  /** Evicts the oldest answer (and any replaced records before it); false when none is held. */
  evictOldest(): boolean {
    const live = this.#live;
    while (this.#records > 0 && this.#live === live) this.#evictOldest();
    return this.#live < live;
  }

  /** Evicts expired answers from the oldest end, stopping at the first live one. */
  sweep(now: number): void {
    while (this.#records > 0) {
      const offset = this.#tail;
      const slot = this.#slotOf(offset);
      if (slot >= 0 && this.#ring.readDoubleLE(offset + 8) > now) return;
      this.#evictOldest();
    }
  }

  clear(): void {
    this.#offsets.fill(EMPTY);
    this.#head = 0;
    this.#tail = 0;
    this.#records = 0;
    this.#live = 0;
    this.#ring = UNALLOCATED;
  }

  #hash(key: string): number {
    if (key !== this.#hashedKey) {
      this.#hashedKey = key;
      this.#hashedValue = hashOf(key);
    }
    return this.#hashedValue;
  }

  // ---- ring --------------------------------------------------------------------------------------

  /** An offset where `size` bytes are free, evicting the oldest answers as needed; advances the head past it. */
  #reserve(size: number): number {
    if (size > this.#maxBytes) throw new RangeError(`a dedup answer of ${size} bytes does not fit in ${this.#maxBytes}`);
    if (this.#ring === UNALLOCATED) this.#ring = Buffer.allocUnsafeSlow(this.#maxBytes);
    for (;;) {
      if (this.#records === 0) {
        this.#head = 0;
        this.#tail = 0;
      }
      const capacity = this.#ring.length;
      if (this.#records === 0 || this.#head > this.#tail) {
        // Free: [head, capacity) and [0, tail).
        if (capacity - this.#head >= size) return this.#advance(size);
        if (this.#records > 0 && this.#tail >= size) {
          this.#wrap();
          return this.#advance(size);
        }
      } else if (this.#tail - this.#head >= size) {
        // head < tail (or head === tail, full): free is [head, tail).
        return this.#advance(size);
      }
      this.#evictOldest();
    }
  }

  #advance(size: number): number {
    const offset = this.#head;
    this.#head += size;
    return offset;
  }

  /** The writer continues at the start; a mark tells the reader (if at least 4 bytes are left). */
  #wrap(): void {
    if (this.#ring.length - this.#head >= 4) this.#ring.writeUInt32LE(WRAP_MARK, this.#head);
    this.#head = 0;
  }

  /** Where the record after the one ending at `offset` starts, following a wrap. */
  #next(offset: number): number {
    const capacity = this.#ring.length;
    if (capacity - offset < 4) return 0;
    return this.#ring.readUInt32LE(offset) === WRAP_MARK ? 0 : offset;
  }

  #evictOldest(): void {
    if (this.#records === 0) return;
    const offset = this.#tail;
    const size = this.#ring.readUInt32LE(offset);
    const slot = this.#slotOf(offset);
    if (slot >= 0) this.#removeSlot(slot);
    this.#records--;
    if (this.#records === 0) {
      this.#head = 0;
      this.#tail = 0;
      return;
    }
    this.#tail = this.#next(offset + size);
  }

  // ---- hash table --------------------------------------------------------------------------------

  #find(key: string, hash: number): number {
    const offsets = this.#offsets;
    const hashes = this.#hashes;
    const mask = this.#mask;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const offset = offsets[slot]!;
      if (offset === EMPTY) return -1;
      if (hashes[slot] === hash && this.#keyAt(offset, key)) return slot;
    }
  }

  #keyAt(offset: number, key: string): boolean {
    const ring = this.#ring;
    if (ring.readUInt16LE(offset + 16) !== key.length) return false;
    const keyStart = offset + HEADER_BYTES;
    for (let index = 0; index < key.length; index++) {
      if (ring.readUInt16LE(keyStart + 2 * index) !== key.charCodeAt(index)) return false;
    }
    return true;
  }

  /** The slot pointing at the record at `offset`, or -1 (a replaced record has none). */
  #slotOf(offset: number): number {
    const hash = this.#ring.readUInt32LE(offset + 4);
    const offsets = this.#offsets;
    const mask = this.#mask;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const candidate = offsets[slot]!;
      if (candidate === EMPTY) return -1;
      if (candidate === offset) return slot;
    }
  }

  #insertSlot(hash: number, offset: number): void {
    const offsets = this.#offsets;
    const mask = this.#mask;
    let slot = hash & mask;
    while (offsets[slot] !== EMPTY) slot = (slot + 1) & mask;
    offsets[slot] = offset;
    this.#hashes[slot] = hash;
    this.#live++;
  }

  /** Frees `slot`, shifting later entries of its probe sequence back (no tombstones). */
  #removeSlot(slot: number): void {
    const offsets = this.#offsets;
    const hashes = this.#hashes;
    const mask = this.#mask;
    let hole = slot;
    for (let next = (hole + 1) & mask; offsets[next] !== EMPTY; next = (next + 1) & mask) {
      const home = hashes[next]! & mask;
      // Moves `next` into the hole unless its home lies cyclically in (hole, next].
      const between = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (!between) {
        offsets[hole] = offsets[next]!;
        hashes[hole] = hashes[next]!;
        hole = next;
      }
    }
    offsets[hole] = EMPTY;
    this.#live--;
  }
}
