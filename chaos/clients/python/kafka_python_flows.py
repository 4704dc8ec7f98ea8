"""kafka-python (python3-kafka 2.0.2) flows against a Chronik broker; prints one JSON line.

Usage: kafka_python_flows.py BOOTSTRAP. Exits non-zero, with the reason, on any failure.
"""
import json
import sys
import threading
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

bootstrap = sys.argv[1]
result = {}


def check(condition, message):
    if not condition:
        print(json.dumps({"ok": False, "error": message, "so_far": result}))
        sys.exit(1)


admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
admin.create_topics([NewTopic("kp-admin", num_partitions=3, replication_factor=1)])
check("kp-admin" in admin.list_topics(), "created topic not listed")
admin.delete_topics(["kp-admin"])
deadline = time.time() + 10
while "kp-admin" in admin.list_topics():
    check(time.time() < deadline, "deleted topic still listed")
    time.sleep(0.2)
result["admin"] = "ok"
admin.create_topics([NewTopic("kp-data", num_partitions=3, replication_factor=1)])
admin.close()

sent = []
for acks in (0, 1, "all"):
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=acks, linger_ms=5)
    futures = []
    for i in range(200):
        value = f"kp-{acks}-{i}"
        sent.append(value)
        futures.append(producer.send("kp-data", value=value.encode()))
    producer.flush(30)
    for f in futures:
        f.get(timeout=10)
    producer.close()
result["produced"] = len(sent)

# kafka-python is single-threaded per consumer and blocks in poll() until it has joined, so each
# member of the group runs on its own thread (as applications do).
got = []
lock = threading.Lock()
deadline = time.time() + 60


def member():
    consumer = KafkaConsumer("kp-data", bootstrap_servers=bootstrap, group_id="kp-three", auto_offset_reset="earliest",
                             enable_auto_commit=False, session_timeout_ms=10000, heartbeat_interval_ms=500,
                             max_poll_interval_ms=10000)
    while time.time() < deadline:
        with lock:
            if len(got) >= len(sent):
                break
        values = [r.value.decode() for records in consumer.poll(timeout_ms=200).values() for r in records]
        if values:
            consumer.commit()
            with lock:
                got.extend(values)
    consumer.close()


threads = [threading.Thread(target=member) for _ in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
check(sorted(got) == sorted(sent), f"consumed {len(got)} ({len(set(got))} distinct) of {len(sent)}")
result["consumed"] = len(got)

# Every committed partition of the group: kafka-python asks OffsetFetch v3 with null topics.
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
offsets = admin.list_consumer_group_offsets("kp-three")
check(sorted(tp.partition for tp in offsets) == [0, 1, 2], f"group offsets of kp-three: {offsets}")
result["group_offsets_total"] = sum(meta.offset for meta in offsets.values())
result["groups"] = sorted(g for g, _ in admin.list_consumer_groups() if g == "kp-three")
admin.close()
print(json.dumps({"ok": True, **result}))
