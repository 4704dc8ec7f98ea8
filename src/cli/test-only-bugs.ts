/**
 * Test only, never documented for users: CHRONIK_TEST_ONLY_BUGS plants known bugs in a real
 * `chronik start` process, so a real-process chaos scenario (chaos/scenarios/, docs/chaos.md) can
 * show that it catches them. The value is JSON with the simulator's sections
 * (SimulationOptions.plantedBugs, minus its simulated disk and network):
 *
 *   CHRONIK_TEST_ONLY_BUGS='{"replication":{"acksAllBeforeIsr":true},"broker":{"stopSkipsFlush":true}}'
 *
 * - replication: ReplicationBugs (src/core/cluster/partition-replica.ts)
 * - broker: BrokerBugs, with ConnectionBugs and FramingBugs (src/core/broker/options.ts, connection.ts,
 *   src/core/protocol/framing.ts)
 * - log: PartitionLogBugs (src/core/log/partition-log.ts)
 * - offsets: OffsetStoreBugs (src/core/group/offset-store.ts)
 * - controller: ControllerBugs (src/core/metadata/partition-policy.ts)
 *
 * Every switch is a boolean. An unknown section or switch, or a value that is not a boolean, is a
 * start-up error: a planted bug that silently does nothing would make a chaos scenario "catch" nothing.
 */
import type { ReplicationBugs } from '../core/cluster/partition-replica.ts';
import type { BrokerBugs } from '../core/broker/options.ts';
import type { OffsetStoreBugs } from '../core/group/offset-store.ts';
import type { PartitionLogBugs } from '../core/log/partition-log.ts';
import type { ControllerBugs } from '../core/metadata/partition-policy.ts';

export const testOnlyBugsVariable = 'CHRONIK_TEST_ONLY_BUGS';
/** The variable this one replaced (replication bugs only); set, it is an error rather than ignored. */
const replacedVariable = 'CHRONIK_TEST_ONLY_REPLICATION_BUGS';

export interface TestOnlyBugs {
  readonly replication?: ReplicationBugs;
  readonly broker?: BrokerBugs;
  readonly log?: PartitionLogBugs;
  readonly offsets?: OffsetStoreBugs;
  readonly controller?: ControllerBugs;
}

// Every switch of each interface, checked by the compiler both ways (`satisfies` a Record over the
// interface's keys: a switch added there and not here, or a name here that is not there, fails tsc).
const switches = {
  replication: { hwIgnoresFollowers: true, truncateToHighWatermark: true, offsetsAckBeforeReplication: true, acksAllBeforeIsr: true, readsAboveHighWatermark: true, isrNeverExpands: true, keepsLeadingUnreadableLog: true } satisfies Record<keyof ReplicationBugs, true>,
  broker: { stopSkipsFlush: true, reorderResponses: true, dropSecondFrameOfRead: true, produceOffsetOffByOne: true, metadataListsOnlySelf: true, duplicateRetriesAppended: true } satisfies Record<keyof BrokerBugs, true>,
  log: { ackBeforeSync: true, stopSkipsFlush: true, retryFailedSync: true, recoverySkipsCrc: true, segmentAgeByWallClock: true, recoveryEndsAtReadError: true, readSkipsCrc: true } satisfies Record<keyof PartitionLogBugs, true>,
  offsets: { ackBeforeSync: true } satisfies Record<keyof OffsetStoreBugs, true>,
  controller: { electOutsideIsr: true, producerIdBlockRepeated: true, restartKeepsLeadership: true, sessionsNeverExpire: true } satisfies Record<keyof ControllerBugs, true>,
} satisfies Record<keyof TestOnlyBugs, object>;

export class TestOnlyBugsError extends Error {
  override name = 'TestOnlyBugsError';
}

/** The planted bugs in `env` ({} when unset); throws TestOnlyBugsError naming what is wrong. */
export function parseTestOnlyBugs(env: Record<string, string | undefined>): TestOnlyBugs {
  if (env[replacedVariable] !== undefined && env[replacedVariable] !== '') {
    throw new TestOnlyBugsError(`${replacedVariable} is replaced by ${testOnlyBugsVariable}='{"replication":{...}}'`);
  }
  const text = env[testOnlyBugsVariable];
  if (text === undefined || text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TestOnlyBugsError(`${testOnlyBugsVariable} is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new TestOnlyBugsError(`${testOnlyBugsVariable} must be a JSON object of sections (${Object.keys(switches).join(', ')})`);
  const bugs: Record<string, Record<string, boolean>> = {};
  for (const [section, value] of Object.entries(parsed)) {
    const known = (switches as Record<string, Record<string, true>>)[section];
    if (known === undefined || !Object.hasOwn(switches, section)) {
      throw new TestOnlyBugsError(`${testOnlyBugsVariable}: unknown section '${section}'; known: ${Object.keys(switches).join(', ')}`);
    }
    if (!isObject(value)) throw new TestOnlyBugsError(`${testOnlyBugsVariable}: section '${section}' must be an object of switches`);
    for (const [name, on] of Object.entries(value)) {
      if (!Object.hasOwn(known, name)) {
        throw new TestOnlyBugsError(`${testOnlyBugsVariable}: unknown switch '${section}.${name}'; known: ${Object.keys(known).join(', ')}`);
      }
      if (typeof on !== 'boolean') throw new TestOnlyBugsError(`${testOnlyBugsVariable}: '${section}.${name}' must be true or false`);
    }
    bugs[section] = { ...value } as Record<string, boolean>;
  }
  return bugs as TestOnlyBugs;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
