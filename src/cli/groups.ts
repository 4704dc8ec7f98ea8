/**
 * `chronik groups list|describe|reset-offsets`: consumer groups over the Kafka protocol, in the
 * manner of Kafka's kafka-consumer-groups.sh (reset-offsets is a dry run unless --execute).
 */
import type { Command } from 'commander';
import {
  ApiKey,
  ErrorCode,
  ListOffsetsTimestamp,
  Reader,
  type DescribedGroup,
  type DescribedGroupMember,
  type MetadataResponse,
} from '../core/protocol/index.ts';
import { withAdmin, type AdminClient } from './admin-client.ts';
import { CliError, brokerError, runClientCommand, usageError } from './cli-error.ts';
import { offsetOption, withBootstrap } from './options.ts';
import { formatTable } from './table.ts';
import type { WireConnection } from './wire.ts';

interface BootstrapFlags {
  bootstrap?: string;
}

interface ResetFlags extends BootstrapFlags {
  topic: string;
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: bigint;
  execute?: boolean;
}

export function addGroupsCommand(program: Command): void {
  const groups = program.command('groups').description('list and describe consumer groups, reset their committed offsets');
  withBootstrap(groups.command('list').description('print every group with its state and protocol type')).action((flags: BootstrapFlags) =>
    runClientCommand('groups list', () => listGroups(flags)),
  );
  withBootstrap(
    groups
      .command('describe')
      .description('print state and members of groups, and per partition the committed offset, log end offset and lag')
      .argument('<groups...>', 'group ids'),
  ).action((groupIds: string[], flags: BootstrapFlags) => runClientCommand('groups describe', () => describeGroups(groupIds, flags)));
  withBootstrap(
    groups
      .command('reset-offsets')
      .description("move a group's committed offsets on a topic; prints the plan only, unless --execute (the group must have no active members)")
      .argument('<group>', 'group id')
      .requiredOption('--topic <topic>', 'the topic whose offsets move (every partition of it)')
      .option('--to-earliest', 'to the first offset still in each partition')
      .option('--to-latest', 'to the end of each partition (skip everything written so far)')
      .option('--to-offset <n>', 'to offset n in every partition (clamped to what each partition holds)', offsetOption)
      .option('--execute', 'commit the new offsets (without it nothing changes: a dry run)'),
  ).action((groupId: string, flags: ResetFlags) => runClientCommand('groups reset-offsets', () => resetOffsets(groupId, flags)));
}

async function listGroups(flags: BootstrapFlags): Promise<void> {
  await withAdmin(flags.bootstrap, async (admin) => {
    const rows: string[][] = [];
    for (const connection of await admin.allNodes()) {
      const version = connection.version(ApiKey.ListGroups, 'ListGroups', 4);
      const answer = await connection.request(ApiKey.ListGroups, version, version >= 4 ? { statesFilter: [] } : {});
      if (answer.errorCode !== ErrorCode.NONE) throw brokerError(`listing the groups of the broker at ${connection.address.host}:${connection.address.port}`, answer.errorCode);
      for (const g of answer.groups) rows.push([g.groupId, g.groupState ?? '?', g.protocolType || '-']);
    }
    rows.sort((a, b) => a[0]!.localeCompare(b[0]!));
    console.log(formatTable(['GROUP', 'STATE', 'PROTOCOL-TYPE'], rows));
  });
}

/** DescribeGroups of one group on its coordinator; "Dead" (unknown) is returned as it is. */
async function describeGroup(coordinator: WireConnection, groupId: string): Promise<DescribedGroup> {
  const answer = await coordinator.request(ApiKey.DescribeGroups, coordinator.version(ApiKey.DescribeGroups, 'DescribeGroups', 4), {
    groups: [groupId],
    includeAuthorizedOperations: false,
  });
  const group = answer.groups.find((g) => g.groupId === groupId);
  if (group === undefined) throw new CliError(`the broker did not describe group '${groupId}'`);
  if (group.errorCode !== ErrorCode.NONE) throw brokerError(`describing group '${groupId}'`, group.errorCode);
  return group;
}

type PartitionKey = `${string}\u0000${number}`;
const keyOf = (topic: string, partition: number): PartitionKey => `${topic}\u0000${partition}`;

/** Every committed offset of a group (OffsetFetch with null topics). */
async function committedOffsets(coordinator: WireConnection, groupId: string): Promise<Map<PartitionKey, bigint>> {
  const version = coordinator.version(ApiKey.OffsetFetch, 'OffsetFetch', 7);
  if (version < 2) throw new CliError(`the broker at ${coordinator.address.host}:${coordinator.address.port} cannot list all of a group's offsets (OffsetFetch below v2)`);
  const answer = await coordinator.request(ApiKey.OffsetFetch, version, { groupId, topics: null, requireStable: false });
  if (answer.errorCode !== ErrorCode.NONE) throw brokerError(`fetching the offsets of group '${groupId}'`, answer.errorCode);
  const offsets = new Map<PartitionKey, bigint>();
  for (const topic of answer.topics) {
    for (const p of topic.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw brokerError(`fetching the offset of group '${groupId}' on ${topic.name}/${p.partitionIndex}`, p.errorCode);
      if (p.committedOffset >= 0n) offsets.set(keyOf(topic.name, p.partitionIndex), p.committedOffset);
    }
  }
  return offsets;
}

/** The earliest or latest offset of each partition, asked of each partition's leader. */
async function logOffsets(admin: AdminClient, metadata: MetadataResponse, topics: ReadonlySet<string>, timestamp: bigint): Promise<Map<PartitionKey, bigint>> {
  const byLeader = new Map<number, Map<string, number[]>>();
  for (const topic of metadata.topics) {
    if (!topics.has(topic.name) || topic.errorCode !== ErrorCode.NONE) continue;
    for (const p of topic.partitions) {
      if (p.leaderId < 0) throw new CliError(`partition ${topic.name}/${p.partitionIndex} has no leader right now; try again shortly`);
      const forLeader = byLeader.get(p.leaderId) ?? new Map<string, number[]>();
      byLeader.set(p.leaderId, forLeader);
      forLeader.set(topic.name, [...(forLeader.get(topic.name) ?? []), p.partitionIndex]);
    }
  }
  const offsets = new Map<PartitionKey, bigint>();
  for (const [leaderId, partitions] of byLeader) {
    const leader = await admin.node(leaderId);
    const version = leader.version(ApiKey.ListOffsets, 'ListOffsets', 5);
    const answer = await leader.request(ApiKey.ListOffsets, version, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [...partitions].map(([name, indexes]) => ({
        name,
        partitions: indexes.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })),
      })),
    });
    for (const topic of answer.topics) {
      for (const p of topic.partitions) {
        if (p.errorCode !== ErrorCode.NONE) throw brokerError(`listing the offsets of ${topic.name}/${p.partitionIndex}`, p.errorCode);
        offsets.set(keyOf(topic.name, p.partitionIndex), version === 0 ? (p.oldStyleOffsets[0] ?? -1n) : p.offset);
      }
    }
  }
  return offsets;
}

/** The partitions a consumer-protocol member was assigned, or [] when the assignment is not one. */
function assignedPartitions(member: DescribedGroupMember, protocolType: string): [string, number][] {
  if (protocolType !== 'consumer' || member.memberAssignment.byteLength < 2) return [];
  try {
    const r = new Reader(member.memberAssignment);
    r.int16(); // version
    return r.array(6, (t) => {
      const topic = t.string();
      return t.array(4, (p) => p.int32()).map((partition): [string, number] => [topic, partition]);
    }).flat();
  } catch {
    return [];
  }
}

async function describeGroups(groupIds: string[], flags: BootstrapFlags): Promise<void> {
  await withAdmin(flags.bootstrap, async (admin) => {
    const blocks: string[] = [];
    for (const groupId of groupIds) blocks.push(await describeOneGroup(admin, groupId));
    console.log(blocks.join('\n\n'));
  });
}

async function describeOneGroup(admin: AdminClient, groupId: string): Promise<string> {
  const coordinator = await admin.coordinator(groupId);
  const group = await describeGroup(coordinator, groupId);
  if (group.groupState === 'Dead') throw new CliError(`unknown group '${groupId}': \`chronik groups list\` shows the groups that exist`);
  const committed = await committedOffsets(coordinator, groupId);
  const owner = new Map<PartitionKey, string>();
  for (const member of group.members) for (const [topic, partition] of assignedPartitions(member, group.protocolType)) owner.set(keyOf(topic, partition), member.memberId);
  const keys = [...new Set([...committed.keys(), ...owner.keys()])];
  const topics = new Set(keys.map((k) => k.split('\u0000')[0]!));
  const metadata = await admin.metadata([...topics]);
  const ends = await logOffsets(admin, metadata, topics, ListOffsetsTimestamp.LATEST);
  const rows = keys
    .map((k) => ({ topic: k.split('\u0000')[0]!, partition: Number(k.split('\u0000')[1]), key: k }))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map(({ topic, partition, key }) => {
      const offset = committed.get(key);
      const end = ends.get(key);
      const lag = offset !== undefined && end !== undefined ? String(end > offset ? end - offset : 0n) : '-';
      return [topic, String(partition), offset?.toString() ?? '-', end?.toString() ?? '-', lag, owner.get(key) ?? '-'];
    });
  const members = group.members.map((m) => [m.memberId, m.clientId, m.clientHost, String(assignedPartitions(m, group.protocolType).length)]);
  const protocol = group.protocolType === '' ? '-' : `${group.protocolType}${group.protocolData === '' ? '' : `/${group.protocolData}`}`;
  return [
    `Group: ${groupId}  State: ${group.groupState}  Protocol: ${protocol}  Members: ${group.members.length}`,
    ...(members.length > 0 ? [formatTable(['MEMBER-ID', 'CLIENT-ID', 'HOST', 'PARTITIONS'], members, '  ')] : []),
    rows.length > 0 ? formatTable(['TOPIC', 'PARTITION', 'COMMITTED-OFFSET', 'LOG-END-OFFSET', 'LAG', 'MEMBER-ID'], rows, '  ') : '  (no committed offsets)',
  ].join('\n');
}

function resetTarget(flags: ResetFlags): 'earliest' | 'latest' | bigint {
  const given = [flags.toEarliest === true, flags.toLatest === true, flags.toOffset !== undefined].filter(Boolean).length;
  if (given !== 1) throw usageError('give exactly one of --to-earliest, --to-latest, --to-offset <n>');
  return flags.toEarliest === true ? 'earliest' : flags.toLatest === true ? 'latest' : flags.toOffset!;
}

async function resetOffsets(groupId: string, flags: ResetFlags): Promise<void> {
  const target = resetTarget(flags);
  await withAdmin(flags.bootstrap, async (admin) => {
    const coordinator = await admin.coordinator(groupId);
    const group = await describeGroup(coordinator, groupId);
    if (group.members.length > 0) {
      throw new CliError(
        `group '${groupId}' has ${group.members.length} active member(s) (state ${group.groupState}): stop its consumers first; offsets can be reset only while the group is empty`,
      );
    }
    const metadata = await admin.requireTopics([flags.topic]);
    const topics = new Set([flags.topic]);
    const earliest = await logOffsets(admin, metadata, topics, ListOffsetsTimestamp.EARLIEST);
    const latest = await logOffsets(admin, metadata, topics, ListOffsetsTimestamp.LATEST);
    const committed = await committedOffsets(coordinator, groupId);
    const partitions = metadata.topics[0]!.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b);
    const plan = partitions.map((partition) => {
      const key = keyOf(flags.topic, partition);
      const low = earliest.get(key)!;
      const high = latest.get(key)!;
      const wanted = target === 'earliest' ? low : target === 'latest' ? high : target;
      const offset = wanted < low ? low : wanted > high ? high : wanted;
      return { partition, current: committed.get(key), offset, clamped: offset !== wanted };
    });
    const anyClamped = plan.some((p) => p.clamped);
    const rows = plan.map((p) => [
      flags.topic,
      String(p.partition),
      p.current?.toString() ?? '-',
      p.offset.toString(),
      ...(anyClamped ? [p.clamped ? `${String(target)} is outside the partition` : ''] : []),
    ]);
    console.log(formatTable(['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET', ...(anyClamped ? ['NOTE'] : [])], rows));
    if (flags.execute !== true) {
      console.log(`Dry run: nothing changed. Add --execute to commit these offsets for group ${groupId}.`);
      return;
    }
    await commitOffsets(coordinator, groupId, flags.topic, plan);
    console.log(`Committed the new offsets of group ${groupId} on ${plan.length} partition(s) of ${flags.topic}.`);
  });
}

/** A commit outside group management (generation -1, no member): accepted only for an empty group. */
async function commitOffsets(coordinator: WireConnection, groupId: string, topic: string, plan: readonly { partition: number; offset: bigint }[]): Promise<void> {
  const answer = await coordinator.request(ApiKey.OffsetCommit, coordinator.version(ApiKey.OffsetCommit, 'OffsetCommit', 7), {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [
      {
        name: topic,
        partitions: plan.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })),
      },
    ],
  });
  for (const t of answer.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw brokerError(`committing the offset of group '${groupId}' on ${t.name}/${p.partitionIndex}`, p.errorCode);
    }
  }
}
