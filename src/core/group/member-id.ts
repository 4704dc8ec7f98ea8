import type { Random } from '../io/random.ts';

/**
 * A member id the way Kafka forms them: the client id, a dash, and a random UUID-shaped suffix. The
 * suffix comes from the injected Random (seeded in the simulator), never from Math.random. A restarted
 * coordinator must not hand out an id an old client still holds, so production seeds from the OS.
 */
export function newMemberId(clientId: string, random: Random): string {
  const hex: string[] = [];
  for (let i = 0; i < 8; i++) hex.push(random.int(0x10000).toString(16).padStart(4, '0'));
  const uuid = `${hex[0]}${hex[1]}-${hex[2]}-${hex[3]}-${hex[4]}-${hex[5]}${hex[6]}${hex[7]}`;
  return `${clientId}-${uuid}`;
}
