"""librdkafka's consumer-group admin calls against a Chronik broker; prints one JSON line.

python3-confluent-kafka 1.7 (Debian's) does not wrap ListConsumerGroups, ListConsumerGroupOffsets or
DeleteConsumerGroupOffsets, but the librdkafka 2.0 it runs on has them: they are called here through
ctypes, on the same library. Groups are set up with confluent-kafka's Consumer.

Usage: librdkafka_group_admin.py BOOTSTRAP. Exits non-zero, with the reason, on any failure.
"""
import ctypes
import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = sys.argv[1]
result = {}
lib = ctypes.CDLL("librdkafka.so.1")
vp, cp, sz = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t
for name, restype, argtypes in [
    ("rd_kafka_conf_new", vp, []),
    ("rd_kafka_conf_set", ctypes.c_int, [vp, cp, cp, cp, sz]),
    ("rd_kafka_new", vp, [ctypes.c_int, vp, cp, sz]),
    ("rd_kafka_destroy", None, [vp]),
    ("rd_kafka_queue_new", vp, [vp]),
    ("rd_kafka_queue_destroy", None, [vp]),
    ("rd_kafka_queue_poll", vp, [vp, ctypes.c_int]),
    ("rd_kafka_event_destroy", None, [vp]),
    ("rd_kafka_event_error", ctypes.c_int, [vp]),
    ("rd_kafka_event_error_string", cp, [vp]),
    ("rd_kafka_error_code", ctypes.c_int, [vp]),
    ("rd_kafka_topic_partition_list_new", vp, [ctypes.c_int]),
    ("rd_kafka_topic_partition_list_add", vp, [vp, cp, ctypes.c_int32]),
    ("rd_kafka_topic_partition_list_destroy", None, [vp]),
    ("rd_kafka_group_result_name", cp, [vp]),
    ("rd_kafka_group_result_error", vp, [vp]),
    ("rd_kafka_group_result_partitions", vp, [vp]),
    ("rd_kafka_ListConsumerGroups", None, [vp, vp, vp]),
    ("rd_kafka_event_ListConsumerGroups_result", vp, [vp]),
    ("rd_kafka_ListConsumerGroups_result_valid", ctypes.POINTER(vp), [vp, ctypes.POINTER(sz)]),
    ("rd_kafka_ConsumerGroupListing_group_id", cp, [vp]),
    ("rd_kafka_ConsumerGroupListing_state", ctypes.c_int, [vp]),
    ("rd_kafka_consumer_group_state_name", cp, [ctypes.c_int]),
    ("rd_kafka_ListConsumerGroupOffsets_new", vp, [cp, vp]),
    ("rd_kafka_ListConsumerGroupOffsets", None, [vp, ctypes.POINTER(vp), sz, vp, vp]),
    ("rd_kafka_event_ListConsumerGroupOffsets_result", vp, [vp]),
    ("rd_kafka_ListConsumerGroupOffsets_result_groups", ctypes.POINTER(vp), [vp, ctypes.POINTER(sz)]),
    ("rd_kafka_DeleteConsumerGroupOffsets_new", vp, [cp, vp]),
    ("rd_kafka_DeleteConsumerGroupOffsets", None, [vp, ctypes.POINTER(vp), sz, vp, vp]),
    ("rd_kafka_event_DeleteConsumerGroupOffsets_result", vp, [vp]),
    ("rd_kafka_DeleteConsumerGroupOffsets_result_groups", ctypes.POINTER(vp), [vp, ctypes.POINTER(sz)]),
]:
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = restype, argtypes


class Partition(ctypes.Structure):
    _fields_ = [("topic", cp), ("partition", ctypes.c_int32), ("offset", ctypes.c_int64), ("metadata", vp),
                ("metadata_size", sz), ("opaque", vp), ("err", ctypes.c_int), ("private", vp)]


class PartitionList(ctypes.Structure):
    _fields_ = [("cnt", ctypes.c_int), ("size", ctypes.c_int), ("elems", ctypes.POINTER(Partition))]


def check(condition, message):
    if not condition:
        print(json.dumps({"ok": False, "error": message, "so_far": result}))
        sys.exit(1)


def new_client():
    conf = lib.rd_kafka_conf_new()
    errstr = ctypes.create_string_buffer(512)
    check(lib.rd_kafka_conf_set(conf, b"bootstrap.servers", bootstrap.encode(), errstr, 512) == 0, "conf_set")
    rk = lib.rd_kafka_new(0, conf, errstr, 512)  # a producer handle runs admin requests too
    check(rk is not None, f"rd_kafka_new: {errstr.value}")
    return rk


class CallFailed(Exception):
    """The whole admin call failed (librdkafka reports a group-level error of OffsetDelete this way)."""


def await_result(rk, start, result_of):
    """Starts an admin call on a fresh queue and returns (event, result) once it answers."""
    queue = lib.rd_kafka_queue_new(rk)
    start(queue)
    event = lib.rd_kafka_queue_poll(queue, 15000)
    lib.rd_kafka_queue_destroy(queue)
    check(event is not None, "admin call timed out")
    code = lib.rd_kafka_event_error(event)
    if code != 0:
        message = lib.rd_kafka_event_error_string(event).decode()
        lib.rd_kafka_event_destroy(event)
        raise CallFailed(code, message)
    return event, result_of(event)


def partitions_of(group_result):
    plist = lib.rd_kafka_group_result_partitions(group_result)
    if not plist:
        return []
    parts = ctypes.cast(plist, ctypes.POINTER(PartitionList)).contents
    return [(parts.elems[i].topic.decode(), parts.elems[i].partition, parts.elems[i].offset, parts.elems[i].err) for i in range(parts.cnt)]


def group_results(rk, kind, group, partitions):
    """ListConsumerGroupOffsets or DeleteConsumerGroupOffsets for one group: (group error, partitions)."""
    plist = None
    if partitions is not None:
        plist = lib.rd_kafka_topic_partition_list_new(len(partitions))
        for topic, partition in partitions:
            lib.rd_kafka_topic_partition_list_add(plist, topic.encode(), partition)
    request = getattr(lib, f"rd_kafka_{kind}_new")(group.encode(), plist)
    requests = (vp * 1)(request)
    event, res = await_result(rk, lambda q: getattr(lib, f"rd_kafka_{kind}")(rk, requests, 1, None, q),
                              getattr(lib, f"rd_kafka_event_{kind}_result"))
    count = sz()
    groups = getattr(lib, f"rd_kafka_{kind}_result_groups")(res, ctypes.byref(count))
    check(count.value == 1, f"{kind}: {count.value} group results")
    error = lib.rd_kafka_group_result_error(groups[0])
    answer = (lib.rd_kafka_error_code(error) if error else 0, partitions_of(groups[0]))
    lib.rd_kafka_event_destroy(event)
    if plist is not None:
        lib.rd_kafka_topic_partition_list_destroy(plist)
    return answer


def list_groups(rk):
    event, res = await_result(rk, lambda q: lib.rd_kafka_ListConsumerGroups(rk, None, q), lib.rd_kafka_event_ListConsumerGroups_result)
    count = sz()
    listings = lib.rd_kafka_ListConsumerGroups_result_valid(res, ctypes.byref(count))
    states = {}
    for i in range(count.value):
        group_id = lib.rd_kafka_ConsumerGroupListing_group_id(listings[i]).decode()
        states[group_id] = lib.rd_kafka_consumer_group_state_name(lib.rd_kafka_ConsumerGroupListing_state(listings[i])).decode()
    lib.rd_kafka_event_destroy(event)
    return states


def setup_groups():
    """rd-goff-idle: offsets on both partitions, no members. rd-goff-active: one member subscribed to rd-goff."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic("rd-goff", num_partitions=2, replication_factor=1)], operation_timeout=10)["rd-goff"].result(timeout=15)
    idle = Consumer({"bootstrap.servers": bootstrap, "group.id": "rd-goff-idle", "enable.auto.commit": False})
    idle.commit(offsets=[TopicPartition("rd-goff", 0, 5), TopicPartition("rd-goff", 1, 6)], asynchronous=False)
    idle.close()
    active = Consumer({"bootstrap.servers": bootstrap, "group.id": "rd-goff-active", "enable.auto.commit": False})
    active.subscribe(["rd-goff"])
    deadline = time.time() + 30
    while not active.assignment():
        check(time.time() < deadline, "the active consumer got no assignment")
        active.poll(0.2)
    active.commit(offsets=[TopicPartition("rd-goff", 0, 3)], asynchronous=False)
    return active


def main():
    active = setup_groups()
    rk = new_client()
    states = list_groups(rk)
    result["states"] = {g: states.get(g) for g in ("rd-goff-idle", "rd-goff-active")}

    error, offsets = group_results(rk, "ListConsumerGroupOffsets", "rd-goff-idle", None)
    result["idle_offsets"] = {"error": error, "offsets": sorted([[p, o] for _, p, o, _ in offsets])}
    error, parts = group_results(rk, "DeleteConsumerGroupOffsets", "rd-goff-idle", [("rd-goff", 0)])
    result["delete_idle"] = {"error": error, "partitions": [[p, e] for _, p, _, e in parts]}
    error, offsets = group_results(rk, "ListConsumerGroupOffsets", "rd-goff-idle", None)
    result["idle_after_delete"] = sorted([[p, o] for _, p, o, _ in offsets])

    error, parts = group_results(rk, "DeleteConsumerGroupOffsets", "rd-goff-active", [("rd-goff", 0)])
    result["delete_active"] = {"error": error, "partitions": [[p, e] for _, p, _, e in parts]}
    try:
        group_results(rk, "DeleteConsumerGroupOffsets", "rd-goff-nobody", [("rd-goff", 0)])
        check(False, "DeleteConsumerGroupOffsets of an unknown group succeeded")
    except CallFailed as e:
        result["delete_unknown"] = {"error": e.args[0], "message": e.args[1]}

    active.close()
    lib.rd_kafka_destroy(rk)
    result["ok"] = True
    print(json.dumps(result))


main()
