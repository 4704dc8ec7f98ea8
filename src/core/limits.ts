/**
 * Every queue, buffer, batch and in-flight window in Chronik has a maximum, and they live here,
 * together, with the relations between them asserted at load time. A subsystem adds its own section;
 * a limit that a user may change is a default here and a config option elsewhere.
 */
import { assert } from './assert.ts';

// ---- network framing ----------------------------------------------------------------------------
/** Largest Kafka request frame accepted (configurable per broker; this is the default). */
export const requestBytesMaxDefault = 100 * 1024 * 1024;
/** Outgoing bytes queued on one connection before writers are asked to wait for drain. */
export const connectionWriteBufferBytesHighWater = 4 * 1024 * 1024;

// ---- simulator ----------------------------------------------------------------------------------
/** Events one simulation run may process before it is declared stuck. */
export const simEventsMax = 50_000_000;

assert(connectionWriteBufferBytesHighWater < requestBytesMaxDefault, 'write buffer below request limit');
