/**
 * Which GroupDriver coordinates a group on this broker. A single node coordinates every group with
 * its one driver; a cluster broker coordinates the groups whose offsets partition it leads (and
 * answers NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS for the rest, so clients ask
 * FindCoordinator again).
 */
import type { GroupDriver } from './group-driver.ts';

export interface GroupRouter {
  /** The driver coordinating `groupId` here, or the Kafka error code to answer instead. */
  route(groupId: string): GroupDriver | number;
  /** Every driver on this broker (ListGroups lists the groups of each). */
  all(): readonly GroupDriver[];
}

export function singleDriverRouter(driver: GroupDriver): GroupRouter {
  return { route: () => driver, all: () => [driver] };
}
