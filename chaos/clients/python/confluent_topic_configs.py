"""Topic configs with librdkafka's AdminClient (python3-confluent-kafka) against a Chronik broker.

Usage: confluent_topic_configs.py BOOTSTRAP. Prints one JSON line; exits non-zero, with the reason, on
any failure. confluent-kafka 1.7 has create_topics (with config), describe_configs and alter_configs
(no incremental_alter_configs: librdkafka added it in 2.2).
"""
import json
import sys

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewTopic

bootstrap = sys.argv[1]
result = {}


def check(condition, message):
    if not condition:
        print(json.dumps({"ok": False, "error": message, "so_far": result}))
        sys.exit(1)


def describe(admin, topic):
    [future] = admin.describe_configs([ConfigResource("topic", topic)], request_timeout=10).values()
    entries = future.result(timeout=15)
    return {name: (e.value, ConfigSource(e.source).name, e.is_default) for name, e in entries.items()}


def refusal(future):
    try:
        future.result(timeout=15)
    except KafkaException as e:
        return {"code": e.args[0].name(), "text": e.args[0].str()}
    return None


admin = AdminClient({"bootstrap.servers": bootstrap})
topic = "rd-configs"
created = admin.create_topics([NewTopic(topic, 1, 1, config={"retention.ms": "60000", "max.message.bytes": "100000"})], operation_timeout=10)
created[topic].result(timeout=15)
configs = describe(admin, topic)
result["created"] = {k: configs[k] for k in ("retention.ms", "max.message.bytes", "segment.ms")}

bad = admin.create_topics([NewTopic("rd-configs-bad", 1, 1, config={"cleanup.policy": "compact"})], operation_timeout=10)
result["create_compact"] = refusal(bad["rd-configs-bad"])

# alter_configs is AlterConfigs: the given set replaces every override of the topic.
altered = admin.alter_configs([ConfigResource("topic", topic, set_config={"retention.ms": "120000", "message.timestamp.type": "LogAppendTime"})], request_timeout=10)
list(altered.values())[0].result(timeout=15)
configs = describe(admin, topic)
result["altered"] = {k: configs[k] for k in ("retention.ms", "max.message.bytes", "message.timestamp.type")}

wrong = admin.alter_configs([ConfigResource("topic", topic, set_config={"retention.hours": "1"})], request_timeout=10)
result["alter_unknown"] = refusal(list(wrong.values())[0])
broker = admin.alter_configs([ConfigResource("broker", "1", set_config={"log.retention.ms": "1"})], request_timeout=10)
result["alter_broker"] = refusal(list(broker.values())[0])
result["ok"] = True
print(json.dumps(result))
