/**
 * IncrementalAlterConfigs (key 44), version 0 only (1+ is flexible), for `chronik topics
 * alter-config`. Chronik's codec in src/core/protocol does not implement this API (the broker does
 * not advertise it yet), so the CLI writes and reads it itself, on WireConnection.requestCustom.
 *
 * Request:  resources ARRAY(resource_type INT8, resource_name STRING,
 *             configs ARRAY(name STRING, config_operation INT8, value NULLABLE_STRING)),
 *           validate_only BOOLEAN
 * Response: throttle_time_ms INT32, responses ARRAY(error_code INT16, error_message NULLABLE_STRING,
 *             resource_type INT8, resource_name STRING)
 */
import type { Reader, Writer } from '../core/protocol/index.ts';

export const incrementalAlterConfigsVersion = 0;

/** Kafka's AlterConfigOp.OpType values. */
export const ConfigOperation = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface IncrementalAlterableConfig {
  readonly name: string;
  readonly configOperation: number;
  readonly value: string | null;
}

export interface IncrementalAlterConfigsResource {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly configs: readonly IncrementalAlterableConfig[];
}

export interface IncrementalAlterConfigsResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly resourceType: number;
  readonly resourceName: string;
}

export function writeIncrementalAlterConfigsRequest(w: Writer, resources: readonly IncrementalAlterConfigsResource[], validateOnly: boolean): void {
  w.array(resources, (res, resource) => {
    res.int8(resource.resourceType).string(resource.resourceName);
    res.array(resource.configs, (c, config) => void c.string(config.name).int8(config.configOperation).nullableString(config.value));
  });
  w.bool(validateOnly);
}

export function readIncrementalAlterConfigsResponse(r: Reader): IncrementalAlterConfigsResult[] {
  r.int32(); // throttle_time_ms
  return r.array(7, (res) => ({
    errorCode: res.int16(),
    errorMessage: res.nullableString(),
    resourceType: res.int8(),
    resourceName: res.string(),
  }));
}
