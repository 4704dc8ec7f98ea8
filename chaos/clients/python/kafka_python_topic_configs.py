"""Topic configs with kafka-python's KafkaAdminClient (python3-kafka 2.0.2) against a Chronik broker.

Usage: kafka_python_topic_configs.py BOOTSTRAP. Prints one JSON line; exits non-zero, with the reason,
on any failure.
"""
import json
import sys

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

bootstrap = sys.argv[1]
result = {}


def check(condition, message):
    if not condition:
        print(json.dumps({"ok": False, "error": message, "so_far": result}))
        sys.exit(1)


def describe(admin, topic):
    [response] = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    [(error_code, error_message, _type, _name, entries)] = response.resources
    check(error_code == 0, f"describe_configs: {error_code} {error_message}")
    # kafka-python sends DescribeConfigs v2 to a broker it takes for Kafka 2.4 (see docs/protocol.md);
    # v1+ entries are (name, value, read_only, config_source, is_sensitive, synonyms)
    check(response.API_VERSION >= 1, f"describe_configs v{response.API_VERSION}")
    return {entry[0]: (entry[1], entry[3]) for entry in entries}


admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
topic = "kp-configs"
admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1, topic_configs={"segment.ms": "3600000"})])
configs = describe(admin, topic)
result["created"] = {k: configs[k] for k in ("segment.ms", "retention.ms")}

response = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.bytes": "1048576"})])
[(error_code, error_message, _type, _name)] = response.resources
check(error_code == 0, f"alter_configs: {error_code} {error_message}")
configs = describe(admin, topic)
result["altered"] = {k: configs[k] for k in ("segment.ms", "retention.bytes")}

response = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={"segment.ms": "0"})])
[(error_code, error_message, _type, _name)] = response.resources
result["alter_bad"] = {"code": error_code, "message": error_message}
admin.close()
result["ok"] = True
print(json.dumps(result))
