"""librdkafka (confluent-kafka) against a Chronik cluster: an idempotent acks=all producer writes
COUNT numbered values to TOPIC and waits for every delivery report. Prints one JSON line:
{"acked": n, "failed": n, "errors": [...]}. Retries (leader moves) are librdkafka's own."""
import json
import sys

from confluent_kafka import Producer

bootstrap, topic, prefix, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
producer = Producer({
    'bootstrap.servers': bootstrap,
    'enable.idempotence': True,
    'acks': 'all',
    'linger.ms': 5,
    'message.timeout.ms': 60000,
})
acked = 0
failed = 0
errors = []


def report(err, msg):
    global acked, failed
    if err is None:
        acked += 1
    else:
        failed += 1
        if len(errors) < 5:
            errors.append(str(err))


for i in range(count):
    producer.produce(topic, value=f'{prefix}{i}'.encode(), on_delivery=report)
    producer.poll(0)
producer.flush(90)
print(json.dumps({'acked': acked, 'failed': failed, 'errors': errors}))
