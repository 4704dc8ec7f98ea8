/**
 * The one error a decoder raises for bad input. Malformed or truncated bytes from the network are an
 * operating error, not a programmer error: decoders throw DecodeError inside the codec, and the public
 * entry points (src/core/protocol/codec.ts) catch it and hand back a typed result. Anything else thrown
 * from a decoder is a bug and propagates.
 */
export type DecodeErrorCode =
  /** Fewer bytes remain than a field needs. */
  | 'TRUNCATED'
  /** A length, count or size below -1 (or -1 where null is not allowed). */
  | 'INVALID_LENGTH'
  /** A length or count larger than the bytes that remain could hold. */
  | 'LENGTH_EXCEEDS_FRAME'
  /** A varint longer than its type allows. */
  | 'INVALID_VARINT'
  /** Bytes left over after the last field of a message. */
  | 'TRAILING_BYTES'
  /** A value the grammar does not allow (a null where non-null is required, an unknown tag order...). */
  | 'INVALID_VALUE';

export class DecodeError extends Error {
  override name = 'DecodeError';
  constructor(
    readonly code: DecodeErrorCode,
    /** Byte offset in the buffer being decoded where the problem was found. */
    readonly offset: number,
    message: string,
  ) {
    super(`${code} at byte ${offset}: ${message}`);
  }
}

export function isDecodeError(error: unknown): error is DecodeError {
  return error instanceof DecodeError;
}
