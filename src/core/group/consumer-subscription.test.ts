import { describe, expect, it } from 'vitest';
import { Writer } from '../protocol/writer.ts';
import { subscribedTopics } from './consumer-subscription.ts';

describe('subscribedTopics', () => {
  it('reads the topics of every ConsumerProtocolSubscription version, ignoring what follows', () => {
    const v0 = new Writer(32).int16(0).array(['a', 'b'], (w, t) => void w.string(t)).nullableBytes(null).finish();
    const v3 = new Writer(32).int16(3).array(['c'], (w, t) => void w.string(t)).bytes(new Uint8Array([1])).int32(0).int32(1).nullableString('r').finish();
    expect(subscribedTopics(v0)).toEqual(['a', 'b']);
    expect(subscribedTopics(v3)).toEqual(['c']);
  });

  it('answers null for metadata that is not a subscription', () => {
    expect(subscribedTopics(new Uint8Array([1, 2, 3]))).toBeNull();
    expect(subscribedTopics(new Uint8Array([0, 0, 0, 0, 0, 9]))).toBeNull();
    expect(subscribedTopics(new Uint8Array([0, 0, 0, 0, 0, 1, 0, 5, 97]))).toBeNull();
  });
});
