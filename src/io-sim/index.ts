export { Simulation, SimNode, type BootFn, type NodeHandle, type SimulationOptions } from './simulation.ts';
export type { DiskDamage, DiskFaults, DiskBugs, DiskLatency } from './sim-disk.ts';
export { sectorBytes } from './sim-disk.ts';
export { SimWallClock, wallClockOriginMs, type WallClockFaults } from './wall-clock.ts';
export type { NetworkBugs, LinkLatency } from './sim-network.ts';
export type { SimObserver, StateSample, StateSampler } from './observer.ts';
export type { TraceEvent } from './trace.ts';
export * from './sim-probes.ts';
