/**
 * An incremental 64-bit hash of a run: two murmur3-style 32-bit lanes fed one 32-bit word at a
 * time. It runs once per scheduler event (millions per sweep), so it is plain integer arithmetic on
 * two numbers: no buffers, no allocation, no string building. Floats are hashed by their exact
 * IEEE-754 bits (little-endian, so every machine agrees); strings by their UTF-16 code units, length
 * first, so that no two sequences of fields run into each other.
 *
 * Not cryptographic: it detects accidental differences between two runs of one seed, which is all
 * a determinism check needs (two different runs collide with probability about 2^-64).
 */
export class RunHash {
  private h1 = 0x243f6a88;
  private h2 = 0x85a308d3;
  private words = 0;
  private readonly floatView = new DataView(new ArrayBuffer(8));

  /** Mixes one 32-bit word (any number; only its low 32 bits count). */
  int(word: number): void {
    let k = Math.imul(word | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let h1 = this.h1 ^ k;
    h1 = (h1 << 13) | (h1 >>> 19);
    this.h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    let h2 = this.h2 ^ Math.imul(k, 0x27d4eb2f);
    h2 = (h2 << 17) | (h2 >>> 15);
    this.h2 = (Math.imul(h2, 9) + 0x38495ab5) | 0;
    this.words++;
  }

  /** Mixes a double by its exact bits (a non-negative integer below 2^31 costs one word). */
  number(value: number): void {
    if (value >= 0 && value < 0x80000000 && Number.isInteger(value)) {
      this.int(value);
      return;
    }
    this.floatView.setFloat64(0, value, true);
    this.int(this.floatView.getUint32(0, true) | 0x80000000); // the high bit marks the two-word form
    this.int(this.floatView.getUint32(4, true));
  }

  /** Mixes a string: its length, then two UTF-16 code units per word. */
  string(text: string): void {
    const length = text.length;
    this.int(length);
    let i = 0;
    for (; i + 1 < length; i += 2) this.int(text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16));
    if (i < length) this.int(text.charCodeAt(i));
  }

  /** 16 hex digits of everything mixed so far, with `extra` mixed last (the hash itself is left untouched). */
  digest(extra = ''): string {
    const copy = new RunHash();
    copy.h1 = this.h1;
    copy.h2 = this.h2;
    copy.words = this.words;
    copy.string(extra);
    return hex32(fmix32(copy.h1 ^ copy.words)) + hex32(fmix32(copy.h2 ^ Math.imul(copy.words, 0x9e3779b1)));
  }
}

/** murmur3's finalizer: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0');
}
