"""Static membership (KIP-345) with librdkafka (python3-confluent-kafka); prints one JSON line.

Usage: confluent_static_membership.py BOOTSTRAP. Exits non-zero, with the reason, on any failure.

Consumers A and B (group.instance.id static-a and static-b) share a 4-partition topic. A closes
(librdkafka sends no LeaveGroup for a static member) and a new process with A's instance id joins
within the session timeout: it must get A's partitions back while B sees no revocation and no new
assignment. Then a third process claims static-a while the second is alive: the second is fenced
(FENCED_INSTANCE_ID, a fatal error in librdkafka). Every wait has a deadline; the whole run takes
about 15 s.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = sys.argv[1]
topic = "rd-static"
group = "rd-static-group"
result = {}


def check(condition, message):
    if not condition:
        print(json.dumps({"ok": False, "error": message, "so_far": result}))
        sys.exit(1)


class Member:
    """One consumer process with its rebalance callbacks and fatal errors recorded."""

    def __init__(self, name, instance_id):
        self.name = name
        self.events = []
        self.errors = []
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "group.instance.id": instance_id,
            "client.id": name,
            "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 500,
            "max.poll.interval.ms": 30000,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "socket.timeout.ms": 5000,
            "error_cb": lambda err: self.errors.append(err),
        })
        self.consumer.subscribe(
            [topic],
            on_assign=lambda _c, parts: self.events.append(("assign", sorted(p.partition for p in parts))),
            on_revoke=lambda _c, parts: self.events.append(("revoke", sorted(p.partition for p in parts))),
        )

    def poll(self, seconds=0.1):
        msg = self.consumer.poll(seconds)
        if msg is not None and msg.error() is not None:
            self.errors.append(msg.error())

    def assigned(self):
        return sorted(p.partition for p in self.consumer.assignment())


def poll_until(members, condition, seconds, what):
    deadline = time.time() + seconds
    while not condition():
        check(time.time() < deadline, f"timed out after {seconds} s waiting for {what() if callable(what) else what}")
        for m in members:
            m.poll(0.1)


def poll_for(members, seconds):
    until = time.time() + seconds
    while time.time() < until:
        for m in members:
            m.poll(0.1)


def main():
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)], operation_timeout=10)[topic].result(timeout=15)

    a = Member("static-a-1", "static-a")
    b = Member("static-b-1", "static-b")
    both = lambda: len(a.assigned()) + len(b.assigned()) == 4 and a.assigned() and b.assigned()
    poll_until([a, b], both, 30, "A and B to share the 4 partitions")
    poll_for([a, b], 1.0)  # let both finish their SyncGroup and callbacks
    check(both(), f"assignments changed while settling: A {a.assigned()} B {b.assigned()}")
    a_parts, b_parts, b_events = a.assigned(), b.assigned(), list(b.events)
    result["before"] = {"a": a_parts, "b": b_parts}

    started = time.time()
    a.consumer.close()  # a static member: no LeaveGroup
    a2 = Member("static-a-2", "static-a")
    poll_until([a2, b], lambda: a2.assigned() != [], 15, "the restarted A to get its partitions")
    result["rejoin_s"] = round(time.time() - started, 3)
    poll_for([a2, b], 3.0)  # several of B's heartbeats: a rebalance would show here
    check(a2.assigned() == a_parts, f"restarted A got {a2.assigned()}, A had {a_parts}")
    check(b.events == b_events and b.assigned() == b_parts, f"B saw a rebalance: {b.events[len(b_events):]}, now {b.assigned()}")
    check(not a2.errors and not b.errors, f"errors: A2 {a2.errors} B {b.errors}")
    result["after"] = {"a": a2.assigned(), "b": b.assigned(), "b_events_after_restart": b.events[len(b_events):]}

    # A third process claims static-a while A2 is alive: A2 is fenced on its next heartbeat.
    a3 = Member("static-a-3", "static-a")
    # librdkafka reports it to error_cb as a fatal error (_FATAL) whose text names the cause.
    fenced = lambda: [e for e in a2.errors if e.code() in (KafkaError._FATAL, KafkaError.FENCED_INSTANCE_ID)]
    poll_until([a2, a3, b], lambda: fenced() and a3.assigned() != [], 15,
               lambda: f"A2 to be fenced and A3 to take A's partitions (A2 errors {[str(e) for e in a2.errors]}, A3 events {a3.events})")
    fatal = fenced()[0]
    result["fenced"] = {
        "error": fatal.name(),
        "text": fatal.str(),
        "a3": a3.assigned(),
        "b_events": b.events[len(b_events):],
    }
    for m in (a3, b):
        m.consumer.close()
    a2.consumer.close()
    result["ok"] = True
    print(json.dumps(result))


if __name__ == "__main__":
    main()
