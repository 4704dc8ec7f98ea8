"""librdkafka (python3-confluent-kafka) pushes big messages as fast as it can; prints one JSON line.

Usage: confluent_big_messages.py BOOTSTRAP TOPIC PARTITIONS COUNT MESSAGE_BYTES

Creates TOPIC with PARTITIONS partitions, produces COUNT messages of MESSAGE_BYTES each with acks=all
and many requests in flight, waits for every delivery report, then reads the partitions' high
watermarks. Reports how many were delivered, failed and stored, every error the client saw, and
librdkafka's own count of broker disconnects (from its statistics). Exits non-zero only when the
client cannot run at all; the caller judges the numbers.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, topic = sys.argv[1], sys.argv[2]
partitions, count, message_bytes = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

errors = []
last_stats = {}
peaks = {"waitresp_msg_cnt_max": 0, "outbuf_msg_cnt_max": 0, "msg_size_queued_max": 0}


def on_error(err):
    errors.append(str(err))


def on_stats(text):
    global last_stats
    last_stats = json.loads(text)
    brokers = [b for b in last_stats.get("brokers", {}).values() if b.get("nodeid", -1) >= 0]
    # Messages in produce requests sent and not yet answered, and waiting to be sent, on the broker connection.
    peaks["waitresp_msg_cnt_max"] = max(peaks["waitresp_msg_cnt_max"], sum(b.get("waitresp_msg_cnt", 0) for b in brokers))
    peaks["outbuf_msg_cnt_max"] = max(peaks["outbuf_msg_cnt_max"], sum(b.get("outbuf_msg_cnt", 0) for b in brokers))
    peaks["msg_size_queued_max"] = max(peaks["msg_size_queued_max"], last_stats.get("msg_size", 0))


def broker_counters():
    """librdkafka's per-broker counters summed over the real broker connections (not the bootstrap alias)."""
    brokers = [b for b in last_stats.get("brokers", {}).values() if b.get("nodeid", -1) >= 0]
    return {key: sum(b.get(key, 0) for b in brokers) for key in ("connects", "disconnects", "req_timeouts", "txerrs")}


def create_topic():
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)], operation_timeout=10)[topic].result(timeout=30)


def produce():
    producer = Producer({
        "bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5, "compression.type": "none",
        "message.max.bytes": max(1_000_000, message_bytes + 4096), "batch.size": max(1_000_000, message_bytes + 4096),
        "queue.buffering.max.kbytes": 2_097_151, "queue.buffering.max.messages": 1_000_000,
        "max.in.flight.requests.per.connection": 1_000_000, "message.timeout.ms": 300_000, "request.timeout.ms": 120_000,
        "socket.send.buffer.bytes": 0, "statistics.interval.ms": 200, "stats_cb": on_stats, "error_cb": on_error,
    })
    payload = b"m" * message_bytes
    outcome = {"delivered": 0, "failed": 0, "failures": []}

    def report(err, _msg):
        if err is None:
            outcome["delivered"] += 1
        else:
            outcome["failed"] += 1
            if len(outcome["failures"]) < 5:
                outcome["failures"].append(str(err))

    start = time.perf_counter()
    for i in range(count):
        while True:
            try:
                producer.produce(topic, payload, partition=i % partitions, on_delivery=report)
                break
            except BufferError:
                producer.poll(0.005)
        producer.poll(0)
    undelivered = producer.flush(300)
    seconds = time.perf_counter() - start
    producer.poll(0.5)  # one more statistics callback after the last delivery
    outcome.update({"undelivered": undelivered, "seconds": seconds})
    return outcome


def stored():
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"big-{time.time()}"})
    total = sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in range(partitions))
    consumer.close()
    return total


create_topic()
result = produce()
result["stored"] = stored()
result["errors"] = errors[:10]
result["error_count"] = len(errors)
result.update(broker_counters())
result.update(peaks)
result["mb_per_s"] = result["delivered"] * message_bytes / result["seconds"] / 1e6
print(json.dumps(result))
