"""Load generator on librdkafka (python3-confluent-kafka). Prints one JSON line.

  librdkafka_load.py produce BOOTSTRAP TOPIC ACKS COUNT [RATE_PER_S]
  librdkafka_load.py consume BOOTSTRAP TOPIC COUNT

produce: COUNT messages of 256 bytes, as fast as the client goes (or paced at RATE_PER_S); reports
msgs/s and delivery latency (produce() to delivery report) p50/p99/p99.9 in ms.
consume: reads COUNT messages from the beginning; reports msgs/s.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer

mode, bootstrap, topic = sys.argv[1], sys.argv[2], sys.argv[3]
payload = b"x" * 256


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def produce(acks, count, rate):
    producer = Producer({
        "bootstrap.servers": bootstrap, "acks": acks, "linger.ms": 2, "batch.num.messages": 10000,
        "queue.buffering.max.messages": 500000, "queue.buffering.max.kbytes": 1048576, "compression.type": "none",
    })
    latencies = []
    failures = []

    def sampled(t):
        # Latency is sampled on every 64th message: a Python callback per message would make the
        # client, not the broker, the bottleneck.
        return lambda err, msg: failures.append(str(err)) if err else latencies.append(time.perf_counter() - t)

    producer.produce(topic, payload)  # warm up the connection and metadata
    producer.flush(30)
    start = time.perf_counter()
    interval = 1.0 / rate if rate else 0.0
    for i in range(count):
        if interval:
            target = start + i * interval
            while time.perf_counter() < target:
                producer.poll(0)
        while True:
            try:
                if i % 64 == 0:
                    producer.produce(topic, payload, on_delivery=sampled(time.perf_counter()))
                else:
                    producer.produce(topic, payload)
                break
            except BufferError:
                producer.poll(0.001)
        if i % 1000 == 0:
            producer.poll(0)
    remaining = producer.flush(120)
    elapsed = time.perf_counter() - start
    latencies.sort()
    delivered = count - remaining
    return {
        "mode": "produce", "acks": acks, "count": count, "rate_target": rate, "sampled_failures": len(failures),
        "undelivered": remaining, "seconds": elapsed, "msgs_per_s": delivered / elapsed,
        "mb_per_s": delivered * 256 / elapsed / 1e6,
        "p50_ms": percentile(latencies, 50) * 1000 if latencies else None,
        "p99_ms": percentile(latencies, 99) * 1000 if latencies else None,
        "p999_ms": percentile(latencies, 99.9) * 1000 if latencies else None,
    }


def consume(count):
    consumer = Consumer({
        "bootstrap.servers": bootstrap, "group.id": f"bench-{time.time()}", "auto.offset.reset": "earliest",
        "enable.auto.commit": False, "fetch.max.bytes": 52428800, "max.partition.fetch.bytes": 10485760,
    })
    consumer.subscribe([topic])
    got = 0
    start = None
    deadline = time.time() + 120
    while got < count and time.time() < deadline:
        messages = consumer.consume(num_messages=10000, timeout=1.0)
        if messages and start is None:
            start = time.perf_counter()
        got += sum(1 for m in messages if not m.error())
    elapsed = time.perf_counter() - (start or time.perf_counter())
    consumer.close()
    return {"mode": "consume", "count": got, "seconds": elapsed, "msgs_per_s": got / elapsed if elapsed > 0 else None}


if mode == "produce":
    acks, count = sys.argv[4], int(sys.argv[5])
    rate = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    print(json.dumps(produce(acks, count, rate)))
else:
    print(json.dumps(consume(int(sys.argv[4]))))
