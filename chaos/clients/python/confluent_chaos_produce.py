"""librdkafka (confluent-kafka) as a chaos workload: an idempotent acks=all producer sends one value
every PACE_MS for DURATION_S seconds, value PREFIX<i> to partition i % PARTITIONS of TOPIC, then
flushes for at most FLUSH_S seconds. Prints one JSON line per value, in the history's terms:
{"v": value, "p": partition, "t0": ms, "t1": ms or null, "ok": bool, "offset": n or null, "err": text}
(times in ms since the epoch; t1 null when no delivery report came). Retries are librdkafka's own."""
import json
import sys
import time

from confluent_kafka import KafkaException, Producer

bootstrap, topic, partitions, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
duration_s, pace_ms, flush_s = float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
producer = Producer({
    'bootstrap.servers': bootstrap,
    'enable.idempotence': True,
    'acks': 'all',
    'linger.ms': 5,
    'message.timeout.ms': int(max(5000, (duration_s + flush_s) * 1000 / 2)),
    'socket.timeout.ms': 10000,
})
ops = {}


def report(err, msg):
    op = ops[msg.value().decode()]
    op['t1'] = time.time() * 1000
    if err is None:
        op['ok'] = True
        op['offset'] = msg.offset()
    else:
        op['err'] = str(err)


end = time.time() + duration_s
i = 0
fatal = None
try:
    while time.time() < end:
        value = f'{prefix}{i}'
        ops[value] = {'v': value, 'p': i % partitions, 't0': time.time() * 1000, 't1': None, 'ok': False, 'offset': None, 'err': None}
        try:
            producer.produce(topic, value=value.encode(), partition=i % partitions, on_delivery=report)
        except BufferError as e:
            ops[value]['err'] = f'local queue full: {e}'
            ops[value]['t1'] = time.time() * 1000
        i += 1
        producer.poll(pace_ms / 1000)
    producer.flush(flush_s)
except KafkaException as e:
    # A fatal error (e.g. the broker lost acknowledged sequence numbers): the producer is unusable;
    # what it had not reported stays unknown.
    fatal = str(e)
for op in ops.values():
    print(json.dumps(op))
if fatal is not None:
    print(json.dumps({'fatal': fatal}))
