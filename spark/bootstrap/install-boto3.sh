#!/bin/bash
# EMR bootstrap action for kinesis_to_s3.py: boto3 for the Python that Spark's executors run (python3 on EMR 7),
# on every node, for clusters whose image lacks it. Add it when creating the cluster:
#   aws emr create-cluster ... --bootstrap-actions Path=s3://<bucket>/spark/bootstrap/install-boto3.sh,Name=boto3
set -euo pipefail
if ! python3 -c 'import boto3' 2>/dev/null; then
  sudo python3 -m pip install --quiet 'boto3>=1.28'
fi
