/**
 * The topics a consumer-group member subscribes to, read from its JoinGroup protocol metadata
 * (Kafka's ConsumerProtocolSubscription, protocol type "consumer"). Every version starts the same:
 *   version INT16, topics ARRAY(STRING), ...
 * Only that prefix is read; what follows (user data, owned partitions, rack) is ignored.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The subscribed topics, or null when the metadata does not parse (the caller decides what that means). */
export function subscribedTopics(metadata: Uint8Array): string[] | null {
  const view = new DataView(metadata.buffer, metadata.byteOffset, metadata.byteLength);
  try {
    if (view.getInt16(0) < 0) return null;
    const count = view.getInt32(2);
    if (count < 0 || count > metadata.length) return null;
    const topics: string[] = [];
    let at = 6;
    for (let i = 0; i < count; i++) {
      const length = view.getInt16(at);
      if (length < 0 || at + 2 + length > metadata.length) return null;
      topics.push(utf8.decode(metadata.subarray(at + 2, at + 2 + length)));
      at += 2 + length;
    }
    return topics;
  } catch {
    return null; // RangeError past the end, or invalid UTF-8
  }
}
