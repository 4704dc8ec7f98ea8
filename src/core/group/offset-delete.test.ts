/** GroupCoordinator.deleteOffsets (OffsetDelete): the rules that the broker test does not reach. */
import { describe, expect, it } from 'vitest';
import { GroupErrorCode as E } from './error-codes.ts';
import { Harness, bytes, commitReq } from '../../testing/group-harness.ts';

const ask = (groupId: string, topics: Record<string, number[]>) => ({
  groupId,
  topics: Object.entries(topics).map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
});

describe('OffsetDelete', () => {
  it('a failed removal answers COORDINATOR_NOT_AVAILABLE (retriable) for every partition it would have answered NONE, and keeps the offsets', () => {
    const h = new Harness();
    h.commit(commitReq('', -1, { t: { 0: 1n, 1: 2n } }, 'simple'));
    h.autoPersist = false;
    const failed = h.deleteOffsets(ask('simple', { t: [0, 9] }));
    expect(failed.response).toBeNull();
    h.completePersist(false);
    expect(failed.response).toEqual({
      errorCode: E.NONE,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: E.COORDINATOR_NOT_AVAILABLE }, { partitionIndex: 9, errorCode: E.COORDINATOR_NOT_AVAILABLE }] }],
    });
    expect(h.coordinator.fetchOffsets({ groupId: 'simple', topics: null }).topics[0]!.partitions).toHaveLength(2);
    h.autoPersist = true;
    expect(h.deleteOffsets(ask('simple', { t: [0, 1] })).response?.errorCode).toBe(E.NONE);
    expect(h.persisted).toEqual([]);
    expect(h.coordinator.list()).toEqual([]);
  });

  it('a member whose consumer metadata does not parse counts as subscribed to every topic; another protocol type is NON_EMPTY_GROUP', () => {
    const h = new Harness();
    const joined = h.join({ protocols: [{ name: 'range', metadata: bytes(1, 2, 3) }] }).response!;
    h.commit(commitReq(joined.memberId, joined.generationId, { t: { 0: 1n } }));
    expect(h.deleteOffsets(ask('g', { t: [0], other: [0] })).response).toEqual({
      errorCode: E.NONE,
      topics: [
        { name: 't', partitions: [{ partitionIndex: 0, errorCode: E.GROUP_SUBSCRIBED_TO_TOPIC }] },
        { name: 'other', partitions: [{ partitionIndex: 0, errorCode: E.GROUP_SUBSCRIBED_TO_TOPIC }] },
      ],
    });
    h.join({ groupId: 'connect', protocolType: 'connect' });
    h.commit(commitReq('', -1, { t: { 0: 1n } }, 'connect-offsets'));
    expect(h.deleteOffsets(ask('connect', { t: [0] })).response).toEqual({ errorCode: E.NON_EMPTY_GROUP, topics: [] });
    expect(h.deleteOffsets(ask('', { t: [0] })).response).toEqual({ errorCode: E.INVALID_GROUP_ID, topics: [] });
  });
});
