import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess, tempDataDir } from '../broker-process.ts';

/** kafkajs 2.2.4 against a real `chronik start` process on loopback. */
const data = tempDataDir('kafkajs');
let broker: BrokerProcess;
let kafka: Kafka;

beforeAll(async () => {
  // Groups form at once (no 3 s wait of an empty group for more members), as Kafka's own tests set
  // group.initial.rebalance.delay.ms=0.
  broker = await BrokerProcess.start({ dataDir: data.dir, args: ['--group-initial-rebalance-delay-ms', '0'] });
  kafka = new Kafka({ clientId: 'chronik-test', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
});

afterAll(async () => {
  await broker?.stop();
  data.remove();
});

async function readAll(topic: string, expected: number, timeoutMs = 60_000): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}` });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${values.length} of ${expected} from ${topic}`)), timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString() ?? '');
        if (values.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  try {
    await done;
  } finally {
    await consumer.disconnect();
  }
  return values;
}

describe('kafkajs', () => {
  it('admin creates, lists and deletes topics', async () => {
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }], waitForLeaders: true })).toBe(true);
    expect(await admin.listTopics()).toContain('admin-a');
    const meta = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
    expect(meta.topics[0]!.partitions).toHaveLength(3);
    await admin.deleteTopics({ topics: ['admin-a'] });
    expect(await admin.listTopics()).not.toContain('admin-a');
    await admin.disconnect();
  });

  it('produces with acks 0, 1 and all, and reads every message back', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'acks', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const sent: string[] = [];
    for (const acks of [0, 1, -1]) {
      for (let batch = 0; batch < 10; batch++) {
        const messages = Array.from({ length: 10 }, (_, i) => ({ value: `acks${acks}-${batch * 10 + i}` }));
        sent.push(...messages.map((m) => m.value));
        const result = await producer.send({ topic: 'acks', acks, messages });
        if (acks !== 0) expect(result[0]!.errorCode).toBe(0);
      }
    }
    await producer.disconnect();
    const read = await readAll('acks', sent.length);
    expect(read.sort()).toEqual([...sent].sort());
  });

  it('an idempotent producer writes each message exactly once', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const messages = Array.from({ length: 10 }, (_, i) => ({ value: `idem-${batch * 10 + i}` }));
      sent.push(...messages.map((m) => m.value));
      await producer.send({ topic: 'idempotent', acks: -1, messages });
    }
    await producer.disconnect();
    const read = await readAll('idempotent', sent.length);
    expect(read).toEqual(sent);
  });

  it('a group of three consumers gets every message exactly once across a rebalance', async () => {
    const topic = 'group-topic';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const produce = async (from: number, count: number): Promise<void> => {
      for (let i = from; i < from + count; i += 30) {
        await producer.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, j) => ({ key: `k${i + j}`, value: `g-${i + j}` })) });
      }
    };
    const seen: string[] = [];
    const byMember = new Map<number, number>();
    const joins = new Map<number, number[]>();
    const consumers: Consumer[] = [];
    for (let m = 0; m < 3; m++) {
      // Short fetch waits: kafkajs heartbeats (and so learns of a rebalance) only between fetches.
      const consumer = kafka.consumer({ groupId: 'three', sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 300 });
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        joins.set(m, Object.values(payload.memberAssignment).flat());
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommitThreshold: 1,
        eachMessage: async ({ message }: EachMessagePayload) => {
          seen.push(message.value!.toString());
          byMember.set(m, (byMember.get(m) ?? 0) + 1);
        },
      });
      consumers.push(consumer);
    }
    // Produce once the group has settled (each member's latest assignment is one partition, and
    // together they cover all three), so the first phase checks the split, the second the rebalance.
    const settled = (): boolean => {
      const views = [...joins.values()];
      return views.length === 3 && views.every((v) => v.length === 1) && new Set(views.flat()).size === 3;
    };
    await waitUntil(settled, 60_000, () => `group not settled: ${JSON.stringify([...joins])}`);
    await produce(0, 300);
    await waitUntil(() => seen.length >= 300, 60_000, () => `consumed ${seen.length} of 300`);
    expect(byMember.size).toBe(3);
    await consumers.pop()!.disconnect(); // leaves the group: the other two take over its partition
    await produce(300, 300);
    await waitUntil(() => seen.length >= 600, 60_000, () => `consumed ${seen.length} of 600`);
    await new Promise((r) => setTimeout(r, 500));
    await producer.disconnect();
    for (const c of consumers) await c.disconnect();
    expect(seen.length).toBe(600);
    expect(new Set(seen).size).toBe(600);
  });

  it('a commit for a topic that does not exist fails with UNKNOWN_TOPIC_OR_PARTITION; the group commits to an existing topic', async () => {
    const topic = 'commit-known';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    // Few retries: kafkajs retries UNKNOWN_TOPIC_OR_PARTITION before giving up.
    const impatient = new Kafka({ clientId: 'chronik-test', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 100 } });
    const consumer = impatient.consumer({ groupId: 'commit-unknown', retry: { retries: 1, initialRetryTime: 100 } });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topic });
    await consumer.run({ autoCommit: false, eachMessage: async () => {} });
    await joined;
    const error = await consumer.commitOffsets([{ topic: 'no-such-topic', partition: 0, offset: '5' }]).then(
      () => null,
      (e: unknown) => e as { cause?: { type?: string }; type?: string },
    );
    // After its retries kafkajs throws KafkaJSNumberOfRetriesExceeded, caused by the protocol error.
    expect(error?.cause?.type ?? error?.type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    await consumer.commitOffsets([{ topic, partition: 0, offset: '3' }]);
    await consumer.disconnect();
    const fetched = await admin.fetchOffsets({ groupId: 'commit-unknown', topics: [topic] });
    expect(fetched[0]!.partitions).toEqual([{ partition: 0, offset: '3', metadata: null }]);
    await admin.disconnect();
  });

  it('a transactional producer fails at once with a non-retriable error (Chronik has no transactions)', async () => {
    const producer = kafka.producer({ transactionalId: 'tx-kafkajs', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const started = Date.now();
    const error = await producer.transaction().then(
      () => null,
      (e: unknown) => e,
    );
    const elapsedMs = Date.now() - started;
    await producer.disconnect();
    console.log(`kafkajs producer.transaction() failed after ${elapsedMs} ms`);
    // kafkajs reports any FindCoordinator error other than COORDINATOR_NOT_AVAILABLE this way.
    expect(error).toMatchObject({ name: 'KafkaJSGroupCoordinatorNotFound', retriable: false });
    expect(elapsedMs).toBeLessThan(2000);
  });

  it('admin fetchOffsets answers every committed partition of a group (null topics) and the asked topics', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'js-offsets-a', numPartitions: 2 }, { topic: 'js-offsets-b', numPartitions: 1 }], waitForLeaders: true });
    // Each setOffsets costs kafkajs's maxWaitTime (5 s): its consumer pauses the topic, and a fetch
    // loop with every partition paused sleeps that long before the fetch event it waits for.
    await admin.setOffsets({ groupId: 'js-offsets', topic: 'js-offsets-a', partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '4' }] });
    await admin.setOffsets({ groupId: 'js-offsets', topic: 'js-offsets-b', partitions: [{ partition: 0, offset: '5' }] });
    // No topics: kafkajs sends OffsetFetch v4 with a null topic array.
    const all = await admin.fetchOffsets({ groupId: 'js-offsets' });
    const flat = (answer: typeof all): string[] => answer.flatMap((t) => t.partitions.map((p) => `${t.topic}/${p.partition}=${p.offset}`)).sort();
    expect(flat(all)).toEqual(['js-offsets-a/0=3', 'js-offsets-a/1=4', 'js-offsets-b/0=5']);
    const asked = await admin.fetchOffsets({ groupId: 'js-offsets', topics: ['js-offsets-a'] });
    expect(flat(asked)).toEqual(['js-offsets-a/0=3', 'js-offsets-a/1=4']);
    await admin.disconnect();
  });
});

async function waitUntil(condition: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out: ${describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
