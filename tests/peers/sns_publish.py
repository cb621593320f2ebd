"""Publishes to SNS with botocore (AWS's own client and SigV4 signer), for the SNS sink's tests.

    python sns_publish.py ENDPOINT_URL REGION ACCESS_KEY_ID SECRET TOPIC_ARN MESSAGE

Prints one JSON line: {"message_id": …} when SNS (or the sink) accepted it, or
{"status": …, "code": …, "message": …} with the error botocore read from the answer.
Retries are off so a rehearsed error is seen once.
"""
import json
import sys

import botocore.config
import botocore.exceptions
import botocore.session

endpoint, region, key_id, secret, topic, message = sys.argv[1:7]
client = botocore.session.get_session().create_client(
    "sns",
    region_name=region,
    endpoint_url=endpoint,
    aws_access_key_id=key_id,
    aws_secret_access_key=secret,
    config=botocore.config.Config(retries={"total_max_attempts": 1}),
)
try:
    answer = client.publish(
        TopicArn=topic,
        Message=message,
        MessageAttributes={"severity": {"DataType": "String", "StringValue": "info"}},
    )
    print(json.dumps({"message_id": answer["MessageId"]}))
except botocore.exceptions.ClientError as e:
    print(
        json.dumps(
            {
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                "code": e.response["Error"]["Code"],
                "message": e.response["Error"]["Message"],
            }
        )
    )
