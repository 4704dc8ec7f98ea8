"""Paced idempotent acks=all producer for the failover bench (librdkafka via python3-confluent-kafka).

  failover_producer.py BOOTSTRAP TOPIC RATE_PER_S

Prints {"event": "ready"} once a first message is acknowledged, then sends RATE_PER_S messages of 256
bytes a second until a line (or end of file) arrives on stdin; then waits for every delivery report
and prints one JSON line: for each message the wall-clock send and acknowledgement times (ms since
the epoch, as the bench's own clock and the brokers' log times), and the failures. librdkafka's
metadata debug lines go to stderr with their own wall-clock times: the bench reads from them when
the client learned of the new leader. Client settings are librdkafka's defaults except those below.
"""
import json
import sys
import threading
import time

from confluent_kafka import Producer

bootstrap, topic, rate = sys.argv[1], sys.argv[2], int(sys.argv[3])
config = {
    "bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 0,
    "message.timeout.ms": 30000, "debug": "metadata",
}
producer = Producer(config)
payload = b"x" * 256
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()

sent_ms = []
acked_ms = []
failures = []


def report(index):
    def on_delivery(err, msg):
        if err:
            failures.append(str(err))
        else:
            acked_ms[index] = time.time() * 1000
    return on_delivery


def send():
    index = len(sent_ms)
    sent_ms.append(time.time() * 1000)
    acked_ms.append(None)
    producer.produce(topic, payload, on_delivery=report(index))


send()
producer.flush(30)
print(json.dumps({"event": "ready"}), flush=True)
start = time.perf_counter()
interval = 1.0 / rate
n = 0
while not stop.is_set():
    n += 1
    target = start + n * interval
    while time.perf_counter() < target:
        producer.poll(max(0.0, min(0.001, target - time.perf_counter())))
    send()
remaining = producer.flush(60)
config.pop("debug")
print(json.dumps({
    "event": "done", "config": config, "rate": rate, "undelivered": remaining, "failures": failures[:5],
    "failure_count": len(failures), "sent_ms": [round(t, 1) for t in sent_ms],
    "acked_ms": [None if t is None else round(t, 1) for t in acked_ms],
}), flush=True)
