"""librdkafka (python3-confluent-kafka) flows against a Chronik broker; prints one JSON line.

Usage: confluent_flows.py BOOTSTRAP. Exits non-zero, with the reason, on any failure.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = sys.argv[1]
result = {}


def check(condition, message):
    if not condition:
        print(json.dumps({"ok": False, "error": message, "so_far": result}))
        sys.exit(1)


def admin_flow(admin):
    futures = admin.create_topics([NewTopic("rd-admin", num_partitions=3, replication_factor=1)], operation_timeout=10)
    futures["rd-admin"].result(timeout=15)
    topics = admin.list_topics(timeout=10).topics
    check("rd-admin" in topics and len(topics["rd-admin"].partitions) == 3, "created topic not listed with 3 partitions")
    admin.delete_topics(["rd-admin"], operation_timeout=10)["rd-admin"].result(timeout=15)
    deadline = time.time() + 10
    while "rd-admin" in admin.list_topics(timeout=10).topics:
        check(time.time() < deadline, "deleted topic still listed")
        time.sleep(0.2)
    result["admin"] = "ok"


def unknown_topic_commit():
    """A commit naming a topic that does not exist fails for it; the existing partition is stored."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "rd-unknown-commit", "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[TopicPartition("rd-acks", 0, 7), TopicPartition("rd-no-such-topic", 0, 5)], asynchronous=False)
        check(False, "a commit for a topic that does not exist succeeded")
    except KafkaException as e:
        check(e.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART, f"commit on an unknown topic: {e.args[0]}")
    stored = consumer.committed([TopicPartition("rd-acks", 0)], timeout=10)
    check(stored[0].offset == 7, f"the existing partition's commit was not stored: {stored[0].offset}")
    consumer.close()
    result["unknown_commit"] = "UNKNOWN_TOPIC_OR_PART"


def transactions_refused():
    """Chronik has no transactions: init_transactions must fail at once with a fatal error, not time out."""
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": "rd-tx"})
    started = time.time()
    try:
        producer.init_transactions(10)
        check(False, "init_transactions succeeded")
    except KafkaException as e:
        error = e.args[0]
        elapsed_s = round(time.time() - started, 3)
        check(error.code() == KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, f"init_transactions: {error}")
        check(error.fatal() and not error.retriable(), f"init_transactions error is not fatal: {error}")
        check("Chronik does not support transactions" in error.str(), f"init_transactions message: {error.str()}")
        result["transactions"] = {"error": error.name(), "fatal": True, "elapsed_s": elapsed_s}


def produce(topic, acks, count, idempotent=False):
    config = {"bootstrap.servers": bootstrap, "acks": str(acks), "linger.ms": 5}
    if idempotent:
        config["enable.idempotence"] = True
    producer = Producer(config)
    delivered = []
    errors = []

    def on_delivery(err, msg):
        (errors if err else delivered).append(str(err) if err else msg.value().decode())

    for i in range(count):
        producer.produce(topic, value=f"{topic}-{acks}-{i}".encode(), on_delivery=on_delivery)
        producer.poll(0)
    remaining = producer.flush(30)
    check(remaining == 0, f"{remaining} messages still queued after flush")
    check(not errors, f"delivery errors: {errors[:3]}")
    return delivered


def make_consumers(topic, group, members):
    consumers = [
        Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "session.timeout.ms": 10000, "heartbeat.interval.ms": 500})
        for _ in range(members)
    ]
    assigned = {}
    for i, c in enumerate(consumers):
        c.subscribe([topic], on_assign=lambda consumer, parts, i=i: assigned.__setitem__(i, [p.partition for p in parts]))
    return consumers, assigned


def consume(consumers, expected, timeout_s=40):
    values = []
    deadline = time.time() + timeout_s
    while len(values) < expected and time.time() < deadline:
        for c in consumers:
            batch = [m for m in c.consume(num_messages=500, timeout=0.1) if not m.error()]
            if batch:
                values += [m.value().decode() for m in batch]
                c.commit(asynchronous=False)
    for c in consumers:
        c.close()
    return values


admin = AdminClient({"bootstrap.servers": bootstrap})
admin_flow(admin)

sent = []
for acks in (0, 1, -1):
    sent += produce("rd-acks", acks, 200)
check(len(sent) == 600, f"delivered {len(sent)} of 600")
got = consume(make_consumers("rd-acks", "rd-reader", 1)[0], 600)
check(sorted(got) == sorted(sent), f"consumed {len(got)} messages, {len(set(got))} distinct, expected 600")
result["acks"] = len(got)

sent = produce("rd-idem", -1, 300, idempotent=True)
got = consume(make_consumers("rd-idem", "rd-idem-reader", 1)[0], 300)
check(got == sent, f"idempotent: consumed {len(got)}, expected 300 in order")
result["idempotent"] = len(got)

# A group of three: wait until the group has settled with one partition each, then produce, so the
# count checks delivery rather than a rebalance's replays.
admin.create_topics([NewTopic("rd-group", num_partitions=3, replication_factor=1)])["rd-group"].result(timeout=15)
consumers, assigned = make_consumers("rd-group", "rd-three", 3)
deadline = time.time() + 30
while len(assigned) < 3 or sorted(p for parts in assigned.values() for p in parts) != [0, 1, 2]:
    check(time.time() < deadline, f"group of three never settled: {assigned}")
    for c in consumers:
        c.poll(0.05)
result["assignment"] = {str(k): v for k, v in sorted(assigned.items())}
sent = produce("rd-group", -1, 300)
got = consume(consumers, 300)
check(len(got) == 300 and len(set(got)) == 300, f"group of three consumed {len(got)} ({len(set(got))} distinct) of 300")
result["group"] = len(got)

unknown_topic_commit()
transactions_refused()
print(json.dumps({"ok": True, **result}))
