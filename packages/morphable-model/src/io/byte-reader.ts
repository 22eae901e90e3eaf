import { ModelFormatError } from '../errors';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A bounds-checked little-endian cursor over a byte array. Every read names the field it
 * reads, and every count is checked against the bytes left before anything is allocated, so a
 * corrupt size can never make a reader allocate more than the file holds.
 */
export class ByteReader {
  offset = 0;
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  error(field: string, detail: string, at = this.offset): ModelFormatError {
    return new ModelFormatError(this.file, field, `${detail} (at byte offset ${at})`);
  }

  /** Throws unless `n` more bytes are available. */
  need(field: string, n: number, what = `${n} bytes`): void {
    if (n > this.remaining) {
      throw this.error(
        field,
        `needs ${what} but only ${this.remaining} bytes are left (file truncated?)`,
      );
    }
  }

  u8(field: string): number {
    this.need(field, 1);
    return this.view.getUint8(this.offset++);
  }

  bool(field: string): boolean {
    const at = this.offset;
    const b = this.u8(field);
    if (b > 1) throw this.error(field, `expected a bool (0 or 1), got ${b}`, at);
    return b === 1;
  }

  u32(field: string): number {
    this.need(field, 4);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  i32(field: string): number {
    this.need(field, 4);
    const v = this.view.getInt32(this.offset, true);
    this.offset += 4;
    return v;
  }

  /**
   * A uint64 count of items of `itemBytes` bytes each; checked against the bytes left, so the
   * result is always a safe integer the caller may allocate for.
   */
  count(field: string, itemBytes: number): number {
    const at = this.offset;
    this.need(field, 8, 'an 8-byte count');
    const lo = this.view.getUint32(this.offset, true);
    const hi = this.view.getUint32(this.offset + 4, true);
    this.offset += 8;
    const n = hi * 2 ** 32 + lo;
    if (n * itemBytes > this.remaining) {
      throw this.error(
        field,
        `count ${n} × ${itemBytes} bytes exceeds the ${this.remaining} bytes left (file truncated or corrupt)`,
        at,
      );
    }
    return n;
  }

  /** A cereal std::string: uint64 length, then UTF-8 bytes. */
  string(field: string): string {
    const n = this.count(field, 1);
    const s = new TextDecoder('utf-8', { fatal: false }).decode(
      this.bytes.subarray(this.offset, this.offset + n),
    );
    this.offset += n;
    return s;
  }

  /** `n` little-endian float32 values, copied (so the result is aligned and owns its buffer). */
  f32Array(field: string, n: number): Float32Array {
    this.need(field, n * 4, `${n} float32 values`);
    const out = new Float32Array(n);
    if (LITTLE_ENDIAN_HOST) {
      new Uint8Array(out.buffer).set(this.bytes.subarray(this.offset, this.offset + n * 4));
    } else {
      for (let i = 0; i < n; i++) out[i] = this.view.getFloat32(this.offset + 4 * i, true);
    }
    this.offset += n * 4;
    return out;
  }

  /** `n` little-endian float64 values. */
  f64Array(field: string, n: number): Float64Array {
    this.need(field, n * 8, `${n} float64 values`);
    const out = new Float64Array(n);
    if (LITTLE_ENDIAN_HOST) {
      new Uint8Array(out.buffer).set(this.bytes.subarray(this.offset, this.offset + n * 8));
    } else {
      for (let i = 0; i < n; i++) out[i] = this.view.getFloat64(this.offset + 8 * i, true);
    }
    this.offset += n * 8;
    return out;
  }

  /** `n` little-endian int32 values. */
  i32Array(field: string, n: number): Int32Array {
    this.need(field, n * 4, `${n} int32 values`);
    const out = new Int32Array(n);
    if (LITTLE_ENDIAN_HOST) {
      new Uint8Array(out.buffer).set(this.bytes.subarray(this.offset, this.offset + n * 4));
    } else {
      for (let i = 0; i < n; i++) out[i] = this.view.getInt32(this.offset + 4 * i, true);
    }
    this.offset += n * 4;
    return out;
  }

  /** Throws unless every byte has been consumed. */
  expectEnd(what: string): void {
    if (this.remaining !== 0) {
      throw this.error(what, `${this.remaining} unexpected bytes after the end of the data`);
    }
  }
}
