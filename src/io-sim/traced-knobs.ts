/**
 * A settings object (latency bounds, say) whose every change is reported: each key becomes an
 * accessor property, so a scenario keeps writing `faults.latency.syncMsMax = 30` and the simulator
 * still traces the change as an injected fault. A write of the value already set reports nothing.
 */
export function tracedKnobs<T extends { [K in keyof T]: number }>(initial: T, onChange: (now: T) => void): T {
  const values = { ...initial };
  const knobs = {} as T;
  for (const key of Object.keys(initial) as (keyof T & string)[]) {
    Object.defineProperty(knobs, key, {
      enumerable: true,
      get: () => values[key],
      set: (value: T[typeof key]) => {
        if (values[key] === value) return;
        values[key] = value;
        onChange({ ...values });
      },
    });
  }
  return knobs;
}
